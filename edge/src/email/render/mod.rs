//! Branded HTML and plain-text emails. Every value from users is escaped; the
//! layout is a single table so that mail clients render it.

pub use super::reminder::{ReminderEmail, ReminderLine, preview};
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
    /// The company's line at the foot of every email.
    pub footer: Option<&'a str>,
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
    /// The customer promised to pay by a date: tomorrow, or the last day
    /// the send window opens before it.
    PromiseDue,
    /// An instalment of the customer's plan falls due (`promised_date` is
    /// its date, `amount_due` what is left of it).
    InstalmentDue,
    /// As `InstalmentDue`, with autopay on: it will be charged on its date.
    InstalmentCharged,
    /// The customer's instalment plan is set up (accepted or approved).
    PlanAccepted,
    /// A supervisor rejected the proposed plan (`message` says why).
    PlanRejected,
    /// A scheduled automatic payment was declined and will be tried again
    /// on `promised_date`; `message` names the method and the bank's reason.
    ScheduledRetry,
    /// A scheduled automatic payment was declined for the last time.
    ScheduledGaveUp,
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
    /// The number of the void invoice this one corrects.
    pub replaces: Option<&'a str>,
    /// Already formatted: the date the customer promised (promise reminders).
    pub promised_date: Option<&'a str>,
    /// The company's words to the customer (a plan's decision), as text.
    pub message: Option<&'a str>,
    /// What paying early saves, already worded (invoice emails while the
    /// offer stands).
    pub saving: Option<&'a str>,
}

/// A fresh portal link a customer asked for.
#[derive(Debug, Clone)]
pub struct LinkEmail<'a> {
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub customer_name: &'a str,
    pub link: &'a str,
}

/// The company answered in a thread while the customer was away: its
/// messages since, as text, and the link back to the thread.
#[derive(Debug, Clone)]
pub struct AnswerEmail<'a> {
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub customer_name: &'a str,
    pub number: &'a str,
    /// (who wrote, what they wrote), oldest first.
    pub messages: &'a [(&'a str, &'a str)],
    pub link: &'a str,
}

impl AnswerEmail<'_> {
    pub fn render(&self) -> Rendered {
        let lang = Lang::from_locale(self.locale);
        let t: &EmailText = email_text(lang);
        let vars = [
            ("company", self.brand.display_name),
            ("name", self.customer_name),
            ("number", self.number),
        ];
        let body = Body {
            greeting: fill(t.greeting, &vars),
            intro: fill(t.answer_intro, &vars),
            rows: self.messages,
            button: t.answer_button,
            link: self.link,
            footer: t.answer_footer.to_owned(),
        };
        body.render(&self.brand, lang, fill(t.answer_subject, &vars))
    }
}

/// A team member's sign-in link; the first one is their invitation.
#[derive(Debug, Clone)]
pub struct SignInEmail<'a> {
    pub brand: Brand<'a>,
    pub locale: &'a str,
    pub member_name: &'a str,
    /// The role they were invited as, when this is an invitation.
    pub invited_as: Option<&'a str>,
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
        let promised = self.promised_date.unwrap_or(self.due_date);
        let vars = [
            ("company", company),
            ("number", self.number),
            ("name", self.customer_name),
            ("support", self.brand.support_email),
            ("date", promised),
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
            Purpose::PromiseDue => (
                t.promise_subject,
                t.promise_intro,
                [(t.amount_due, self.amount_due), (t.promised_date, promised)],
                t.view_and_pay,
            ),
            Purpose::InstalmentDue => (
                t.instalment_subject,
                t.instalment_intro,
                [(t.next_instalment, self.amount_due), (t.due_date, promised)],
                t.view_and_pay,
            ),
            Purpose::InstalmentCharged => (
                t.instalment_subject,
                t.instalment_charge_intro,
                [(t.next_instalment, self.amount_due), (t.due_date, promised)],
                t.view_invoice,
            ),
            Purpose::PlanAccepted => (
                t.plan_accepted_subject,
                t.plan_accepted_intro,
                [(t.next_instalment, self.amount_due), (t.due_date, promised)],
                t.view_invoice,
            ),
            Purpose::PlanRejected => (
                t.plan_rejected_subject,
                t.plan_rejected_intro,
                [(t.amount_due, self.amount_due), (t.due_date, self.due_date)],
                t.view_and_pay,
            ),
            Purpose::ScheduledRetry => (
                t.scheduled_failed_subject,
                t.scheduled_retry_intro,
                [(t.amount_due, self.amount_due), (t.next_attempt, promised)],
                t.view_and_pay,
            ),
            Purpose::ScheduledGaveUp => (
                t.scheduled_failed_subject,
                t.scheduled_gave_up_intro,
                [(t.amount_due, self.amount_due), (t.due_date, self.due_date)],
                t.view_and_pay,
            ),
        };
        let subject = fill(subject, &vars);
        let mut intro = fill(intro, &vars);
        if let (Purpose::Invoice, Some(old)) = (self.purpose, self.replaces) {
            intro.push(' ');
            intro.push_str(&fill(t.invoice_replaces, &[("replaces", old)]));
        }
        if let (Purpose::Invoice, Some(saving)) = (self.purpose, self.saving) {
            intro.push(' ');
            intro.push_str(saving);
            intro.push('.');
        }
        if let Some(words) = self.message {
            intro.push_str(&format!("\n\n“{words}”"));
        }
        let body = Body {
            greeting: fill(t.greeting, &vars),
            intro,
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

impl SignInEmail<'_> {
    pub fn render(&self) -> Rendered {
        let lang = Lang::from_locale(self.locale);
        let t: &EmailText = email_text(lang);
        let role = self.invited_as.unwrap_or("");
        let vars = [
            ("company", self.brand.display_name),
            ("name", self.member_name),
            ("role", role),
        ];
        let intro = match self.invited_as {
            Some(_) => t.invite_intro,
            None => t.sign_in_intro,
        };
        let body = Body {
            greeting: fill(t.greeting, &vars),
            intro: fill(intro, &vars),
            rows: &[],
            button: t.sign_in_button,
            link: self.link,
            footer: t.sign_in_ignore.to_owned(),
        };
        body.render(&self.brand, lang, fill(t.sign_in_subject, &vars))
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
        let html = super::html::render(&super::html::Plain {
            frame: frame(brand, lang, &subject),
            greeting: &self.greeting,
            intro: &self.intro,
            rows: self.rows,
            button_href: self.link,
            button_label: self.button,
            footer: &self.footer,
        });
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
pub(super) fn colour<'a>(brand: &Brand<'a>) -> &'a str {
    brand
        .primary_color
        .filter(|c| is_hex_colour(c))
        .unwrap_or("#1a56db")
}

/// The layout around an email: language, title, colour bar, logo or name.
pub(super) fn frame<'a>(brand: &Brand<'a>, lang: Lang, subject: &'a str) -> super::html::Frame<'a> {
    super::html::Frame {
        lang: lang.code(),
        dir: if lang.rtl() { "rtl" } else { "ltr" },
        title: subject,
        colour: colour(brand),
        logo: logo(brand),
        name: brand.display_name,
        footer: brand.footer,
    }
}

/// The logo to show, when it is a web address (the name otherwise).
pub(super) fn logo<'a>(brand: &Brand<'a>) -> Option<&'a str> {
    brand
        .logo_url
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
pub(super) mod tests;
