//! Collection letters: a branded letter to a customer listing their overdue
//! invoices, as a printable HTML page and as a PDF. Plain Rust: the worker
//! reads the facts, these functions write the document.

mod pdf;
#[cfg(test)]
mod tests;

use crate::i18n::{Lang, amount, date, fill};
use askama::Template;
use std::collections::BTreeMap;

/// One overdue invoice on the letter.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    pub days_late: i64,
    /// What is still due, in minor units.
    pub due: i64,
    pub currency: String,
}

/// Everything a letter says.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub company: String,
    pub support_email: Option<String>,
    pub footer: Option<String>,
    /// `#rrggbb`.
    pub colour: String,
    pub logo_url: Option<String>,
    pub customer: String,
    pub customer_email: String,
    pub locale: String,
    /// `YYYY-MM-DD`.
    pub today: String,
    /// Days from today the customer is asked to pay within.
    pub pay_within_days: i64,
    /// Where the customer pays online (the page that emails a fresh link).
    pub pay_url: String,
    pub items: Vec<Item>,
}

struct Words {
    subject: &'static str,
    greeting: &'static str,
    /// `{n}`
    intro: &'static str,
    invoice: &'static str,
    issued: &'static str,
    due: &'static str,
    late: &'static str,
    amount: &'static str,
    total: &'static str,
    /// `{date}`
    ask: &'static str,
    /// `{url}`, `{email}`
    online: &'static str,
    ignore: &'static str,
    regards: &'static str,
}

static EN: Words = Words {
    subject: "Overdue invoices",
    greeting: "Dear {name},",
    intro: "According to our records, the following invoices are past due ({n}):",
    invoice: "Invoice",
    issued: "Issued",
    due: "Due",
    late: "Days late",
    amount: "Amount due",
    total: "Total due",
    ask: "Please pay the amount due by {date}, or contact us if something is wrong with these invoices.",
    online: "Pay online at {url} with your email address {email}: we will send you a secure link.",
    ignore: "If you have paid in the last few days, thank you, and please disregard this letter.",
    regards: "Kind regards,",
};

static FR: Words = Words {
    subject: "Factures échues",
    greeting: "Madame, Monsieur ({name}),",
    intro: "Selon nos registres, les factures suivantes sont échues ({n}) :",
    invoice: "Facture",
    issued: "Émise le",
    due: "Échéance",
    late: "Jours de retard",
    amount: "Reste dû",
    total: "Total dû",
    ask: "Merci de régler le montant dû avant le {date}, ou de nous contacter si ces factures posent un problème.",
    online: "Payez en ligne sur {url} avec votre adresse {email} : nous vous enverrons un lien sécurisé.",
    ignore: "Si vous avez payé ces derniers jours, merci, et veuillez ne pas tenir compte de ce courrier.",
    regards: "Salutations distinguées,",
};

static AR: Words = Words {
    subject: "فواتير متأخرة",
    greeting: "عزيزنا {name}،",
    intro: "وفقًا لسجلاتنا، الفواتير التالية متأخرة عن موعد استحقاقها ({n}):",
    invoice: "الفاتورة",
    issued: "تاريخ الإصدار",
    due: "الاستحقاق",
    late: "أيام التأخير",
    amount: "المبلغ المستحق",
    total: "الإجمالي المستحق",
    ask: "يرجى دفع المبلغ المستحق قبل {date}، أو التواصل معنا إذا كان هناك خطأ في هذه الفواتير.",
    online: "ادفع عبر الإنترنت على {url} باستخدام بريدك {email}: سنرسل لك رابطًا آمنًا.",
    ignore: "إذا كنت قد دفعت في الأيام الأخيرة فشكرًا لك، ويرجى تجاهل هذه الرسالة.",
    regards: "مع التحية،",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

/// The letter's text, laid out once for both HTML and PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub lang: &'static str,
    pub rtl: bool,
    pub title: String,
    pub date: String,
    pub greeting: String,
    pub intro: String,
    pub head: [String; 5],
    /// Number, issued, due, days late, amount.
    pub rows: Vec<[String; 5]>,
    /// One line per currency.
    pub totals: Vec<String>,
    pub paragraphs: Vec<String>,
    pub regards: String,
}

/// Words the letter in the customer's language (English, French, Arabic).
pub fn text(l: &Letter) -> Text {
    let lang = Lang::from_locale(&l.locale);
    let w = words(lang);
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for i in &l.items {
        *totals.entry(&i.currency).or_default() += i.due;
    }
    let pay_by = settle_shared::time::parse_date(&l.today)
        .map(|d| (d + chrono::Days::new(l.pay_within_days.max(0) as u64)).to_string())
        .unwrap_or_else(|| l.today.clone());
    let mut paragraphs = vec![
        fill(w.ask, &[("date", &date(&pay_by, &l.locale))]),
        fill(
            w.online,
            &[("url", &l.pay_url), ("email", &l.customer_email)],
        ),
        w.ignore.to_owned(),
    ];
    if let Some(f) = &l.footer {
        paragraphs.push(f.clone());
    }
    Text {
        lang: lang.code(),
        rtl: lang.rtl(),
        title: w.subject.to_owned(),
        date: date(&l.today, &l.locale),
        greeting: fill(w.greeting, &[("name", &l.customer)]),
        intro: fill(w.intro, &[("n", &l.items.len().to_string())]),
        head: [w.invoice, w.issued, w.due, w.late, w.amount].map(str::to_owned),
        rows: l
            .items
            .iter()
            .map(|i| {
                [
                    i.number.clone(),
                    date(&i.issue_date, &l.locale),
                    date(&i.due_date, &l.locale),
                    i.days_late.to_string(),
                    amount(i.due, &i.currency, &l.locale),
                ]
            })
            .collect(),
        totals: totals
            .into_iter()
            .map(|(c, a)| format!("{}: {}", w.total, amount(a, c, &l.locale)))
            .collect(),
        paragraphs,
        regards: w.regards.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "letter.html")]
struct Page<'a> {
    l: &'a Letter,
    t: &'a Text,
}

/// The letter as a printable HTML page (A4, the company's colour and logo;
/// every value escaped).
pub fn html(l: &Letter) -> String {
    let t = text(l);
    Page { l, t: &t }
        .render()
        .unwrap_or_else(|e| format!("letter: {e}"))
}

/// The letter as a PDF (A4, built-in Helvetica; text outside Latin-1 is
/// written as `?`, so an Arabic letter's PDF is in English and its HTML
/// page in Arabic).
pub fn pdf(l: &Letter) -> Vec<u8> {
    let mut latin = l.clone();
    if Lang::from_locale(&l.locale) == Lang::Ar {
        latin.locale = "en".into();
    }
    pdf::write(&latin, &text(&latin))
}
