//! The emails' HTML, from templates (`edge/templates/email/`) compiled in
//! by askama. Every value is escaped by default; nothing is written as HTML
//! by hand. The layout (`layout.html`: the card, its colour bar, the logo or
//! name) is shared; `plain.html` is the invoice, receipt, failed-debit and
//! link emails, `reminder.html` the reminders and statements.

use askama::Template;

/// What the layout shows around every email: the document's language and
/// direction, its title, the colour bar, and the logo or the company's name.
pub(super) struct Frame<'a> {
    pub lang: &'a str,
    pub dir: &'a str,
    pub title: &'a str,
    pub colour: &'a str,
    pub logo: Option<&'a str>,
    pub name: &'a str,
    pub footer: Option<&'a str>,
}

/// The invoice, receipt, failed-debit and link emails.
#[derive(Template)]
#[template(path = "email/plain.html")]
pub(super) struct Plain<'a> {
    pub frame: Frame<'a>,
    pub greeting: &'a str,
    pub intro: &'a str,
    pub rows: &'a [(&'a str, &'a str)],
    pub button_href: &'a str,
    pub button_label: &'a str,
    pub footer: &'a str,
}

/// One invoice in a reminder's table.
pub(super) struct Row<'a> {
    pub number: &'a str,
    pub due_date: &'a str,
    /// "3 days overdue", in words (and in red when late: never colour alone).
    pub status: String,
    pub late: bool,
    pub amount: &'a str,
}

/// Reminders and statements.
#[derive(Template)]
#[template(path = "email/reminder.html")]
pub(super) struct Reminder<'a> {
    pub frame: Frame<'a>,
    /// The template's text, in paragraphs of lines.
    pub paragraphs: Vec<Vec<&'a str>>,
    /// `left`/`right`, mirrored for right-to-left languages.
    pub start: &'a str,
    pub end: &'a str,
    pub head_invoice: &'a str,
    pub head_due_date: &'a str,
    pub head_status: &'a str,
    pub head_amount: &'a str,
    pub rows: Vec<Row<'a>>,
    pub total_label: &'a str,
    pub total: &'a str,
    pub button_href: &'a str,
    pub button_label: &'a str,
    pub portal_link: &'a str,
    pub view_all: &'a str,
    pub contact: &'a str,
    pub preferences_link: &'a str,
    pub preferences_label: &'a str,
    pub stop_label: &'a str,
}

/// Renders a template; a template that cannot render (it has no fallible
/// parts) would give an empty body rather than a panic.
pub(super) fn render(t: &impl Template) -> String {
    t.render().unwrap_or_default()
}
