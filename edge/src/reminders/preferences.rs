//! The customer's reminder preferences: what a post to the preferences page
//! asks for, and who may turn reminders back on.
//!
//! A customer who stops reminders (the page, or their mail client's
//! one-click unsubscribe, RFC 8058) can resume them; the company cannot undo
//! the customer's own choice through the API.

/// What a post to the preferences page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Stop reminders; `one_click` when a mail client asked (RFC 8058).
    Stop {
        one_click: bool,
    },
    Resume,
    /// Nothing recognisable.
    Nothing,
}

/// Reads the body of a post to the preferences page. The page's own form
/// is URL-encoded (`action=stop` or `action=resume`); a mail client's
/// one-click unsubscribe posts `List-Unsubscribe=One-Click`, URL-encoded or
/// as `multipart/form-data`, or (Settle's List-Unsubscribe URL carries
/// `one-click=1`) anything at all.
pub fn read(body: &[u8], content_type: Option<&str>, one_click_url: bool) -> Change {
    let fields = fields(body, content_type.unwrap_or(""));
    let has = |k: &str, v: &str| fields.iter().any(|(a, b)| a == k && b == v);
    if one_click_url || has("List-Unsubscribe", "One-Click") {
        Change::Stop { one_click: true }
    } else if has("action", "stop") {
        Change::Stop { one_click: false }
    } else if has("action", "resume") {
        Change::Resume
    } else {
        Change::Nothing
    }
}

/// The name–value pairs of a form body.
fn fields(body: &[u8], content_type: &str) -> Vec<(String, String)> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned());
    match boundary {
        Some(b) if content_type.trim_start().starts_with("multipart/form-data") => {
            multipart(&String::from_utf8_lossy(body), &b)
        }
        _ => form_urlencoded::parse(body).into_owned().collect(),
    }
}

/// The text fields of a `multipart/form-data` body.
fn multipart(body: &str, boundary: &str) -> Vec<(String, String)> {
    let delimiter = format!("--{boundary}");
    body.split(delimiter.as_str())
        .filter_map(|part| {
            let part = part.strip_prefix("\r\n").unwrap_or(part);
            let (head, value) = part
                .split_once("\r\n\r\n")
                .or_else(|| part.split_once("\n\n"))?;
            let name = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix("name="))?
                .trim_matches('"')
                .to_owned();
            Some((name, value.trim_end_matches(['\r', '\n']).to_owned()))
        })
        .collect()
}

/// Who stopped a customer's reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOut {
    /// Reminders go out.
    In,
    /// The customer stopped them; only the customer resumes them.
    ByCustomer,
    /// The company stopped them through the API.
    ByCompany,
}

impl OptOut {
    /// From the stored flag and who set it (`customer` or `company`).
    pub fn stored(opted_out: bool, by: Option<&str>) -> Self {
        match (opted_out, by) {
            (false, _) => OptOut::In,
            (true, Some("company")) => OptOut::ByCompany,
            // Older rows did not record who: treat it as the customer's.
            (true, _) => OptOut::ByCustomer,
        }
    }

    pub fn opted_out(self) -> bool {
        self != OptOut::In
    }

    /// The `opt_out_by` column.
    pub fn by(self) -> Option<&'static str> {
        match self {
            OptOut::In => None,
            OptOut::ByCustomer => Some("customer"),
            OptOut::ByCompany => Some("company"),
        }
    }
}

/// Why the company may not make a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the customer stopped reminders themselves; only they can turn them back on, from the preferences link in any reminder"
)]
pub struct CustomerChoice;

/// The state after the company asks for `requested` (`None`: unchanged).
pub fn company_sets(current: OptOut, requested: Option<bool>) -> Result<OptOut, CustomerChoice> {
    match (current, requested) {
        (c, None) => Ok(c),
        (OptOut::ByCustomer, Some(false)) => Err(CustomerChoice),
        (OptOut::ByCustomer, Some(true)) => Ok(OptOut::ByCustomer),
        (_, Some(true)) => Ok(OptOut::ByCompany),
        (_, Some(false)) => Ok(OptOut::In),
    }
}

/// The state after the customer's own change on the preferences page.
pub fn customer_sets(change: Change, current: OptOut) -> OptOut {
    match change {
        Change::Stop { .. } => OptOut::ByCustomer,
        Change::Resume => OptOut::In,
        Change::Nothing => current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_form_and_one_click_are_read_as_fields() {
        assert_eq!(
            read(b"action=stop", None, false),
            Change::Stop { one_click: false }
        );
        assert_eq!(read(b"action=resume", None, false), Change::Resume);
        // A substring is not a field.
        assert_eq!(read(b"x=action%3Dstop", None, false), Change::Nothing);
        assert_eq!(read(b"note=action=resume", None, false), Change::Nothing);
        assert_eq!(
            read(
                b"List-Unsubscribe=One-Click",
                Some("application/x-www-form-urlencoded"),
                false
            ),
            Change::Stop { one_click: true }
        );
        let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
        assert_eq!(
            read(
                multipart.as_bytes(),
                Some("multipart/form-data; boundary=XyZ"),
                false
            ),
            Change::Stop { one_click: true }
        );
        assert_eq!(read(b"", None, true), Change::Stop { one_click: true });
        assert_eq!(read(b"", None, false), Change::Nothing);
    }

    #[test]
    fn the_company_cannot_undo_the_customers_opt_out() {
        assert_eq!(
            company_sets(OptOut::ByCustomer, Some(false)),
            Err(CustomerChoice)
        );
        assert_eq!(
            company_sets(OptOut::ByCustomer, None),
            Ok(OptOut::ByCustomer)
        );
        assert_eq!(
            company_sets(OptOut::ByCustomer, Some(true)),
            Ok(OptOut::ByCustomer)
        );
        assert_eq!(company_sets(OptOut::ByCompany, Some(false)), Ok(OptOut::In));
        assert_eq!(company_sets(OptOut::In, Some(true)), Ok(OptOut::ByCompany));
        assert_eq!(customer_sets(Change::Resume, OptOut::ByCompany), OptOut::In);
        assert_eq!(
            customer_sets(Change::Stop { one_click: true }, OptOut::ByCompany),
            OptOut::ByCustomer
        );
        assert_eq!(OptOut::stored(true, None), OptOut::ByCustomer);
        assert_eq!(OptOut::stored(true, Some("company")), OptOut::ByCompany);
    }
}
