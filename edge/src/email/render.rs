//! Branded HTML and plain-text emails. Every value from users is escaped; the
//! layout is a single table so that mail clients render it.

use crate::i18n::{EmailText, Lang, email_text, fill};

/// Subject and both parts of an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The company side of every email.
#[derive(Debug, Clone)]
pub struct Brand<'a> {
    pub display_name: &'a str,
    pub logo_url: Option<&'a str>,
    pub primary_color: Option<&'a str>,
    pub support_email: &'a str,
}

/// An invoice being sent to its customer.
#[derive(Debug, Clone)]
pub struct InvoiceEmail<'a> {
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub customer_name: &'a str,
    pub number: &'a str,
    /// Already formatted, such as `1234.50 EUR`.
    pub amount_due: &'a str,
    pub due_date: &'a str,
    pub link: &'a str,
}

/// A fresh portal link a customer asked for.
#[derive(Debug, Clone)]
pub struct LinkEmail<'a> {
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub customer_name: &'a str,
    pub link: &'a str,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

impl InvoiceEmail<'_> {
    pub fn render(&self) -> Rendered {
        let lang = Lang::from_locale(self.locale);
        let t = email_text(lang);
        let company = self.brand.display_name;
        let vars = [
            ("company", company),
            ("number", self.number),
            ("name", self.customer_name),
            ("support", self.brand.support_email),
        ];
        let subject = fill(t.invoice_subject, &vars);
        let rows = [(t.amount_due, self.amount_due), (t.due_date, self.due_date)];
        let body = Body {
            greeting: fill(t.greeting, &vars),
            intro: fill(t.invoice_intro, &vars),
            rows: &rows,
            button: t.view_and_pay,
            link: self.link,
            footer: fill(t.questions, &vars),
        };
        body.render(&self.brand, lang, subject)
    }
}

impl LinkEmail<'_> {
    pub fn render(&self) -> Rendered {
        let lang = Lang::from_locale(self.locale);
        let t: &EmailText = email_text(lang);
        let vars = [
            ("company", self.brand.display_name),
            ("name", self.customer_name),
        ];
        let body = Body {
            greeting: fill(t.greeting, &vars),
            intro: fill(t.link_intro, &vars),
            rows: &[],
            button: t.open_invoices,
            link: self.link,
            footer: t.link_ignore.to_owned(),
        };
        body.render(&self.brand, lang, fill(t.link_subject, &vars))
    }
}

struct Body<'a> {
    greeting: String,
    intro: String,
    rows: &'a [(&'a str, &'a str)],
    button: &'a str,
    link: &'a str,
    footer: String,
}

impl Body<'_> {
    fn render(&self, brand: &Brand<'_>, lang: Lang, subject: String) -> Rendered {
        let colour = brand
            .primary_color
            .filter(|c| is_hex_colour(c))
            .unwrap_or("#1a56db");
        let dir = if lang.rtl() { "rtl" } else { "ltr" };
        let mut html = String::with_capacity(2048);
        html.push_str(&format!(
            "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"margin:0;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328\">\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px 12px\">\
             <table role=\"presentation\" width=\"100%\" style=\"max-width:560px;background:#fff;border-radius:8px;border-top:6px solid {colour}\" cellpadding=\"24\"><tr><td>",
            lang = lang.code(),
            title = escape(&subject),
        ));
        if let Some(logo) = brand
            .logo_url
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        {
            html.push_str(&format!("<img src=\"{}\" alt=\"{}\" height=\"40\" style=\"display:block;margin-bottom:16px\">", escape(logo), escape(brand.display_name)));
        } else {
            html.push_str(&format!(
                "<p style=\"font-size:20px;font-weight:700;margin:0 0 16px\">{}</p>",
                escape(brand.display_name)
            ));
        }
        html.push_str(&format!(
            "<p>{}</p><p>{}</p>",
            escape(&self.greeting),
            escape(&self.intro)
        ));
        if !self.rows.is_empty() {
            html.push_str(
                "<table role=\"presentation\" cellpadding=\"4\" style=\"margin:8px 0 16px\">",
            );
            for (k, v) in self.rows {
                html.push_str(&format!("<tr><td style=\"color:#57606a\">{}</td><td style=\"font-weight:700\">{}</td></tr>", escape(k), escape(v)));
            }
            html.push_str("</table>");
        }
        html.push_str(&format!(
            "<p><a href=\"{href}\" style=\"display:inline-block;background:{colour};color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600\">{label}</a></p>\
             <p style=\"font-size:13px;color:#57606a;word-break:break-all\">{href}</p>\
             <p style=\"font-size:13px;color:#57606a\">{footer}</p></td></tr></table></td></tr></table></body></html>",
            href = escape(self.link),
            label = escape(self.button),
            footer = escape(&self.footer),
        ));
        let mut text = format!(
            "{}\n\n{}\n\n{}\n\n",
            brand.display_name, self.greeting, self.intro
        );
        for (k, v) in self.rows {
            text.push_str(&format!("{k}: {v}\n"));
        }
        if !self.rows.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!(
            "{}: {}\n\n{}\n",
            self.button, self.link, self.footer
        ));
        Rendered {
            subject,
            html,
            text,
        }
    }
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Brand<'static> {
        Brand {
            display_name: "Acme <Ltd>",
            logo_url: None,
            primary_color: Some("#0f766e"),
            support_email: "help@acme.test",
        }
    }

    #[test]
    fn invoice_email_has_both_parts_and_the_link() {
        let r = InvoiceEmail {
            brand: brand(),
            locale: "en-GB",
            customer_name: "Ann \"<script>\"",
            number: "INV-7",
            amount_due: "120.00 EUR",
            due_date: "2026-12-01",
            link: "http://127.0.0.1:8787/c/cl_abc",
        }
        .render();
        assert_eq!(r.subject, "Invoice INV-7 from Acme <Ltd>");
        assert!(r.html.contains("href=\"http://127.0.0.1:8787/c/cl_abc\""));
        assert!(r.html.contains("Acme &lt;Ltd&gt;"));
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("#0f766e"));
        assert!(r.text.contains("120.00 EUR"));
        assert!(r.text.contains("http://127.0.0.1:8787/c/cl_abc"));
    }

    #[test]
    fn arabic_is_right_to_left() {
        let r = LinkEmail {
            brand: brand(),
            locale: "ar",
            customer_name: "سارة",
            link: "https://x/c/y",
        }
        .render();
        assert!(r.html.contains("dir=\"rtl\""));
        assert!(r.subject.contains("Acme"));
    }

    #[test]
    fn a_bad_colour_falls_back() {
        let mut b = brand();
        b.primary_color = Some("red;background:url(x)");
        let r = LinkEmail {
            brand: b,
            locale: "fr",
            customer_name: "Zoé",
            link: "https://x",
        }
        .render();
        assert!(!r.html.contains("url(x)"));
        assert!(r.text.contains("Bonjour Zoé"));
    }
}
