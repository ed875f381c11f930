//! Branded HTML and plain-text emails. Every value from users is escaped; the
//! layout is a single table so that mail clients render it.

use super::template::{Template, Vars};
use crate::i18n::{EmailText, Lang, amount, date, email_text, fill};

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

/// Why an email about an invoice is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The invoice itself: please pay.
    Invoice,
    /// A payment arrived.
    Receipt,
    /// A bank debit failed; the invoice is open again.
    PaymentFailed,
}

/// An email about one invoice to its customer.
#[derive(Debug, Clone)]
pub struct InvoiceEmail<'a> {
    pub purpose: Purpose,
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub customer_name: &'a str,
    pub number: &'a str,
    /// Already formatted, such as `1234.50 EUR`.
    pub amount_due: &'a str,
    /// Already formatted; shown on receipts.
    pub amount_paid: &'a str,
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

/// One open invoice in a reminder or statement.
#[derive(Debug, Clone)]
pub struct ReminderLine<'a> {
    pub number: &'a str,
    /// Already formatted.
    pub due_date: &'a str,
    /// Days past the due date; negative while it is still ahead.
    pub days_overdue: i64,
    /// Already formatted.
    pub amount_due: &'a str,
}

/// A reminder or statement about a customer's open invoices, worded by a
/// [`Template`] and laid out like every other email.
#[derive(Debug, Clone)]
pub struct ReminderEmail<'a> {
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub customer_name: &'a str,
    pub template: &'a Template,
    pub lines: &'a [ReminderLine<'a>],
    /// Already formatted; several currencies are summed apart, such as
    /// `120.00 USD + 80.00 EUR`.
    pub total_due: &'a str,
    /// Lands on the most overdue invoice.
    pub pay_link: &'a str,
    /// All of the customer's invoices.
    pub portal_link: &'a str,
    /// Where the customer changes or stops reminders.
    pub preferences_link: &'a str,
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
        let (subject, intro, rows, button) = match self.purpose {
            Purpose::Invoice => (
                t.invoice_subject,
                t.invoice_intro,
                [(t.amount_due, self.amount_due), (t.due_date, self.due_date)],
                t.view_and_pay,
            ),
            Purpose::Receipt => (
                t.receipt_subject,
                t.receipt_intro,
                [
                    (t.amount_paid, self.amount_paid),
                    (t.balance_due, self.amount_due),
                ],
                t.view_invoice,
            ),
            Purpose::PaymentFailed => (
                t.failed_subject,
                t.failed_intro,
                [(t.amount_due, self.amount_due), (t.due_date, self.due_date)],
                t.view_and_pay,
            ),
        };
        let subject = fill(subject, &vars);
        let body = Body {
            greeting: fill(t.greeting, &vars),
            intro: fill(intro, &vars),
            rows: &rows,
            button,
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

impl ReminderEmail<'_> {
    pub fn render(&self) -> Rendered {
        let lang = Lang::from_locale(self.locale);
        let t = email_text(lang);
        let numbers = self
            .lines
            .iter()
            .map(|l| l.number)
            .collect::<Vec<_>>()
            .join(", ");
        let count = self.lines.len().to_string();
        // The most overdue invoice has the earliest due date.
        let oldest = self.lines.iter().max_by_key(|l| l.days_overdue);
        let days_overdue = oldest.map_or(0, |l| l.days_overdue.max(0)).to_string();
        let vars = Vars {
            customer_name: self.customer_name,
            company_name: self.brand.display_name,
            company_email: self.brand.support_email,
            invoice_numbers: &numbers,
            invoice_count: &count,
            amount_due: self.total_due,
            due_date: oldest.map_or("", |l| l.due_date),
            days_overdue: &days_overdue,
            pay_link: self.pay_link,
            portal_link: self.portal_link,
        };
        let (subject, body) = self.template.render(&vars);
        let contact = fill(
            t.reminder_contact,
            &[
                ("company", self.brand.display_name),
                ("support", self.brand.support_email),
            ],
        );
        let colour = colour(&self.brand);
        let (start, end) = if lang.rtl() {
            ("right", "left")
        } else {
            ("left", "right")
        };

        let mut html = open_layout(&self.brand, lang, &subject, colour);
        for paragraph in paragraphs(&body) {
            let lines: Vec<String> = paragraph.iter().map(|l| escape(l)).collect();
            html.push_str(&format!("<p>{}</p>", lines.join("<br>")));
        }
        let cell = "style=\"padding:6px 4px;border-top:1px solid #d0d7de\"";
        html.push_str(&format!(
            "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"margin:8px 0 16px;border-collapse:collapse;font-size:14px\">\
             <tr style=\"color:#57606a\"><th scope=\"col\" align=\"{start}\" style=\"padding:6px 4px\">{}</th><th scope=\"col\" align=\"{start}\" style=\"padding:6px 4px\">{}</th>\
             <th scope=\"col\" align=\"{start}\" style=\"padding:6px 4px\">{}</th><th scope=\"col\" align=\"{end}\" style=\"padding:6px 4px\">{}</th></tr>",
            escape(t.invoice),
            escape(t.due_date),
            escape(t.status),
            escape(t.amount_due),
        ));
        for line in self.lines {
            // Overdue is said in words and shown in red, never by colour alone.
            let late = if line.days_overdue > 0 {
                ";color:#b42318;font-weight:600"
            } else {
                ""
            };
            html.push_str(&format!(
                "<tr><td {cell}>{}</td><td {cell}>{}</td>\
                 <td style=\"padding:6px 4px;border-top:1px solid #d0d7de{late}\">{}</td><td align=\"{end}\" {cell}>{}</td></tr>",
                escape(line.number),
                escape(line.due_date),
                escape(&status(lang, t, line.days_overdue)),
                escape(line.amount_due),
            ));
        }
        html.push_str(&format!(
            "<tr style=\"font-weight:700\"><td colspan=\"3\" style=\"padding:8px 4px;border-top:2px solid #1f2328\">{}</td>\
             <td align=\"{end}\" style=\"padding:8px 4px;border-top:2px solid #1f2328\">{}</td></tr></table>",
            escape(t.total_due),
            escape(self.total_due),
        ));
        html.push_str(&button(self.pay_link, t.pay_now, colour));
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"color:{colour}\">{}</a></p>\
             <p style=\"font-size:13px;color:#57606a\">{}</p>\
             <p style=\"font-size:12px;color:#57606a\"><a href=\"{prefs}\" style=\"color:#57606a\">{}</a> · \
             <a href=\"{prefs}\" style=\"color:#57606a\">{}</a></p>",
            escape(self.portal_link),
            escape(t.view_all_invoices),
            escape(&contact),
            escape(t.reminder_preferences),
            escape(t.stop_reminders),
            prefs = escape(self.preferences_link),
        ));
        html.push_str(CLOSE_LAYOUT);

        let mut text = format!("{}\n\n{}\n\n", self.brand.display_name, body.trim_end());
        for line in self.lines {
            text.push_str(&format!(
                "- {}: {} · {}: {} · {}\n",
                line.number,
                line.amount_due,
                t.due_date,
                line.due_date,
                status(lang, t, line.days_overdue),
            ));
        }
        text.push_str(&format!(
            "{}: {}\n\n{}: {}\n{}: {}\n\n{}\n{} / {}: {}\n",
            t.total_due,
            self.total_due,
            t.pay_now,
            self.pay_link,
            t.view_all_invoices,
            self.portal_link,
            contact,
            t.reminder_preferences,
            t.stop_reminders,
            self.preferences_link,
        ));
        Rendered {
            subject: subject_line(&subject),
            html,
            text,
        }
    }
}

/// "3 days overdue", "Due today", "Due in 5 days", in the reader's language.
fn status(lang: Lang, t: &EmailText, days_overdue: i64) -> String {
    let n = days_overdue.unsigned_abs();
    match days_overdue {
        1.. => lang.count(t.overdue, n),
        0 => t.due_today.to_owned(),
        -1 => t.due_tomorrow.to_owned(),
        _ => lang.count(t.due_in, n),
    }
}

/// Paragraphs split on blank lines, each as its lines.
fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A reminder worded by `template` about made-up invoices, to show an
/// organization what its customers will read. The links lead under
/// `links_base` to pages that do not exist.
pub fn preview(template: &Template, brand: Brand<'_>, locale: &str, links_base: &str) -> Rendered {
    let base = links_base.trim_end_matches('/');
    let amounts = [12_000, 8_050].map(|minor| amount(minor, "USD", locale));
    let total = amount(20_050, "USD", locale);
    let dates = ["2026-03-01", "2026-03-20"].map(|d| date(d, locale));
    let lines = [
        ReminderLine {
            number: "INV-1001",
            due_date: &dates[0],
            days_overdue: 14,
            amount_due: &amounts[0],
        },
        ReminderLine {
            number: "INV-1002",
            due_date: &dates[1],
            days_overdue: -5,
            amount_due: &amounts[1],
        },
    ];
    let pay_link = format!("{base}/c/sample/invoices/INV-1001");
    let portal_link = format!("{base}/c/sample");
    let preferences_link = format!("{base}/c/sample/reminders");
    ReminderEmail {
        brand,
        locale,
        customer_name: "Alex Sample",
        template,
        lines: &lines,
        total_due: &total,
        pay_link: &pay_link,
        portal_link: &portal_link,
        preferences_link: &preferences_link,
    }
    .render()
}

struct Body<'a> {
    greeting: String,
    intro: String,
    rows: &'a [(&'a str, &'a str)],
    button: &'a str,
    link: &'a str,
    footer: String,
}

/// A subject as a header may carry it: control characters (a line break
/// from a company name or a custom template would start a new header) become
/// spaces, runs of spaces one, and it is cut at 250 characters.
pub fn subject_line(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((i, _)) = out.char_indices().nth(250) {
        out.truncate(i);
    }
    out
}

impl Body<'_> {
    fn render(&self, brand: &Brand<'_>, lang: Lang, subject: String) -> Rendered {
        let colour = colour(brand);
        let mut html = open_layout(brand, lang, &subject, colour);
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
        html.push_str(&button(self.link, self.button, colour));
        html.push_str(&format!(
            "<p style=\"font-size:13px;color:#57606a\">{}</p>",
            escape(&self.footer)
        ));
        html.push_str(CLOSE_LAYOUT);
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
            subject: subject_line(&subject),
            html,
            text,
        }
    }
}

/// The brand colour, or our blue when it is missing or not a `#rrggbb`.
fn colour<'a>(brand: &Brand<'a>) -> &'a str {
    brand
        .primary_color
        .filter(|c| is_hex_colour(c))
        .unwrap_or("#1a56db")
}

/// The document, the card with its colour bar, and the logo or name.
fn open_layout(brand: &Brand<'_>, lang: Lang, subject: &str, colour: &str) -> String {
    let dir = if lang.rtl() { "rtl" } else { "ltr" };
    let mut html = String::with_capacity(4096);
    html.push_str(&format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>\
         <body style=\"margin:0;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px 12px\">\
         <table role=\"presentation\" width=\"100%\" style=\"max-width:560px;background:#fff;border-radius:8px;border-top:6px solid {colour}\" cellpadding=\"24\"><tr><td>",
        lang = lang.code(),
        title = escape(subject),
    ));
    if let Some(logo) = brand
        .logo_url
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        html.push_str(&format!(
            "<img src=\"{}\" alt=\"{}\" height=\"40\" style=\"display:block;margin-bottom:16px\">",
            escape(logo),
            escape(brand.display_name)
        ));
    } else {
        html.push_str(&format!(
            "<p style=\"font-size:20px;font-weight:700;margin:0 0 16px\">{}</p>",
            escape(brand.display_name)
        ));
    }
    html
}

/// The call to action, then its link as text for clients that hide buttons.
fn button(href: &str, label: &str, colour: &str) -> String {
    format!(
        "<p><a href=\"{href}\" style=\"display:inline-block;background:{colour};color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600\">{label}</a></p>\
         <p style=\"font-size:13px;color:#57606a;word-break:break-all\">{href}</p>",
        href = escape(href),
        label = escape(label),
    )
}

const CLOSE_LAYOUT: &str = "</td></tr></table></td></tr></table></body></html>";

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::template::default_template;

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
            purpose: Purpose::Invoice,
            amount_paid: "0.00 EUR",
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
    fn receipts_and_failures_say_what_happened() {
        let email = |purpose| {
            InvoiceEmail {
                purpose,
                brand: brand(),
                locale: "fr-FR",
                customer_name: "Zoé",
                number: "F-9",
                amount_due: "0,00 €",
                amount_paid: "120,00 €",
                due_date: "1 déc. 2026",
                link: "https://x/c/y",
            }
            .render()
        };
        let receipt = email(Purpose::Receipt);
        assert_eq!(receipt.subject, "Reçu pour la facture F-9 de Acme <Ltd>");
        assert!(receipt.text.contains("Déjà payé: 120,00 €"));
        let failed = email(Purpose::PaymentFailed);
        assert!(failed.subject.contains("n'a pas abouti"));
        assert!(failed.text.contains("Voir et payer la facture"));
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

    fn reminder<'a>(
        template: &'a Template,
        locale: &'a str,
        lines: &'a [ReminderLine<'a>],
    ) -> Rendered {
        ReminderEmail {
            brand: brand(),
            locale,
            customer_name: "Ann <script>alert(1)</script>",
            template,
            lines,
            total_due: "120.00 USD + 80.00 EUR",
            pay_link: "https://x/c/tok/invoices/INV-1?a=1&b=2",
            portal_link: "https://x/c/tok",
            preferences_link: "https://x/c/tok/reminders",
        }
        .render()
    }

    const LINES: &[ReminderLine<'static>] = &[
        ReminderLine {
            number: "INV-1",
            due_date: "1 Mar 2026",
            days_overdue: 14,
            amount_due: "120.00 USD",
        },
        ReminderLine {
            number: "INV-<2>",
            due_date: "20 Mar 2026",
            days_overdue: -5,
            amount_due: "80.00 EUR",
        },
    ];

    #[test]
    fn reminder_fills_the_template_and_escapes_everything() {
        let template = Template::parse(
            "{{ invoice_count }} open: {{ invoice_numbers }}",
            "Hi {{ customer_name }},\n\n<script>x()</script> {{ amount_due }} since {{ due_date }}\n\
             {{ days_overdue }} days late.\n\n\n— {{ company_name }}",
        )
        .unwrap();
        let r = reminder(&template, "en-GB", LINES);
        assert_eq!(r.subject, "2 open: INV-1, INV-<2>");
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains(
            "<p>Hi Ann &lt;script&gt;alert(1)&lt;/script&gt;,</p>\
             <p>&lt;script&gt;x()&lt;/script&gt; 120.00 USD + 80.00 EUR since 1 Mar 2026<br>14 days late.</p>\
             <p>— Acme &lt;Ltd&gt;</p>"
        ));
        assert!(r.html.contains("INV-&lt;2&gt;"));
        assert!(r.html.contains("14 days overdue"));
        assert!(r.html.contains("Due in 5 days"));
        assert!(r.html.contains("Total due"));
        assert!(
            r.html
                .contains("href=\"https://x/c/tok/invoices/INV-1?a=1&amp;b=2\"")
        );
        assert!(r.html.contains(">Pay now</a>"));
        assert!(r.html.contains("href=\"https://x/c/tok\""));
        assert!(r.html.contains(">View all invoices</a>"));
        assert!(r.html.contains("href=\"https://x/c/tok/reminders\""));
        assert!(r.html.contains("Stop these reminders"));
        assert!(
            r.html
                .contains("Questions? Contact Acme &lt;Ltd&gt; at help@acme.test.")
        );
        assert!(r.html.contains("dir=\"ltr\""));
        assert!(r.html.ends_with("</body></html>"));
    }

    #[test]
    fn reminder_text_part_has_the_lines_and_links() {
        let template = default_template("firm", Lang::En).unwrap();
        let r = reminder(&template, "en", LINES);
        assert_eq!(r.subject, "Overdue: INV-1, INV-<2> from Acme <Ltd>");
        for needle in [
            "Hello Ann <script>alert(1)</script>,",
            "- INV-1: 120.00 USD · Due date: 1 Mar 2026 · 14 days overdue\n",
            "- INV-<2>: 80.00 EUR · Due date: 20 Mar 2026 · Due in 5 days\n",
            "Total due: 120.00 USD + 80.00 EUR\n",
            "Pay now: https://x/c/tok/invoices/INV-1?a=1&b=2\n",
            "View all invoices: https://x/c/tok\n",
            "Reminder preferences / Stop these reminders: https://x/c/tok/reminders\n",
        ] {
            assert!(r.text.contains(needle), "{needle} in {}", r.text);
        }
    }

    #[test]
    fn days_are_said_in_words() {
        let t = email_text(Lang::En);
        let said: Vec<String> = [3, 1, 0, -1, -7].map(|d| status(Lang::En, t, d)).into();
        assert_eq!(
            said,
            [
                "3 days overdue",
                "1 day overdue",
                "Due today",
                "Due tomorrow",
                "Due in 7 days"
            ]
        );
        assert_eq!(
            status(Lang::Fr, email_text(Lang::Fr), 2),
            "En retard de 2 jours"
        );
        assert_eq!(
            status(Lang::Fr, email_text(Lang::Fr), 1),
            "En retard de 1 jour"
        );
        let ar = |d| status(Lang::Ar, email_text(Lang::Ar), d);
        assert_eq!(ar(1), "متأخرة يومًا واحدًا");
        assert_eq!(ar(2), "متأخرة يومين");
        assert_eq!(ar(3), "متأخرة 3 أيام");
        assert_eq!(ar(10), "متأخرة 10 أيام");
        assert_eq!(ar(11), "متأخرة 11 يومًا");
        assert_eq!(ar(100), "متأخرة 100 يوم");
        assert_eq!(ar(-5), "تستحق خلال 5 أيام");
    }

    #[test]
    fn arabic_reminders_are_right_to_left() {
        let template = default_template("final", Lang::Ar).unwrap();
        let r = reminder(&template, "ar-EG", LINES);
        assert!(r.html.contains("lang=\"ar\" dir=\"rtl\""));
        assert!(r.html.contains("ادفع الآن"));
        assert!(r.html.contains("متأخرة 14 يومًا"));
        assert!(
            r.text
                .contains("ادفع الآن: https://x/c/tok/invoices/INV-1?a=1&b=2")
        );
        assert!(!r.html.contains("<script>"));
    }

    #[test]
    fn preview_uses_sample_data_in_the_locale() {
        let template = default_template("friendly", Lang::Fr).unwrap();
        let r = preview(&template, brand(), "fr-FR", "https://app.settle.test/");
        assert!(r.subject.contains("INV-1001, INV-1002"));
        assert!(r.html.contains("Bonjour Alex Sample,"));
        assert!(r.html.contains("120,00\u{a0}$US"));
        assert!(r.html.contains("200,50\u{a0}$US"));
        assert!(r.html.contains("1 mars 2026"));
        assert!(r.html.contains("En retard de 14 jours"));
        assert!(
            r.html
                .contains("href=\"https://app.settle.test/c/sample/invoices/INV-1001\"")
        );
        assert!(
            r.text
                .contains("Payer maintenant: https://app.settle.test/c/sample/invoices/INV-1001")
        );
        for key in crate::email::template::KEYS {
            for locale in ["en-US", "fr", "ar"] {
                let t = default_template(key, Lang::from_locale(locale)).unwrap();
                let r = preview(&t, brand(), locale, "https://x");
                assert!(!r.subject.is_empty() && r.html.contains("Alex Sample"));
            }
        }
    }

    #[test]
    fn subjects_carry_no_control_characters() {
        assert_eq!(
            subject_line("Invoice 7\r\nBcc: evil@example.com\tfrom\u{7}  Acme"),
            "Invoice 7 Bcc: evil@example.com from Acme"
        );
        assert_eq!(subject_line(&"é".repeat(300)).chars().count(), 250);
    }
}
