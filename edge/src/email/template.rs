//! Reminder templates: a subject and a body in which an organization writes
//! `{{ variable }}` where Settle fills in the customer's details.
//!
//! A [`Template`] is parsed once, when it is saved or loaded, so that a
//! mistake is reported to the person who made it, with where it is; past
//! [`Template::parse`] rendering cannot fail. Rendering yields plain text:
//! the email layout escapes it for HTML.

use crate::i18n::Lang;

/// The variables a template may use, in the order they are documented.
pub const VARIABLES: &[&str] = &[
    "customer_name",
    "company_name",
    "company_email",
    "invoice_numbers",
    "invoice_count",
    "amount_due",
    "due_date",
    "days_overdue",
    "pay_link",
    "portal_link",
];

/// The built-in templates, from the gentlest to the statement.
pub const KEYS: &[&str] = &["friendly", "firm", "final", "statement"];

/// The longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest body, in characters.
pub const MAX_BODY_CHARS: usize = 5000;

/// Which part of a template an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Subject,
    Body,
}

impl Field {
    /// `"subject"` or `"body"`, as the API names the field.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Subject => "subject",
            Field::Body => "body",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a template cannot be used. Messages are written for the person
/// editing the template; lines and columns count from 1, in characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "The {field} uses the unknown variable “{name}” at line {line}, column {column}. \
         Use one of: {allowed}.",
        allowed = VARIABLES.join(", ")
    )]
    UnknownVariable {
        field: Field,
        name: String,
        line: usize,
        column: usize,
    },
    #[error(
        "The {field} opens a variable with “{{{{” at line {line}, column {column} but does not \
         close it with “}}}}” on the same line."
    )]
    Unclosed {
        field: Field,
        line: usize,
        column: usize,
    },
    #[error(
        "The {field} has an empty variable “{{{{}}}}” at line {line}, column {column}. \
         Write a variable name inside, such as {{{{ customer_name }}}}."
    )]
    EmptyVariable {
        field: Field,
        line: usize,
        column: usize,
    },
    #[error(
        "The {field} has a “}}}}” at line {line}, column {column} that closes no variable. \
         Remove it, or open the variable with “{{{{”."
    )]
    StrayClose {
        field: Field,
        line: usize,
        column: usize,
    },
    #[error("The subject is empty. Write a short subject line.")]
    EmptySubject,
    #[error(
        "The subject is {chars} characters long. Keep it to {MAX_SUBJECT_CHARS} characters or fewer."
    )]
    SubjectTooLong { chars: usize },
    #[error("The subject must be a single line: remove the line break.")]
    SubjectMultiline,
    #[error("The body is empty. Write the message the customer will read.")]
    EmptyBody,
    #[error(
        "The body is {chars} characters long. Keep it to {MAX_BODY_CHARS} characters or fewer."
    )]
    BodyTooLong { chars: usize },
}

impl TemplateError {
    /// The stable machine code, the same for every template error.
    pub fn code(&self) -> &'static str {
        "template_invalid"
    }

    /// `"subject"` or `"body"`: the field to point the editor at.
    pub fn field(&self) -> &'static str {
        match self {
            TemplateError::UnknownVariable { field, .. }
            | TemplateError::Unclosed { field, .. }
            | TemplateError::EmptyVariable { field, .. }
            | TemplateError::StrayClose { field, .. } => field.as_str(),
            TemplateError::EmptySubject
            | TemplateError::SubjectTooLong { .. }
            | TemplateError::SubjectMultiline => Field::Subject.as_str(),
            TemplateError::EmptyBody | TemplateError::BodyTooLong { .. } => Field::Body.as_str(),
        }
    }

    /// The message for a person.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

/// One variable, known to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    CustomerName,
    CompanyName,
    CompanyEmail,
    InvoiceNumbers,
    InvoiceCount,
    AmountDue,
    DueDate,
    DaysOverdue,
    PayLink,
    PortalLink,
}

impl Var {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "customer_name" => Var::CustomerName,
            "company_name" => Var::CompanyName,
            "company_email" => Var::CompanyEmail,
            "invoice_numbers" => Var::InvoiceNumbers,
            "invoice_count" => Var::InvoiceCount,
            "amount_due" => Var::AmountDue,
            "due_date" => Var::DueDate,
            "days_overdue" => Var::DaysOverdue,
            "pay_link" => Var::PayLink,
            "portal_link" => Var::PortalLink,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// The values a template is rendered with, already formatted for the
/// customer's locale.
#[derive(Debug, Clone, Default)]
pub struct Vars<'a> {
    pub customer_name: &'a str,
    pub company_name: &'a str,
    pub company_email: &'a str,
    /// `INV-1001, INV-1002`
    pub invoice_numbers: &'a str,
    pub invoice_count: &'a str,
    /// The formatted total due, such as `$120.00` or `120.00 USD + 80.00 EUR`.
    pub amount_due: &'a str,
    /// The earliest due date, formatted.
    pub due_date: &'a str,
    /// The largest number of days overdue; `0` when nothing is overdue.
    pub days_overdue: &'a str,
    pub pay_link: &'a str,
    pub portal_link: &'a str,
}

impl<'a> Vars<'a> {
    fn get(&self, var: Var) -> &'a str {
        match var {
            Var::CustomerName => self.customer_name,
            Var::CompanyName => self.company_name,
            Var::CompanyEmail => self.company_email,
            Var::InvoiceNumbers => self.invoice_numbers,
            Var::InvoiceCount => self.invoice_count,
            Var::AmountDue => self.amount_due,
            Var::DueDate => self.due_date,
            Var::DaysOverdue => self.days_overdue,
            Var::PayLink => self.pay_link,
            Var::PortalLink => self.portal_link,
        }
    }
}

/// A valid template: its source, kept to show and save again, and its
/// parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    subject: String,
    body: String,
    subject_parts: Vec<Part>,
    body_parts: Vec<Part>,
}

impl Template {
    /// Checks a subject and body and parses their variables.
    pub fn parse(subject: &str, body: &str) -> Result<Template, TemplateError> {
        if subject.trim().is_empty() {
            return Err(TemplateError::EmptySubject);
        }
        if subject.contains(['\n', '\r']) {
            return Err(TemplateError::SubjectMultiline);
        }
        let chars = subject.chars().count();
        if chars > MAX_SUBJECT_CHARS {
            return Err(TemplateError::SubjectTooLong { chars });
        }
        let subject_parts = parse_parts(subject, Field::Subject)?;
        if body.trim().is_empty() {
            return Err(TemplateError::EmptyBody);
        }
        let chars = body.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(TemplateError::BodyTooLong { chars });
        }
        let body_parts = parse_parts(body, Field::Body)?;
        Ok(Template {
            subject: subject.to_owned(),
            body: body.to_owned(),
            subject_parts,
            body_parts,
        })
    }

    /// The subject as written.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The body as written.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The subject and the body text with the variables filled in, as plain
    /// text. Line breaks in values never reach the subject.
    pub fn render(&self, vars: &Vars<'_>) -> (String, String) {
        let subject = fill(&self.subject_parts, vars)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        (subject, fill(&self.body_parts, vars))
    }
}

fn fill(parts: &[Part], vars: &Vars<'_>) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Var(v) => out.push_str(vars.get(*v)),
        }
    }
    out
}

/// 1-based line and column, in characters, of byte offset `at`.
fn position(source: &str, at: usize) -> (usize, usize) {
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn parse_parts(source: &str, field: Field) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < source.len() {
        let rest = &source[i..];
        if rest.starts_with("}}") {
            let (line, column) = position(source, i);
            return Err(TemplateError::StrayClose {
                field,
                line,
                column,
            });
        }
        if !rest.starts_with("{{") {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let (line, column) = position(source, i);
        let inner = &rest[2..];
        // A variable sits on one line; a second `{{` or a line break before
        // `}}` means the first one was never closed.
        let stop = [inner.find(['\n', '\r']), inner.find("{{")]
            .into_iter()
            .flatten()
            .min();
        let close = inner.find("}}").filter(|c| stop.is_none_or(|s| *c < s));
        let Some(close) = close else {
            return Err(TemplateError::Unclosed {
                field,
                line,
                column,
            });
        };
        let name = inner[..close].trim();
        if name.is_empty() {
            return Err(TemplateError::EmptyVariable {
                field,
                line,
                column,
            });
        }
        let Some(var) = Var::from_name(name) else {
            return Err(TemplateError::UnknownVariable {
                field,
                name: name.to_owned(),
                line,
                column,
            });
        };
        if text_start < i {
            parts.push(Part::Text(source[text_start..i].to_owned()));
        }
        parts.push(Part::Var(var));
        i += 2 + close + 2;
        text_start = i;
    }
    if text_start < source.len() {
        parts.push(Part::Text(source[text_start..].to_owned()));
    }
    Ok(parts)
}

/// A built-in template in `lang`, or `None` for a key not in [`KEYS`].
pub fn default_template(key: &str, lang: Lang) -> Option<Template> {
    let (subject, body) = default_source(key, lang)?;
    // Every built-in template parses; a test holds this.
    Template::parse(subject, body).ok()
}

fn default_source(key: &str, lang: Lang) -> Option<(&'static str, &'static str)> {
    Some(match (key, lang) {
        ("friendly", Lang::En) => (
            "Payment reminder: {{ invoice_numbers }} due {{ due_date }}",
            "Hello {{ customer_name }},\n\n\
             This is a friendly reminder that payment of {{ amount_due }} for {{ invoice_numbers }} \
             is due on {{ due_date }}.\n\n\
             You can pay securely online with the button below. If you have already paid, thank \
             you, and please disregard this message.\n\n\
             Kind regards,\n{{ company_name }}",
        ),
        ("friendly", Lang::Fr) => (
            "Rappel de paiement : {{ invoice_numbers }}, échéance le {{ due_date }}",
            "Bonjour {{ customer_name }},\n\n\
             Nous nous permettons de vous rappeler que le paiement de {{ amount_due }} pour \
             {{ invoice_numbers }} arrive à échéance le {{ due_date }}.\n\n\
             Vous pouvez régler en ligne en toute sécurité avec le bouton ci-dessous. Si vous avez \
             déjà effectué ce paiement, merci, et ne tenez pas compte de ce message.\n\n\
             Cordialement,\n{{ company_name }}",
        ),
        ("friendly", Lang::Ar) => (
            "تذكير بالدفع: {{ invoice_numbers }} من {{ company_name }}",
            "مرحبًا {{ customer_name }}،\n\n\
             نودّ تذكيرك بأن مبلغ {{ amount_due }} المستحق عن {{ invoice_numbers }} يحين موعد سداده \
             في {{ due_date }}.\n\n\
             يمكنك الدفع عبر الإنترنت بأمان باستخدام الزر أدناه. إذا كنت قد دفعت بالفعل، فشكرًا لك، \
             ويُرجى تجاهل هذه الرسالة.\n\n\
             مع أطيب التحيات،\n{{ company_name }}",
        ),
        ("firm", Lang::En) => (
            "Overdue: {{ invoice_numbers }} from {{ company_name }}",
            "Hello {{ customer_name }},\n\n\
             Our records show that {{ amount_due }} for {{ invoice_numbers }} was due on \
             {{ due_date }} and has not been paid yet.\n\n\
             Please pay today using the button below. If there is a problem with the invoice or \
             you need more time, reply to this email or write to {{ company_email }} and we will \
             help.\n\n\
             Kind regards,\n{{ company_name }}",
        ),
        ("firm", Lang::Fr) => (
            "Paiement en retard : {{ invoice_numbers }} de {{ company_name }}",
            "Bonjour {{ customer_name }},\n\n\
             Sauf erreur de notre part, le paiement de {{ amount_due }} pour {{ invoice_numbers }}, \
             échu le {{ due_date }}, ne nous est pas encore parvenu.\n\n\
             Merci de procéder au règlement dès aujourd'hui avec le bouton ci-dessous. En cas de \
             difficulté ou de question sur la facture, répondez simplement à cet e-mail ou écrivez \
             à {{ company_email }}.\n\n\
             Cordialement,\n{{ company_name }}",
        ),
        ("firm", Lang::Ar) => (
            "دفعة متأخرة: {{ invoice_numbers }} من {{ company_name }}",
            "مرحبًا {{ customer_name }}،\n\n\
             تشير سجلاتنا إلى أن مبلغ {{ amount_due }} المستحق عن {{ invoice_numbers }} لم يُسدَّد \
             بعد، وقد كان موعد استحقاقه {{ due_date }}.\n\n\
             يُرجى السداد اليوم باستخدام الزر أدناه. إذا كانت هناك مشكلة في الفاتورة أو كنت بحاجة \
             إلى مزيد من الوقت، فردّ على هذه الرسالة أو راسلنا على {{ company_email }} لنساعدك.\n\n\
             مع أطيب التحيات،\n{{ company_name }}",
        ),
        ("final", Lang::En) => (
            "Final notice: {{ amount_due }} overdue to {{ company_name }}",
            "Hello {{ customer_name }},\n\n\
             Despite our earlier reminders, {{ amount_due }} for {{ invoice_numbers }} remains \
             unpaid. It was due on {{ due_date }}.\n\n\
             This is our final notice before your account is escalated for collection. Please pay \
             the full amount now using the button below.\n\n\
             If you cannot pay in full, or you believe this notice is a mistake, reply to this \
             email or write to {{ company_email }} today so that we can agree on a way forward.\n\n\
             {{ company_name }}",
        ),
        ("final", Lang::Fr) => (
            "Dernier avis : {{ amount_due }} en retard auprès de {{ company_name }}",
            "Bonjour {{ customer_name }},\n\n\
             Malgré nos précédents rappels, le montant de {{ amount_due }} pour \
             {{ invoice_numbers }}, échu le {{ due_date }}, reste impayé.\n\n\
             Ceci est notre dernier avis avant que votre compte ne fasse l'objet d'une procédure de \
             recouvrement. Merci de régler la totalité de ce montant sans délai avec le bouton \
             ci-dessous.\n\n\
             Si vous ne pouvez pas payer la totalité ou si vous pensez que cet avis est une erreur, \
             répondez à cet e-mail ou écrivez à {{ company_email }} dès aujourd'hui afin que nous \
             trouvions une solution.\n\n\
             {{ company_name }}",
        ),
        ("final", Lang::Ar) => (
            "إشعار أخير: مبلغ {{ amount_due }} متأخر السداد لدى {{ company_name }}",
            "مرحبًا {{ customer_name }}،\n\n\
             رغم تذكيراتنا السابقة، ما زال مبلغ {{ amount_due }} المستحق عن {{ invoice_numbers }} \
             غير مسدَّد، وقد كان موعد استحقاقه {{ due_date }}.\n\n\
             هذا إشعارنا الأخير قبل إحالة حسابك إلى إجراءات التحصيل. يُرجى سداد المبلغ كاملًا دون \
             تأخير باستخدام الزر أدناه.\n\n\
             إذا لم تتمكن من سداد المبلغ كاملًا أو كنت ترى أن هذا الإشعار صدر عن خطأ، فردّ على هذه \
             الرسالة أو راسلنا على {{ company_email }} اليوم لنتفق معًا على حل.\n\n\
             {{ company_name }}",
        ),
        ("statement", Lang::En) => (
            "Your monthly statement from {{ company_name }}",
            "Hello {{ customer_name }},\n\n\
             Here is your monthly statement from {{ company_name }}. It lists every invoice that is \
             still open on your account.\n\n\
             Open invoices: {{ invoice_count }}\n\
             Total due: {{ amount_due }}\n\
             Earliest due date: {{ due_date }}\n\n\
             You can pay with the button below. If anything looks wrong, reply to this email or \
             write to {{ company_email }}.\n\n\
             Kind regards,\n{{ company_name }}",
        ),
        ("statement", Lang::Fr) => (
            "Votre relevé mensuel de {{ company_name }}",
            "Bonjour {{ customer_name }},\n\n\
             Voici votre relevé mensuel de {{ company_name }}. Il reprend toutes les factures \
             encore ouvertes sur votre compte.\n\n\
             Factures ouvertes : {{ invoice_count }}\n\
             Total dû : {{ amount_due }}\n\
             Première échéance : {{ due_date }}\n\n\
             Vous pouvez régler avec le bouton ci-dessous. Si un élément vous semble inexact, \
             répondez à cet e-mail ou écrivez à {{ company_email }}.\n\n\
             Cordialement,\n{{ company_name }}",
        ),
        ("statement", Lang::Ar) => (
            "كشف حسابك الشهري من {{ company_name }}",
            "مرحبًا {{ customer_name }}،\n\n\
             إليك كشف حسابك الشهري من {{ company_name }}، ويتضمن جميع الفواتير التي لم تُسدَّد بعد.\n\n\
             عدد الفواتير المفتوحة: {{ invoice_count }}\n\
             إجمالي المستحق: {{ amount_due }}\n\
             أقرب تاريخ استحقاق: {{ due_date }}\n\n\
             يمكنك السداد باستخدام الزر أدناه. إذا بدا لك أي بند غير صحيح، فردّ على هذه الرسالة أو \
             راسلنا على {{ company_email }}.\n\n\
             مع أطيب التحيات،\n{{ company_name }}",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            customer_name: "Ann",
            company_name: "Acme",
            company_email: "billing@acme.test",
            invoice_numbers: "INV-1, INV-2",
            invoice_count: "2",
            amount_due: "$200.00",
            due_date: "Dec 1, 2026",
            days_overdue: "12",
            pay_link: "https://x/pay",
            portal_link: "https://x/all",
        }
    }

    #[test]
    fn parses_with_or_without_spaces_and_renders_plain_text() {
        let t = Template::parse(
            "{{invoice_numbers}} due {{ due_date }}",
            "Hi {{customer_name }},\n\n{{ amount_due }} is {{ days_overdue }} days late; \
             {{ invoice_count }} invoices.\nPay: {{ pay_link }} or {{portal_link}}.\n\
             {{ company_name }} <{{ company_email }}> {single} braces } stay",
        )
        .unwrap();
        let (subject, body) = t.render(&vars());
        assert_eq!(subject, "INV-1, INV-2 due Dec 1, 2026");
        assert_eq!(
            body,
            "Hi Ann,\n\n$200.00 is 12 days late; 2 invoices.\nPay: https://x/pay or \
             https://x/all.\nAcme <billing@acme.test> {single} braces } stay"
        );
        assert_eq!(t.subject(), "{{invoice_numbers}} due {{ due_date }}");
    }

    #[test]
    fn values_are_inserted_as_is_but_never_break_the_subject() {
        let t = Template::parse("For {{ customer_name }}", "{{ customer_name }}").unwrap();
        let v = Vars {
            customer_name: "<b>{{ x }}\r\nBcc: y",
            ..vars()
        };
        let (subject, body) = t.render(&v);
        assert_eq!(subject, "For <b>{{ x }}  Bcc: y");
        assert_eq!(body, "<b>{{ x }}\r\nBcc: y");
    }

    #[test]
    fn an_unknown_variable_is_named_with_where_it_is() {
        let err = Template::parse("Hi", "Hello,\n\nDear  {{ first_name }}").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownVariable {
                field: Field::Body,
                name: "first_name".into(),
                line: 3,
                column: 7,
            }
        );
        assert_eq!(err.field(), "body");
        assert_eq!(err.code(), "template_invalid");
        assert_eq!(
            err.message(),
            "The body uses the unknown variable “first_name” at line 3, column 7. Use one of: \
             customer_name, company_name, company_email, invoice_numbers, invoice_count, \
             amount_due, due_date, days_overdue, pay_link, portal_link."
        );
        // Columns count characters, not bytes.
        let err = Template::parse("Été {{Name}}", "x").unwrap_err();
        assert_eq!(
            (
                err.field(),
                err.message().contains("“Name” at line 1, column 5")
            ),
            ("subject", true)
        );
    }

    #[test]
    fn braces_that_do_not_pair_are_reported() {
        let err = Template::parse("Hi", "a\nb {{ customer_name").unwrap_err();
        assert_eq!(
            err,
            TemplateError::Unclosed {
                field: Field::Body,
                line: 2,
                column: 3
            }
        );
        assert_eq!(
            err.message(),
            "The body opens a variable with “{{” at line 2, column 3 but does not close it with \
             “}}” on the same line."
        );
        // Closed only on the next line, or after another opening: unclosed.
        assert!(matches!(
            Template::parse("Hi", "{{ customer_name\n}}"),
            Err(TemplateError::Unclosed {
                line: 1,
                column: 1,
                ..
            })
        ));
        assert!(matches!(
            Template::parse("Hi", "x {{ a {{ customer_name }}"),
            Err(TemplateError::Unclosed {
                line: 1,
                column: 3,
                ..
            })
        ));

        let err = Template::parse("Hi {{ }}", "x").unwrap_err();
        assert_eq!(
            err,
            TemplateError::EmptyVariable {
                field: Field::Subject,
                line: 1,
                column: 4
            }
        );
        assert_eq!(
            err.message(),
            "The subject has an empty variable “{{}}” at line 1, column 4. Write a variable name \
             inside, such as {{ customer_name }}."
        );

        let err = Template::parse("Hi", "ok {{ due_date }}\n  }} x").unwrap_err();
        assert_eq!(
            err,
            TemplateError::StrayClose {
                field: Field::Body,
                line: 2,
                column: 3
            }
        );
        assert_eq!(
            err.message(),
            "The body has a “}}” at line 2, column 3 that closes no variable. Remove it, or open \
             the variable with “{{”."
        );
    }

    #[test]
    fn subject_and_body_have_limits() {
        let check = |subject: &str, body: &str, field: &str, message: &str| {
            let err = Template::parse(subject, body).unwrap_err();
            assert_eq!((err.field(), err.message().as_str()), (field, message));
        };
        check(
            "  ",
            "x",
            "subject",
            "The subject is empty. Write a short subject line.",
        );
        check(
            "a\nb",
            "x",
            "subject",
            "The subject must be a single line: remove the line break.",
        );
        check(
            &"é".repeat(201),
            "x",
            "subject",
            "The subject is 201 characters long. Keep it to 200 characters or fewer.",
        );
        check(
            "x",
            "\n\n",
            "body",
            "The body is empty. Write the message the customer will read.",
        );
        check(
            "x",
            &"a".repeat(5001),
            "body",
            "The body is 5001 characters long. Keep it to 5000 characters or fewer.",
        );
        assert!(Template::parse(&"é".repeat(200), &"a".repeat(5000)).is_ok());
    }

    #[test]
    fn every_default_parses_in_every_language() {
        for key in KEYS {
            for lang in [Lang::En, Lang::Fr, Lang::Ar] {
                let (subject, body) = default_source(key, lang).unwrap();
                let t = Template::parse(subject, body)
                    .unwrap_or_else(|e| panic!("{key} in {lang:?}: {e}"));
                assert_eq!(default_template(key, lang), Some(t.clone()));
                let (subject, body) = t.render(&vars());
                assert!(!subject.contains("{{") && !body.contains("{{"));
                assert!(
                    body.contains("Ann") && body.contains("Acme"),
                    "{key} {lang:?}"
                );
            }
        }
        assert_eq!(default_template("gentle", Lang::En), None);
    }

    #[test]
    fn variables_list_matches_the_parser() {
        for name in VARIABLES {
            assert!(Var::from_name(name).is_some(), "{name}");
        }
        assert_eq!(VARIABLES.len(), 10);
    }
}
