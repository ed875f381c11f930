//! A company's branding, checked before it is saved: colour pairs that
//! people must be able to read (WCAG 2 contrast), and logos recognised by
//! their content, never by their name.

/// WCAG AA for normal text.
pub const MIN_TEXT_CONTRAST: f64 = 4.5;
/// A logo is at most this large.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;

/// The WCAG relative luminance of a `#rrggbb` colour.
pub fn luminance(hex: &str) -> Option<f64> {
    let h = hex.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| -> Option<f64> {
        let v = f64::from(u8::from_str_radix(h.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

/// The WCAG contrast ratio of two `#rrggbb` colours, from 1 to 21.
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if la >= lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// A colour pair that fails.
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastFailure {
    /// Which pair, in words: `white text on the primary colour`.
    pub pair: &'static str,
    /// The field to fix.
    pub field: &'static str,
    pub ratio: f64,
}

impl ContrastFailure {
    pub fn message(&self) -> String {
        format!(
            "{} has a contrast of {:.2}:1; readable text needs at least {MIN_TEXT_CONTRAST}:1 (WCAG AA). Choose a darker colour.",
            self.pair, self.ratio
        )
    }
}

/// Checks the pairs Settle draws: white button text on the primary colour
/// (emails, the portal's buttons), and the accent colour as link text on
/// white. Colours must already be `#rrggbb`.
pub fn check_colours(primary: Option<&str>, accent: Option<&str>) -> Result<(), ContrastFailure> {
    let pairs = [
        (
            primary,
            "White text on the primary colour",
            "branding.primary_color",
        ),
        (
            accent,
            "The accent colour on white",
            "branding.accent_color",
        ),
    ];
    for (colour, pair, field) in pairs {
        if let Some(c) = colour {
            let ratio = contrast(c, "#ffffff").unwrap_or(1.0);
            if ratio < MIN_TEXT_CONTRAST {
                return Err(ContrastFailure { pair, field, ratio });
            }
        }
    }
    Ok(())
}

/// An image type a logo may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageType {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Gif => "image/gif",
            ImageType::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpg",
            ImageType::Gif => "gif",
            ImageType::Webp => "webp",
        }
    }
}

/// Why a logo is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoProblem {
    Empty,
    TooLarge,
    /// Not a PNG, JPEG, GIF or WebP by its content (an HTML page or an SVG
    /// named `.png` included: SVG can carry script).
    NotAnImage,
}

impl LogoProblem {
    pub fn message(self) -> &'static str {
        match self {
            LogoProblem::Empty => "The logo is empty.",
            LogoProblem::TooLarge => "The logo is larger than 1 MB. Upload a smaller image.",
            LogoProblem::NotAnImage => {
                "The logo is not a PNG, JPEG, GIF or WebP image (its content was checked, not its name)."
            }
        }
    }
}

/// Recognises a logo by its first bytes, and its size.
pub fn sniff_logo(bytes: &[u8]) -> Result<ImageType, LogoProblem> {
    if bytes.is_empty() {
        return Err(LogoProblem::Empty);
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoProblem::TooLarge);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(ImageType::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Ok(ImageType::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Ok(ImageType::Gif)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok(ImageType::Webp)
    } else {
        Err(LogoProblem::NotAnImage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_the_wcag_reference_values() {
        let r = |a, b| (contrast(a, b).unwrap() * 100.0).round() / 100.0;
        assert_eq!(r("#000000", "#ffffff"), 21.0);
        assert_eq!(r("#ffffff", "#ffffff"), 1.0);
        // WebAIM's checker: #767676 on white is 4.54:1, #777777 4.48:1.
        assert_eq!(r("#767676", "#ffffff"), 4.54);
        assert_eq!(r("#777777", "#ffffff"), 4.48);
        assert_eq!(r("#ffffff", "#0f766e"), r("#0f766e", "#ffffff"));
        assert_eq!(contrast("red", "#ffffff"), None);
    }

    #[test]
    fn a_pair_that_fails_is_named_with_its_ratio() {
        assert_eq!(check_colours(Some("#0f766e"), Some("#1a56db")), Ok(()));
        let e = check_colours(Some("#ffd700"), None).unwrap_err();
        assert_eq!(e.field, "branding.primary_color");
        assert!(
            e.message()
                .starts_with("White text on the primary colour has a contrast of 1.40:1"),
            "{}",
            e.message()
        );
        let e = check_colours(Some("#0f766e"), Some("#777777")).unwrap_err();
        assert_eq!(e.field, "branding.accent_color");
        assert!(e.message().contains("4.48:1"));
        assert_eq!(check_colours(None, None), Ok(()));
    }

    #[test]
    fn logos_are_known_by_their_content() {
        assert_eq!(sniff_logo(b"\x89PNG\r\n\x1a\n...."), Ok(ImageType::Png));
        assert_eq!(
            sniff_logo(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]),
            Ok(ImageType::Jpeg)
        );
        assert_eq!(sniff_logo(b"GIF89a...."), Ok(ImageType::Gif));
        assert_eq!(sniff_logo(b"RIFF\x10\0\0\0WEBPVP8 "), Ok(ImageType::Webp));
        assert_eq!(
            sniff_logo(b"<!doctype html><script>alert(1)</script>"),
            Err(LogoProblem::NotAnImage)
        );
        assert_eq!(
            sniff_logo(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(LogoProblem::NotAnImage)
        );
        assert_eq!(sniff_logo(b""), Err(LogoProblem::Empty));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(sniff_logo(&big), Err(LogoProblem::TooLarge));
        big.truncate(MAX_LOGO_BYTES);
        assert_eq!(sniff_logo(&big), Ok(ImageType::Png));
    }
}
