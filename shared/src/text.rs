//! Validated text: bounded strings, email addresses, locales, colours, URLs.
//!
//! Each check returns a [`FieldError`] that names the field and says, in
//! words a person understands, what is wrong.

use crate::error::ErrorCode;

/// A validation failure tied to one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub code: ErrorCode,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            code,
            field: field.into(),
            message: message.into(),
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::new(ErrorCode::InvalidField, field, message)
    }
}

/// Limits on free text, in characters.
pub mod limits {
    pub const NAME: usize = 200;
    pub const EMAIL: usize = 254;
    pub const DESCRIPTION: usize = 500;
    pub const MEMO: usize = 2000;
    pub const INVOICE_NUMBER: usize = 64;
    pub const URL: usize = 2048;
    pub const REFERENCE: usize = 200;
    pub const LINES: usize = 200;
}

/// Trims, rejects empty and over-long text and control characters.
pub fn bounded(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(
            ErrorCode::StringTooLong,
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// Like [`bounded`] but `None` and blank text are allowed and give `None`.
pub fn optional(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded(field, v, max).map(Some),
    }
}

/// A plausible email address, lower-cased domain. Not a full RFC 5322 parser:
/// one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(field: &str, value: &str) -> Result<String, FieldError> {
    let v = bounded(field, value, limits::EMAIL)?;
    let bad = || FieldError::invalid(field, "must be an email address such as name@example.com");
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || local.contains('@')
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || v.chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == '"' || c == ',')
    {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A BCP 47 language tag of the simple form `ll` or `ll-RR` (`en`, `fr-FR`, `ar-EG`).
pub fn locale(field: &str, value: &str) -> Result<String, FieldError> {
    let bad = || FieldError::invalid(field, "must be a language tag such as en, fr-FR or ar");
    let v = value.trim();
    let mut parts = v.split(['-', '_']);
    let lang = parts.next().ok_or_else(bad)?;
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(bad());
    }
    let mut out = lang.to_ascii_lowercase();
    if let Some(region) = parts.next() {
        let ok = (region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic()))
            || (region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(bad());
        }
        out.push('-');
        out.push_str(&region.to_ascii_uppercase());
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(out)
}

/// A CSS hex colour `#rrggbb`.
pub fn hex_colour(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(FieldError::invalid(
            field,
            "must be a colour such as #1a56db",
        ))
    }
}

/// An absolute `https://` URL (or `http://` for local development hosts).
pub fn url(field: &str, value: &str) -> Result<String, FieldError> {
    let v = bounded(field, value, limits::URL)?;
    let ok = v.starts_with("https://")
        || v.starts_with("http://127.0.0.1")
        || v.starts_with("http://localhost");
    if !ok
        || v.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
    {
        return Err(FieldError::invalid(field, "must be an https:// URL"));
    }
    Ok(v)
}

/// An invoice number: letters, digits and `-_/.#`, unique per organization.
pub fn invoice_number(field: &str, value: &str) -> Result<String, FieldError> {
    let v = bounded(field, value, limits::INVOICE_NUMBER)?;
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_/.#".contains(c))
    {
        return Err(FieldError::invalid(
            field,
            "may contain only letters, digits and - _ / . #",
        ));
    }
    Ok(v)
}

/// A `LIKE … ESCAPE '\\'` pattern that finds `needle` anywhere: `%`, `_`
/// and `\\` in it stand for themselves.
pub fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("e", " Ann@Example.COM ").unwrap(), "Ann@example.com");
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@.com",
            "a b@c.com",
            "a@b.com.",
            "<a@b.com>",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales() {
        assert_eq!(locale("l", "fr_fr").unwrap(), "fr-FR");
        assert_eq!(locale("l", "ar").unwrap(), "ar");
        assert_eq!(locale("l", "es-419").unwrap(), "es-419");
        for bad in ["", "english", "e", "en-GBR-x", "1n"] {
            assert!(locale("l", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounded_counts_characters() {
        assert!(bounded("n", &"é".repeat(200), 200).is_ok());
        let err = bounded("n", &"é".repeat(201), 200).unwrap_err();
        assert_eq!(err.code, ErrorCode::StringTooLong);
        assert!(bounded("n", "   ", 10).is_err());
        assert!(bounded("n", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn colours_and_urls() {
        assert_eq!(hex_colour("c", "#1A56DB").unwrap(), "#1a56db");
        assert!(hex_colour("c", "red").is_err());
        assert!(url("u", "https://example.com/logo.png").is_ok());
        assert!(url("u", "javascript:alert(1)").is_err());
        assert!(url("u", "http://example.com").is_err());
    }

    #[test]
    fn invoice_numbers() {
        assert!(invoice_number("n", "INV-2026/001").is_ok());
        assert!(invoice_number("n", "INV 1").is_err());
        assert_eq!(
            invoice_number("n", &"9".repeat(65)).unwrap_err().code,
            ErrorCode::StringTooLong
        );
    }

    #[test]
    fn a_search_pattern_takes_wildcards_literally() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
