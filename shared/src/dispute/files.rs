//! Files in a thread: what they may be (by content, never by name), how
//! large, and the name they are kept and offered under.

use crate::ErrorCode;

/// The largest file a thread takes, in bytes (5 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

/// What a thread's files may be, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
        }
    }
}

/// Why a file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than 5 MB; send a smaller one")]
    TooLarge,
    /// An HTML page or an SVG named `.pdf` or `.png` included.
    #[error(
        "only photos (PNG, JPEG, GIF, WebP) and PDF documents can be attached; this file's content is neither, whatever its name says"
    )]
    NotAllowed,
}

impl FileProblem {
    pub fn code(self) -> ErrorCode {
        match self {
            FileProblem::Empty => ErrorCode::InvalidField,
            FileProblem::TooLarge => ErrorCode::PayloadTooLarge,
            FileProblem::NotAllowed => ErrorCode::UnsupportedMediaType,
        }
    }
}

/// Recognises a file by its first bytes (never its name), and its size.
pub fn sniff_file(bytes: &[u8]) -> Result<FileType, FileProblem> {
    if bytes.is_empty() {
        return Err(FileProblem::Empty);
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(FileProblem::TooLarge);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(FileType::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Ok(FileType::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Ok(FileType::Gif)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok(FileType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Ok(FileType::Pdf)
    } else {
        Err(FileProblem::NotAllowed)
    }
}

/// The name a file is kept and offered under: the sender's name without
/// folders, control or reordering characters, quotes or slashes, at most
/// 100 characters, and always ending in its real type's extension (a
/// `.html` file that is really a PNG is offered as `….png`).
pub fn file_name(given: &str, kind: FileType) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '"' | '\\' | '/' | '<' | '>' | ':' | '*' | '?' | '|')
                && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
        })
        .collect();
    let clean = clean.trim().trim_matches('.');
    let stem = match clean.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim(),
        _ => clean,
    };
    let stem: String = stem.chars().take(90).collect();
    let stem = if stem.trim().is_empty() {
        "file"
    } else {
        stem.trim()
    };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_content_not_name() {
        assert_eq!(sniff_file(b"%PDF-1.7\n..."), Ok(FileType::Pdf));
        assert_eq!(sniff_file(b"\x89PNG\r\n\x1a\n...."), Ok(FileType::Png));
        assert_eq!(sniff_file(&[0xff, 0xd8, 0xff, 0xe0]), Ok(FileType::Jpeg));
        assert_eq!(
            sniff_file(b"<!doctype html><script>alert(1)</script>%PDF-"),
            Err(FileProblem::NotAllowed)
        );
        assert_eq!(
            sniff_file(b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
            Err(FileProblem::NotAllowed)
        );
        assert_eq!(sniff_file(b""), Err(FileProblem::Empty));
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES, b' ');
        assert_eq!(sniff_file(&big), Ok(FileType::Pdf));
        big.push(b' ');
        assert_eq!(sniff_file(&big), Err(FileProblem::TooLarge));
        assert_eq!(
            FileProblem::NotAllowed.code(),
            ErrorCode::UnsupportedMediaType
        );
    }

    #[test]
    fn a_file_is_named_by_its_real_type() {
        assert_eq!(file_name("receipt.pdf", FileType::Pdf), "receipt.pdf");
        assert_eq!(file_name("invoice.html", FileType::Png), "invoice.png");
        assert_eq!(
            file_name("C:\\Users\\me\\scan.PDF", FileType::Pdf),
            "scan.pdf"
        );
        assert_eq!(file_name("../../etc/passwd", FileType::Pdf), "passwd.pdf");
        assert_eq!(file_name("a\"b\u{202E}fdp.exe", FileType::Pdf), "abfdp.pdf");
        assert_eq!(file_name("", FileType::Gif), "file.gif");
        assert_eq!(file_name("...", FileType::Gif), "file.gif");
        assert_eq!(
            file_name(&"x".repeat(300), FileType::Pdf).chars().count(),
            94
        );
    }
}
