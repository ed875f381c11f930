//! A small PDF writer for letters: A4 pages of text in the built-in
//! Helvetica (WinAnsi encoding), a band in the company's colour and the
//! lines of a table. No fonts are embedded, so the file stays a few
//! kilobytes and the worker needs no PDF library.

use super::{Letter, Text};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// Rows of the table on one page.
const ROWS_PER_PAGE: usize = 28;

/// Text in WinAnsi bytes, escaped for a PDF string: Latin-1 as is, the
/// euro sign and typographic quotes and dashes at their WinAnsi places,
/// anything else `?`.
fn pdf_string(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'(');
    for c in s.chars() {
        let b = match c {
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            '\u{202f}' | '\u{a0}' => b' ',
            c if (c as u32) < 0x100 => c as u32 as u8,
            _ => b'?',
        };
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
    out
}

/// `#rrggbb` as PDF colour operands (`0.1 0.2 0.3`); grey when unreadable.
fn rgb(colour: &str) -> String {
    let hex = colour.trim_start_matches('#');
    let parts: Option<Vec<f32>> = (hex.len() == 6)
        .then(|| {
            (0..3)
                .map(|i| {
                    u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16)
                        .ok()
                        .map(|v| f32::from(v) / 255.0)
                })
                .collect()
        })
        .flatten();
    match parts {
        Some(p) => format!("{:.3} {:.3} {:.3}", p[0], p[1], p[2]),
        None => "0.3 0.3 0.3".into(),
    }
}

/// Roughly how wide Helvetica writes `s` at `size` (for wrapping and
/// right-aligning; an average advance of 0.5 em, 0.28 for digits' commas).
fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ' ' | '\'' | '|' => 0.28,
            'm' | 'w' | 'M' | 'W' => 0.83,
            c if c.is_uppercase() => 0.67,
            _ => 0.52,
        })
        .sum::<f32>()
        * size
}

/// Breaks `s` into lines at most `max` points wide.
fn wrap(s: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size) > max && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// One page's drawing operators.
struct Page {
    ops: Vec<u8>,
    y: f32,
}

impl Page {
    fn new(l: &Letter) -> Page {
        let mut p = Page {
            ops: Vec::new(),
            y: HEIGHT - MARGIN,
        };
        // The company's band at the top.
        p.raw(&format!(
            "{} rg 0 {} {} 10 re f 0 0 0 rg\n",
            rgb(&l.colour),
            HEIGHT - 10.0,
            WIDTH
        ));
        p
    }

    fn raw(&mut self, s: &str) {
        self.ops.extend_from_slice(s.as_bytes());
    }

    fn text_at(&mut self, x: f32, y: f32, bold: bool, size: f32, s: &str) {
        self.raw(&format!(
            "BT /{} {size} Tf {x:.1} {y:.1} Td ",
            if bold { "F2" } else { "F1" }
        ));
        self.ops.extend(pdf_string(s));
        self.raw(" Tj ET\n");
    }

    fn line(&mut self, bold: bool, size: f32, s: &str) {
        for l in wrap(s, size, WIDTH - 2.0 * MARGIN) {
            self.text_at(MARGIN, self.y, bold, size, &l);
            self.y -= size * 1.45;
        }
    }

    fn gap(&mut self, pts: f32) {
        self.y -= pts;
    }

    fn rule(&mut self) {
        self.raw(&format!(
            "0.8 0.84 0.87 RG 0.5 w {MARGIN} {y:.1} m {x:.1} {y:.1} l S\n",
            y = self.y + 4.0,
            x = WIDTH - MARGIN
        ));
    }

    /// A table row: the first three columns from the left, the last two
    /// aligned on the right edge of their column.
    fn row(&mut self, cells: &[String; 5], bold: bool) {
        let x = [
            MARGIN,
            MARGIN + 130.0,
            MARGIN + 230.0,
            MARGIN + 380.0,
            WIDTH - MARGIN,
        ];
        for (i, c) in cells.iter().enumerate() {
            let at = if i >= 3 { x[i] - width(c, 9.0) } else { x[i] };
            self.text_at(at, self.y, bold, 9.0, c);
        }
        self.y -= 15.0;
        self.rule();
    }
}

/// The letter as PDF bytes.
pub fn write(l: &Letter, t: &Text) -> Vec<u8> {
    let mut pages = vec![Page::new(l)];
    let p = pages.last_mut().expect("a page");
    p.line(true, 16.0, &l.company);
    if let Some(e) = &l.support_email {
        p.line(false, 10.0, e);
    }
    p.gap(18.0);
    p.line(true, 11.0, &l.customer);
    p.line(false, 10.0, &l.customer_email);
    p.line(false, 10.0, &t.date);
    p.gap(14.0);
    p.line(true, 14.0, &t.title);
    p.gap(4.0);
    p.line(false, 10.5, &t.greeting);
    p.line(false, 10.5, &t.intro);
    p.gap(6.0);
    p.row(&t.head, true);
    for (i, r) in t.rows.iter().enumerate() {
        if i > 0 && i % ROWS_PER_PAGE == 0 {
            let mut next = Page::new(l);
            next.row(&t.head, true);
            pages.push(next);
        }
        pages.last_mut().expect("a page").row(r, false);
    }
    let p = pages.last_mut().expect("a page");
    p.gap(6.0);
    for total in &t.totals {
        let w = width(total, 11.0);
        p.text_at(WIDTH - MARGIN - w, p.y, true, 11.0, total);
        p.y -= 16.0;
    }
    p.gap(10.0);
    for para in &t.paragraphs {
        if p.y < MARGIN + 60.0 {
            break;
        }
        p.line(false, 10.5, para);
        p.gap(4.0);
    }
    p.gap(8.0);
    p.line(false, 10.5, &t.regards);
    p.line(false, 10.5, &l.company);

    // Objects: 1 catalog, 2 pages, 3 and 4 fonts, then a page and its
    // content stream for each page.
    let n = pages.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    for (i, page) in pages.into_iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", page.ops.len()).into_bytes();
        stream.extend(page.ops);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        out.extend(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_encoded_for_winansi() {
        assert_eq!(pdf_string("a(b)\\c"), b"(a\\(b\\)\\\\c)".to_vec());
        assert_eq!(pdf_string("€5 é"), vec![b'(', 0x80, b'5', b' ', 0xe9, b')']);
        assert_eq!(pdf_string("日本"), b"(??)".to_vec());
    }

    #[test]
    fn colours_and_wrapping() {
        assert_eq!(rgb("#ff0000"), "1.000 0.000 0.000");
        assert_eq!(rgb("red"), "0.3 0.3 0.3");
        let lines = wrap(&"word ".repeat(100), 10.0, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| width(l, 10.0) <= 200.0));
    }
}
