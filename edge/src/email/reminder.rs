//! Reminders and statements: a customer's open invoices in one email,
//! worded by the organization's [`Template`] and laid out like every other
//! email; and the preview of a template with sample data.

use super::render::{Brand, Rendered, frame, subject_line};
use super::template::{Template, Vars};
use crate::i18n::{EmailText, Lang, amount, date, email_text, fill};

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
    /// What paying early saves, while the invoice's offer stands (already
    /// worded: "Pay 980.00 € by 14 Dec 2026 to save 20.00 €").
    pub saving: Option<&'a str>,
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
        let (start, end) = if lang.rtl() {
            ("right", "left")
        } else {
            ("left", "right")
        };

        let statuses: Vec<String> = self
            .lines
            .iter()
            .map(|l| match l.saving {
                Some(s) => format!("{} · {s}", status(lang, t, l.days_overdue)),
                None => status(lang, t, l.days_overdue),
            })
            .collect();
        let html = super::html::render(&super::html::Reminder {
            frame: frame(&self.brand, lang, &subject),
            paragraphs: paragraphs(&body),
            start,
            end,
            head_invoice: t.invoice,
            head_due_date: t.due_date,
            head_status: t.status,
            head_amount: t.amount_due,
            rows: self
                .lines
                .iter()
                .zip(&statuses)
                .map(|(l, status)| super::html::Row {
                    number: l.number,
                    due_date: l.due_date,
                    status: status.clone(),
                    // Overdue is said in words and shown in red, never by colour alone.
                    late: l.days_overdue > 0,
                    amount: l.amount_due,
                })
                .collect(),
            total_label: t.total_due,
            total: self.total_due,
            button_href: self.pay_link,
            button_label: t.pay_now,
            portal_link: self.portal_link,
            view_all: t.view_all_invoices,
            contact: &contact,
            preferences_link: self.preferences_link,
            preferences_label: t.reminder_preferences,
            stop_label: t.stop_reminders,
        });

        let mut text = format!("{}\n\n{}\n\n", self.brand.display_name, body.trim_end());
        for (line, status) in self.lines.iter().zip(&statuses) {
            text.push_str(&format!(
                "- {}: {} · {}: {} · {}\n",
                line.number, line.amount_due, t.due_date, line.due_date, status,
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
            saving: None,
            amount_due: &amounts[0],
        },
        ReminderLine {
            number: "INV-1002",
            due_date: &dates[1],
            days_overdue: -5,
            saving: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::render::tests::brand;
    use crate::email::template::default_template;

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
            saving: None,
            amount_due: "120.00 USD",
        },
        ReminderLine {
            number: "INV-<2>",
            due_date: "20 Mar 2026",
            days_overdue: -5,
            saving: None,
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
            "<p>Hi Ann &#60;script&#62;alert(1)&#60;/script&#62;,</p>\
             <p>&#60;script&#62;x()&#60;/script&#62; 120.00 USD + 80.00 EUR since 1 Mar 2026<br>14 days late.</p>\
             <p>— Acme &#60;Ltd&#62;</p>"
        ));
        assert!(r.html.contains("INV-&#60;2&#62;"));
        assert!(r.html.contains("14 days overdue"));
        assert!(r.html.contains("Due in 5 days"));
        assert!(r.html.contains("Total due"));
        assert!(
            r.html
                .contains("href=\"https://x/c/tok/invoices/INV-1?a=1&#38;b=2\"")
        );
        assert!(r.html.contains(">Pay now</a>"));
        assert!(r.html.contains("href=\"https://x/c/tok\""));
        assert!(r.html.contains(">View all invoices</a>"));
        assert!(r.html.contains("href=\"https://x/c/tok/reminders\""));
        assert!(r.html.contains("Stop these reminders"));
        assert!(
            r.html
                .contains("Questions? Contact Acme &#60;Ltd&#62; at help@acme.test.")
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
}
