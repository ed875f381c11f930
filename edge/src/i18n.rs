//! Email wording per language. The portal has its own catalog; these are the
//! few sentences the worker writes itself.

/// The languages Settle writes in; others fall back to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Ar,
}

impl Lang {
    /// From a BCP 47 tag such as `fr-CA`.
    pub fn from_locale(locale: &str) -> Self {
        match locale.split('-').next().unwrap_or("") {
            "fr" => Lang::Fr,
            "ar" => Lang::Ar,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Ar => "ar",
        }
    }

    pub fn rtl(self) -> bool {
        self == Lang::Ar
    }
}

/// Sentences of the invoice and link emails.
pub struct EmailText {
    pub invoice_subject: &'static str,
    pub greeting: &'static str,
    pub invoice_intro: &'static str,
    pub amount_due: &'static str,
    pub due_date: &'static str,
    pub view_and_pay: &'static str,
    pub questions: &'static str,
    pub link_subject: &'static str,
    pub link_intro: &'static str,
    pub open_invoices: &'static str,
    pub link_ignore: &'static str,
}

pub fn email_text(lang: Lang) -> &'static EmailText {
    match lang {
        Lang::En => &EmailText {
            invoice_subject: "Invoice {number} from {company}",
            greeting: "Hello {name},",
            invoice_intro: "{company} has sent you invoice {number}.",
            amount_due: "Amount due",
            due_date: "Due date",
            view_and_pay: "View and pay invoice",
            questions: "Questions about this invoice? Write to {support}.",
            link_subject: "Your link to {company} invoices",
            link_intro: "Here is a fresh link to see and pay your invoices from {company}.",
            open_invoices: "Open my invoices",
            link_ignore: "If you did not ask for this link, you can ignore this email.",
        },
        Lang::Fr => &EmailText {
            invoice_subject: "Facture {number} de {company}",
            greeting: "Bonjour {name},",
            invoice_intro: "{company} vous a envoyé la facture {number}.",
            amount_due: "Montant dû",
            due_date: "Échéance",
            view_and_pay: "Voir et payer la facture",
            questions: "Une question sur cette facture ? Écrivez à {support}.",
            link_subject: "Votre lien vers les factures de {company}",
            link_intro: "Voici un nouveau lien pour consulter et payer vos factures de {company}.",
            open_invoices: "Ouvrir mes factures",
            link_ignore: "Si vous n'avez pas demandé ce lien, ignorez cet e-mail.",
        },
        Lang::Ar => &EmailText {
            invoice_subject: "الفاتورة {number} من {company}",
            greeting: "مرحبًا {name}،",
            invoice_intro: "أرسلت إليك {company} الفاتورة {number}.",
            amount_due: "المبلغ المستحق",
            due_date: "تاريخ الاستحقاق",
            view_and_pay: "عرض الفاتورة ودفعها",
            questions: "هل لديك سؤال حول هذه الفاتورة؟ راسل {support}.",
            link_subject: "رابطك إلى فواتير {company}",
            link_intro: "إليك رابطًا جديدًا لعرض فواتيرك من {company} ودفعها.",
            open_invoices: "فتح فواتيري",
            link_ignore: "إذا لم تطلب هذا الرابط، يمكنك تجاهل هذه الرسالة.",
        },
    }
}

/// Replaces `{key}` placeholders.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_language_and_fills() {
        assert_eq!(Lang::from_locale("fr-CA"), Lang::Fr);
        assert_eq!(Lang::from_locale("de"), Lang::En);
        assert!(Lang::from_locale("ar-EG").rtl());
        assert_eq!(fill("Hello {name},", &[("name", "Ann")]), "Hello Ann,");
    }
}
