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

/// A sentence that counts, by CLDR plural category (`zero`, `one`, `two`,
/// `few`, `many`, `other`); `other` is always there.
pub type Plural = &'static [(&'static str, &'static str)];

impl Lang {
    /// The CLDR plural category of `n` in this language (Unicode's rules,
    /// through `intl_pluralrules`).
    pub fn plural_category(self, n: u64) -> &'static str {
        use intl_pluralrules::{PluralCategory as C, PluralRuleType, PluralRules};
        let lang: unic_langid::LanguageIdentifier = self.code().parse().unwrap_or_default();
        let category = PluralRules::create(lang, PluralRuleType::CARDINAL)
            .ok()
            .and_then(|r| r.select(n).ok());
        match category {
            Some(C::ZERO) => "zero",
            Some(C::ONE) => "one",
            Some(C::TWO) => "two",
            Some(C::FEW) => "few",
            Some(C::MANY) => "many",
            _ => "other",
        }
    }

    /// The sentence of `p` for `n`, with `{n}` filled in.
    pub fn count(self, p: Plural, n: u64) -> String {
        let category = self.plural_category(n);
        let template = p
            .iter()
            .find(|(c, _)| *c == category)
            .or_else(|| p.iter().find(|(c, _)| *c == "other"))
            .map_or("", |(_, t)| *t);
        template.replace("{n}", &n.to_string())
    }
}

impl Lang {
    /// The portal page's heading, as the portal writes it: "Your invoices",
    /// or "Invoice NW-1001" (the landing page shows it before the portal runs).
    pub fn portal_heading(self, invoice_number: Option<&str>) -> String {
        let (list, invoice) = match self {
            Lang::En => ("Your invoices", "Invoice"),
            Lang::Fr => ("Vos factures", "Facture"),
            Lang::Ar => ("فواتيرك", "فاتورة"),
        };
        match invoice_number {
            Some(n) => format!("{invoice} {n}"),
            None => list.to_owned(),
        }
    }
}

/// Sentences of the invoice and link emails.
pub struct EmailText {
    pub invoice_subject: &'static str,
    pub greeting: &'static str,
    pub invoice_intro: &'static str,
    /// Added to the intro of an invoice that corrects another.
    pub invoice_replaces: &'static str,
    pub amount_due: &'static str,
    pub due_date: &'static str,
    pub view_and_pay: &'static str,
    pub questions: &'static str,
    pub link_subject: &'static str,
    pub link_intro: &'static str,
    pub open_invoices: &'static str,
    pub link_ignore: &'static str,
    /// A team member's sign-in link (also their invitation).
    pub sign_in_subject: &'static str,
    pub sign_in_intro: &'static str,
    pub invite_intro: &'static str,
    pub sign_in_button: &'static str,
    pub sign_in_ignore: &'static str,
    /// The company answered in a thread while the customer was away.
    pub answer_subject: &'static str,
    pub answer_intro: &'static str,
    pub answer_button: &'static str,
    pub answer_footer: &'static str,
    pub receipt_subject: &'static str,
    pub receipt_intro: &'static str,
    pub amount_paid: &'static str,
    pub balance_due: &'static str,
    pub view_invoice: &'static str,
    pub failed_subject: &'static str,
    pub failed_intro: &'static str,
    pub promise_subject: &'static str,
    pub promise_intro: &'static str,
    pub promised_date: &'static str,
    pub instalment_subject: &'static str,
    pub instalment_intro: &'static str,
    pub plan_accepted_subject: &'static str,
    pub plan_accepted_intro: &'static str,
    pub plan_rejected_subject: &'static str,
    pub plan_rejected_intro: &'static str,
    pub next_instalment: &'static str,
    pub early_saving: &'static str,
    pub scheduled_failed_subject: &'static str,
    pub scheduled_retry_intro: &'static str,
    pub scheduled_gave_up_intro: &'static str,
    pub next_attempt: &'static str,
    pub instalment_charge_intro: &'static str,
    /// Reminders: the invoice table's headings and its total.
    pub invoice: &'static str,
    pub status: &'static str,
    pub total_due: &'static str,
    /// How late an invoice is, in days, by plural category.
    pub overdue: Plural,
    pub due_today: &'static str,
    pub due_tomorrow: &'static str,
    /// How soon an invoice is due, in days (2 or more), by plural category.
    pub due_in: Plural,
    pub pay_now: &'static str,
    pub view_all_invoices: &'static str,
    pub reminder_contact: &'static str,
    pub reminder_preferences: &'static str,
    pub stop_reminders: &'static str,
}

pub fn email_text(lang: Lang) -> &'static EmailText {
    match lang {
        Lang::En => &EmailText {
            invoice_subject: "Invoice {number} from {company}",
            greeting: "Hello {name},",
            invoice_intro: "{company} has sent you invoice {number}.",
            invoice_replaces: "It replaces invoice {replaces}, which is void: there is nothing to pay on that one.",
            amount_due: "Amount due",
            due_date: "Due date",
            view_and_pay: "View and pay invoice",
            questions: "Questions about this invoice? Write to {support}.",
            link_subject: "Your link to {company} invoices",
            link_intro: "Here is a fresh link to see and pay your invoices from {company}.",
            open_invoices: "Open my invoices",
            link_ignore: "If you did not ask for this link, you can ignore this email.",
            sign_in_subject: "Sign in to {company} on Settle",
            sign_in_intro: "Use the button below to sign in to {company}'s console. The link works once, within 15 minutes.",
            invite_intro: "You have been invited to join {company}'s team on Settle as {role}. Use the button below to sign in; the link works once, within 15 minutes, and you can ask for a new one on the sign-in page.",
            sign_in_button: "Sign in",
            sign_in_ignore: "If you did not ask to sign in, you can ignore this email: nobody can sign in without this link.",
            answer_subject: "{company} answered you about invoice {number}",
            answer_intro: "{company} wrote in your conversation about invoice {number}:",
            answer_button: "Open the conversation",
            answer_footer: "You can answer there, or reply to this email. You get one email like this while you are away, not one per message.",
            receipt_subject: "Receipt for invoice {number} from {company}",
            receipt_intro: "Thank you. {company} received your payment for invoice {number}.",
            amount_paid: "Paid so far",
            balance_due: "Balance due",
            view_invoice: "View invoice",
            failed_subject: "Your payment for invoice {number} did not go through",
            failed_intro: "Your bank debit for invoice {number} from {company} failed, so the invoice is still open. You can pay again with the button below.",
            promise_subject: "Reminder: you promised to pay invoice {number} by {date}",
            promise_intro: "As you told {company}, you plan to pay invoice {number} by {date}. If it is already on its way, thank you; otherwise you can pay now with the button below.",
            promised_date: "Promised date",
            instalment_subject: "Your instalment for invoice {number} is due on {date}",
            instalment_intro: "This is a reminder of your instalment plan with {company}: the next instalment of invoice {number} is due on {date}. You can pay it with the button below.",
            plan_accepted_subject: "Your instalment plan for invoice {number} is set up",
            plan_accepted_intro: "{company} has set up your instalment plan for invoice {number}. The first instalment you have not paid yet is due on {date}; we will remind you the day before each one.",
            plan_rejected_subject: "Your instalment plan for invoice {number} was not accepted",
            plan_rejected_intro: "{company} could not accept the instalment plan you proposed for invoice {number}. The invoice is due as before; you can pay it, or contact {support}.",
            next_instalment: "Next instalment",
            early_saving: "Pay {pay} by {date} to save {saving}",
            scheduled_failed_subject: "We could not take the automatic payment for invoice {number}",
            scheduled_retry_intro: "The automatic payment you scheduled with {company} for invoice {number} did not go through. We will try again on {date}. To pay another way now, use the button below.",
            scheduled_gave_up_intro: "The automatic payment you scheduled with {company} for invoice {number} did not go through, and it will not be tried again. The invoice is still open: please pay it another way with the button below.",
            next_attempt: "Next attempt",
            instalment_charge_intro: "This is a reminder of your instalment plan with {company}: the next instalment of invoice {number} will be charged on {date} with the card or bank account you chose for autopay. There is nothing to do, unless you would rather pay another way.",
            invoice: "Invoice",
            status: "Status",
            total_due: "Total due",
            overdue: &[("one", "{n} day overdue"), ("other", "{n} days overdue")],
            due_today: "Due today",
            due_tomorrow: "Due tomorrow",
            due_in: &[("one", "Due in {n} day"), ("other", "Due in {n} days")],
            pay_now: "Pay now",
            view_all_invoices: "View all invoices",
            reminder_contact: "Questions? Contact {company} at {support}.",
            reminder_preferences: "Reminder preferences",
            stop_reminders: "Stop these reminders",
        },
        Lang::Fr => &EmailText {
            invoice_subject: "Facture {number} de {company}",
            greeting: "Bonjour {name},",
            invoice_intro: "{company} vous a envoyé la facture {number}.",
            invoice_replaces: "Elle remplace la facture {replaces}, annulée : vous n’avez rien à payer sur celle-ci.",
            amount_due: "Montant dû",
            due_date: "Échéance",
            view_and_pay: "Voir et payer la facture",
            questions: "Une question sur cette facture ? Écrivez à {support}.",
            link_subject: "Votre lien vers les factures de {company}",
            link_intro: "Voici un nouveau lien pour consulter et payer vos factures de {company}.",
            open_invoices: "Ouvrir mes factures",
            link_ignore: "Si vous n'avez pas demandé ce lien, ignorez cet e-mail.",
            sign_in_subject: "Connexion à {company} sur Settle",
            sign_in_intro: "Utilisez le bouton ci-dessous pour vous connecter à la console de {company}. Le lien ne sert qu'une fois, dans les 15 minutes.",
            invite_intro: "Vous êtes invité à rejoindre l'équipe de {company} sur Settle en tant que {role}. Utilisez le bouton ci-dessous pour vous connecter ; le lien ne sert qu'une fois, dans les 15 minutes, et vous pouvez en demander un nouveau sur la page de connexion.",
            sign_in_button: "Se connecter",
            sign_in_ignore: "Si vous n'avez pas demandé à vous connecter, ignorez cet e-mail : personne ne peut se connecter sans ce lien.",
            answer_subject: "{company} vous a répondu au sujet de la facture {number}",
            answer_intro: "{company} a écrit dans votre conversation sur la facture {number} :",
            answer_button: "Ouvrir la conversation",
            answer_footer: "Vous pouvez répondre là-bas, ou répondre à cet e-mail. Vous recevez un seul e-mail de ce genre pendant votre absence, pas un par message.",
            receipt_subject: "Reçu pour la facture {number} de {company}",
            receipt_intro: "Merci. {company} a bien reçu votre paiement pour la facture {number}.",
            amount_paid: "Déjà payé",
            balance_due: "Reste à payer",
            view_invoice: "Voir la facture",
            failed_subject: "Votre paiement de la facture {number} n'a pas abouti",
            failed_intro: "Votre prélèvement pour la facture {number} de {company} a échoué ; la facture reste à payer. Vous pouvez payer à nouveau avec le bouton ci-dessous.",
            promise_subject: "Rappel : vous avez promis de régler la facture {number} d’ici le {date}",
            promise_intro: "Comme vous l’avez indiqué à {company}, vous prévoyez de régler la facture {number} d’ici le {date}. Si le paiement est en route, merci ; sinon vous pouvez payer maintenant avec le bouton ci-dessous.",
            promised_date: "Date promise",
            instalment_subject: "Votre échéance pour la facture {number} est due le {date}",
            instalment_intro: "Rappel de votre échéancier avec {company} : la prochaine échéance de la facture {number} est due le {date}. Vous pouvez la régler avec le bouton ci-dessous.",
            plan_accepted_subject: "Votre échéancier pour la facture {number} est en place",
            plan_accepted_intro: "{company} a mis en place votre échéancier pour la facture {number}. La prochaine échéance est due le {date} ; nous vous rappellerons chaque échéance la veille.",
            plan_rejected_subject: "Votre échéancier pour la facture {number} n’a pas été accepté",
            plan_rejected_intro: "{company} n’a pas pu accepter l’échéancier proposé pour la facture {number}. La facture reste due comme avant ; vous pouvez la régler ou écrire à {support}.",
            next_instalment: "Prochaine échéance",
            early_saving: "Payez {pay} d’ici le {date} pour économiser {saving}",
            scheduled_failed_subject: "Le paiement automatique de la facture {number} n'a pas abouti",
            scheduled_retry_intro: "Le paiement automatique que vous aviez programmé avec {company} pour la facture {number} n'a pas abouti. Nous réessaierons le {date}. Pour payer autrement dès maintenant, utilisez le bouton ci-dessous.",
            scheduled_gave_up_intro: "Le paiement automatique que vous aviez programmé avec {company} pour la facture {number} n'a pas abouti et ne sera pas retenté. La facture reste à payer : réglez-la autrement avec le bouton ci-dessous.",
            next_attempt: "Prochaine tentative",
            instalment_charge_intro: "Rappel de votre échéancier avec {company} : la prochaine échéance de la facture {number} sera débitée le {date} avec la carte ou le compte choisi pour le paiement automatique. Vous n’avez rien à faire, sauf si vous préférez payer autrement.",
            invoice: "Facture",
            status: "Statut",
            total_due: "Total dû",
            overdue: &[
                ("one", "En retard de {n} jour"),
                ("other", "En retard de {n} jours"),
            ],
            due_today: "Échéance aujourd'hui",
            due_tomorrow: "Échéance demain",
            due_in: &[
                ("one", "Échéance dans {n} jour"),
                ("other", "Échéance dans {n} jours"),
            ],
            pay_now: "Payer maintenant",
            view_all_invoices: "Voir toutes mes factures",
            reminder_contact: "Une question ? Contactez {company} à l'adresse {support}.",
            reminder_preferences: "Préférences de rappel",
            stop_reminders: "Ne plus recevoir ces rappels",
        },
        Lang::Ar => &EmailText {
            invoice_subject: "الفاتورة {number} من {company}",
            greeting: "مرحبًا {name}،",
            invoice_intro: "أرسلت إليك {company} الفاتورة {number}.",
            invoice_replaces: "وهي تحل محل الفاتورة {replaces} الملغاة: لا شيء مستحق عليها.",
            amount_due: "المبلغ المستحق",
            due_date: "تاريخ الاستحقاق",
            view_and_pay: "عرض الفاتورة ودفعها",
            questions: "هل لديك سؤال حول هذه الفاتورة؟ راسل {support}.",
            link_subject: "رابطك إلى فواتير {company}",
            link_intro: "إليك رابطًا جديدًا لعرض فواتيرك من {company} ودفعها.",
            open_invoices: "فتح فواتيري",
            link_ignore: "إذا لم تطلب هذا الرابط، يمكنك تجاهل هذه الرسالة.",
            sign_in_subject: "تسجيل الدخول إلى {company} على Settle",
            sign_in_intro: "استخدم الزر أدناه لتسجيل الدخول إلى لوحة {company}. يعمل الرابط مرة واحدة خلال 15 دقيقة.",
            invite_intro: "دُعيت للانضمام إلى فريق {company} على Settle بصفة {role}. استخدم الزر أدناه لتسجيل الدخول؛ يعمل الرابط مرة واحدة خلال 15 دقيقة، ويمكنك طلب رابط جديد من صفحة تسجيل الدخول.",
            sign_in_button: "تسجيل الدخول",
            sign_in_ignore: "إذا لم تطلب تسجيل الدخول، يمكنك تجاهل هذه الرسالة: لا يمكن لأحد تسجيل الدخول دون هذا الرابط.",
            answer_subject: "ردّت {company} عليك بشأن الفاتورة {number}",
            answer_intro: "كتبت {company} في محادثتك بشأن الفاتورة {number}:",
            answer_button: "افتح المحادثة",
            answer_footer: "يمكنك الرد هناك أو الرد على هذه الرسالة. تصلك رسالة واحدة من هذا النوع أثناء غيابك، لا رسالة لكل رد.",
            receipt_subject: "إيصال الفاتورة {number} من {company}",
            receipt_intro: "شكرًا لك. استلمت {company} دفعتك للفاتورة {number}.",
            amount_paid: "المدفوع حتى الآن",
            balance_due: "الرصيد المستحق",
            view_invoice: "عرض الفاتورة",
            failed_subject: "لم تكتمل دفعتك للفاتورة {number}",
            failed_intro: "فشل الخصم المصرفي للفاتورة {number} من {company}، لذا ما زالت الفاتورة مستحقة. يمكنك الدفع مجددًا عبر الزر أدناه.",
            promise_subject: "تذكير: وعدت بدفع الفاتورة {number} بحلول {date}",
            promise_intro: "كما أبلغت {company}، تنوي دفع الفاتورة {number} بحلول {date}. إن كانت الدفعة في الطريق فشكرًا لك؛ وإلا يمكنك الدفع الآن عبر الزر أدناه.",
            promised_date: "التاريخ الموعود",
            instalment_subject: "قسطك للفاتورة {number} مستحق في {date}",
            instalment_intro: "تذكير بخطة التقسيط مع {company}: القسط التالي من الفاتورة {number} مستحق في {date}. يمكنك دفعه عبر الزر أدناه.",
            plan_accepted_subject: "تم إعداد خطة التقسيط للفاتورة {number}",
            plan_accepted_intro: "أعدّت {company} خطة التقسيط للفاتورة {number}. القسط التالي مستحق في {date}، وسنذكّرك قبل كل قسط بيوم.",
            plan_rejected_subject: "لم تُقبل خطة التقسيط للفاتورة {number}",
            plan_rejected_intro: "لم تتمكن {company} من قبول خطة التقسيط المقترحة للفاتورة {number}. الفاتورة مستحقة كما كانت؛ يمكنك دفعها أو مراسلة {support}.",
            next_instalment: "القسط التالي",
            early_saving: "ادفع {pay} بحلول {date} لتوفّر {saving}",
            scheduled_failed_subject: "تعذّر تحصيل الدفعة التلقائية للفاتورة {number}",
            scheduled_retry_intro: "لم تنجح الدفعة التلقائية التي جدولتها مع {company} للفاتورة {number}. سنحاول مجددًا في {date}. للدفع بطريقة أخرى الآن، استخدم الزر أدناه.",
            scheduled_gave_up_intro: "لم تنجح الدفعة التلقائية التي جدولتها مع {company} للفاتورة {number} ولن تُعاد المحاولة. ما زالت الفاتورة مستحقة: يرجى دفعها بطريقة أخرى عبر الزر أدناه.",
            next_attempt: "المحاولة التالية",
            instalment_charge_intro: "تذكير بخطة التقسيط مع {company}: سيُخصم القسط التالي من الفاتورة {number} في {date} من البطاقة أو الحساب الذي اخترته للدفع التلقائي. لا حاجة لأي إجراء، إلا إذا فضّلت الدفع بطريقة أخرى.",
            invoice: "الفاتورة",
            status: "الحالة",
            total_due: "إجمالي المستحق",
            // One and two have their own words, 3–10 take the plural, 11–99
            // the accusative singular, 100 and up the genitive singular.
            overdue: &[
                ("one", "متأخرة يومًا واحدًا"),
                ("two", "متأخرة يومين"),
                ("few", "متأخرة {n} أيام"),
                ("many", "متأخرة {n} يومًا"),
                ("other", "متأخرة {n} يوم"),
            ],
            due_today: "تستحق اليوم",
            due_tomorrow: "تستحق غدًا",
            due_in: &[
                ("one", "تستحق خلال يوم واحد"),
                ("two", "تستحق خلال يومين"),
                ("few", "تستحق خلال {n} أيام"),
                ("many", "تستحق خلال {n} يومًا"),
                ("other", "تستحق خلال {n} يوم"),
            ],
            pay_now: "ادفع الآن",
            view_all_invoices: "عرض جميع الفواتير",
            reminder_contact: "هل لديك سؤال؟ تواصل مع {company} على {support}.",
            reminder_preferences: "تفضيلات التذكير",
            stop_reminders: "إيقاف هذه التذكيرات",
        },
    }
}

/// An amount as a customer of `locale` writes it: `$1,234.50`,
/// `1 234,50 €`, `1,234.50 USD`. Emails cannot use the browser's `Intl`,
/// so the few languages Settle writes in are spelled out here.
pub fn amount(minor: i64, currency: &str, locale: &str) -> String {
    let exp = settle_shared::Currency::parse(currency)
        .map(settle_shared::Currency::exponent)
        .unwrap_or(2);
    let plain = settle_shared::money::format_minor(minor.abs(), exp);
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let lang = Lang::from_locale(locale);
    let (group, decimal) = match lang {
        Lang::Fr => ('\u{202f}', ','),
        _ => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let number = if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}{decimal}{frac}")
    };
    let sign = if minor < 0 { "-" } else { "" };
    match (lang, currency) {
        (Lang::En, "USD") => format!("{sign}${number}"),
        (Lang::En, "EUR") => format!("{sign}€{number}"),
        (Lang::En, "GBP") => format!("{sign}£{number}"),
        (Lang::En, "JPY") => format!("{sign}¥{number}"),
        (Lang::Fr, "EUR") => format!("{sign}{number}\u{a0}€"),
        (Lang::Fr, "USD") => format!("{sign}{number}\u{a0}$US"),
        (Lang::Fr, "GBP") => format!("{sign}{number}\u{a0}£GB"),
        _ => format!("{sign}{number}\u{a0}{currency}"),
    }
}

/// A `YYYY-MM-DD` date as a customer of `locale` reads it.
pub fn date(iso: &str, locale: &str) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    let Some(d) = settle_shared::time::parse_date(iso) else {
        return iso.to_owned();
    };
    use chrono::Datelike;
    let m = d.month0() as usize;
    match (Lang::from_locale(locale), locale) {
        (Lang::En, "en-US" | "en") => format!("{} {}, {}", EN[m], d.day(), d.year()),
        (Lang::En, _) => format!("{} {} {}", d.day(), EN[m], d.year()),
        (Lang::Fr, _) => format!("{} {} {}", d.day(), FR[m], d.year()),
        (Lang::Ar, _) => iso.to_owned(),
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

    #[test]
    fn amounts_and_dates_for_the_reader() {
        assert_eq!(amount(123_450, "USD", "en-US"), "$1,234.50");
        assert_eq!(amount(123_450, "EUR", "fr-FR"), "1\u{202f}234,50\u{a0}€");
        assert_eq!(amount(1_200, "JPY", "en"), "¥1,200");
        assert_eq!(amount(1_005, "BHD", "ar"), "1.005\u{a0}BHD");
        assert_eq!(amount(99, "CHF", "de"), "0.99\u{a0}CHF");
        assert_eq!(date("2026-12-01", "en-US"), "Dec 1, 2026");
        assert_eq!(date("2026-12-01", "en-GB"), "1 Dec 2026");
        assert_eq!(date("2026-12-01", "fr-FR"), "1 déc. 2026");
        assert_eq!(date("nonsense", "fr"), "nonsense");
    }
}
