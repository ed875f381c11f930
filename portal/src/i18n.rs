//! The portal's message catalog: every sentence a customer reads, per
//! language. The language comes from the customer's locale; unknown
//! languages read English.

/// Supported languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Ar,
}

impl Lang {
    pub fn from_locale(locale: &str) -> Self {
        match locale
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
            .as_str()
        {
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

    pub fn dir(self) -> &'static str {
        if self == Lang::Ar { "rtl" } else { "ltr" }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
            Lang::Ar => &AR,
        }
    }
}

/// Every string of the portal. `{n}`, `{date}`, `{email}` are filled in.
pub struct Text {
    pub loading: &'static str,
    pub your_invoices: &'static str,
    pub to_pay: &'static str,
    pub paid_invoices: &'static str,
    pub nothing_to_pay: &'static str,
    pub no_invoices: &'static str,
    pub total_due: &'static str,
    pub invoice: &'static str,
    pub issued: &'static str,
    pub due: &'static str,
    pub due_today: &'static str,
    pub due_in_days: Plural,
    pub overdue_by_days: Plural,
    pub status_open: &'static str,
    pub status_overdue: &'static str,
    pub status_paid: &'static str,
    pub status_void: &'static str,
    pub amount_due: &'static str,
    pub description: &'static str,
    pub quantity: &'static str,
    pub unit_price: &'static str,
    pub tax_rate: &'static str,
    pub amount: &'static str,
    pub subtotal: &'static str,
    pub tax: &'static str,
    pub total: &'static str,
    pub paid: &'static str,
    pub balance_due: &'static str,
    pub billed_to: &'static str,
    pub note: &'static str,
    pub print: &'static str,
    pub something_wrong: &'static str,
    pub choose_date: &'static str,
    pub in_instalments: &'static str,
    pub early_offer: &'static str,
    pub in_dispute: &'static str,
    pub back_to_invoices: &'static str,
    pub view_invoice: &'static str,
    pub questions: &'static str,
    /// The footer's link to the account page (subscriptions, saved cards).
    pub saved_methods: &'static str,
    pub scheduled_note: &'static str,
    pub sign_out: &'static str,
    pub signed_out: &'static str,
    pub open_your_link: &'static str,
    pub link_expired_title: &'static str,
    pub link_expired_body: &'static str,
    pub link_invalid_title: &'static str,
    pub link_invalid_body: &'static str,
    pub request_title: &'static str,
    pub email_label: &'static str,
    pub send_link: &'static str,
    pub sending: &'static str,
    pub link_sent: &'static str,
    pub session_over: &'static str,
    pub not_found: &'static str,
    pub error_generic: &'static str,
    pub try_again: &'static str,
    pub pay_now: &'static str,
    pub redirecting: &'static str,
    pub paid_thanks: &'static str,
    pub processing_note: &'static str,
    pub confirming: &'static str,
    pub not_confirmed: &'static str,
    pub cancelled: &'static str,
    pub pay_part: &'static str,
    pub pay_all: &'static str,
    /// More open invoices than one payment takes: the first ones.
    pub pay_first: &'static str,
    /// What is left for a second payment.
    pub pay_rest: Plural,
    pub amount_label: &'static str,
    pub pay_this: &'static str,
    pub amount_invalid: &'static str,
}

const EN: Text = Text {
    loading: "Loading your invoices…",
    your_invoices: "Your invoices",
    to_pay: "To pay",
    paid_invoices: "Paid",
    nothing_to_pay: "You have nothing to pay right now.",
    no_invoices: "There are no invoices here yet.",
    total_due: "Total due:",
    invoice: "Invoice",
    issued: "Issued",
    due: "Due",
    due_today: "Due today",
    due_in_days: &[("one", "Due in {n} day"), ("other", "Due in {n} days")],
    overdue_by_days: &[
        ("one", "Overdue by {n} day"),
        ("other", "Overdue by {n} days"),
    ],
    status_open: "Open",
    status_overdue: "Overdue",
    status_paid: "Paid",
    status_void: "Cancelled",
    amount_due: "Amount due",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price",
    tax_rate: "Tax",
    amount: "Amount",
    subtotal: "Subtotal",
    tax: "Tax",
    total: "Total",
    paid: "Paid",
    balance_due: "Balance due",
    billed_to: "Billed to",
    note: "Note",
    print: "Print or save as PDF",
    something_wrong: "Something wrong with this invoice?",
    choose_date: "Can't pay today? Choose a date",
    in_instalments: "Pay in instalments",
    early_offer: "Pay by {date} and save {saving} ({percent} off).",
    in_dispute: "In dispute: see the conversation",
    back_to_invoices: "All invoices",
    view_invoice: "View invoice",
    questions: "Questions? Contact {email}",
    saved_methods: "Your account",
    scheduled_note: "Automatic payment on {date}",
    sign_out: "Sign out",
    signed_out: "You are signed out. Open the link in your email to come back.",
    open_your_link: "To see your invoices, open the link in the email you received.",
    link_expired_title: "This link has expired",
    link_expired_body: "For your security, links work for a limited time. Enter your email address and we will send you a new one.",
    link_invalid_title: "This link does not work",
    link_invalid_body: "It may have been replaced by a newer one. Enter your email address and we will send you a fresh link.",
    request_title: "Get a new link",
    email_label: "Email address",
    send_link: "Send me a link",
    sending: "Sending…",
    link_sent: "If this address is on file, a new link is on its way. Check your inbox in a minute.",
    session_over: "Your session has ended. Enter your email address to get a new link.",
    not_found: "We could not find this page or invoice.",
    error_generic: "Something went wrong while loading. Check your connection and try again.",
    try_again: "Try again",
    pay_now: "Pay {amount}",
    redirecting: "Taking you to secure payment…",
    paid_thanks: "Thank you. Your payment was received and this invoice is paid.",
    processing_note: "Your payment is processing. Bank debits take 3–5 business days; we will email you when it clears.",
    confirming: "Confirming your payment with the bank…",
    not_confirmed: "We have not received confirmation yet. If you completed the payment, it will show here shortly; there is no need to pay again.",
    cancelled: "Payment cancelled. Nothing was charged; you can pay whenever you are ready.",
    pay_part: "Pay part of the balance",
    pay_all: "Pay all {n} in one go: {amount}",
    pay_first: "Pay the {n} due first in one go: {amount}",
    pay_rest: &[
        ("one", "{numbers}. The other invoice can be paid next."),
        ("other", "{numbers}. The other {n} can be paid next."),
    ],
    amount_label: "Amount to pay ({currency})",
    pay_this: "Pay this amount",
    amount_invalid: "Enter an amount between {min} and {max}.",
};

const FR: Text = Text {
    loading: "Chargement de vos factures…",
    your_invoices: "Vos factures",
    to_pay: "À payer",
    paid_invoices: "Payées",
    nothing_to_pay: "Vous n'avez rien à payer pour le moment.",
    no_invoices: "Aucune facture pour l'instant.",
    total_due: "Total dû :",
    invoice: "Facture",
    issued: "Émise le",
    due: "Échéance",
    due_today: "À payer aujourd'hui",
    due_in_days: &[
        ("one", "À payer dans {n} jour"),
        ("other", "À payer dans {n} jours"),
    ],
    overdue_by_days: &[
        ("one", "En retard de {n} jour"),
        ("other", "En retard de {n} jours"),
    ],
    status_open: "À payer",
    status_overdue: "En retard",
    status_paid: "Payée",
    status_void: "Annulée",
    amount_due: "Montant dû",
    description: "Désignation",
    quantity: "Qté",
    unit_price: "Prix unitaire",
    tax_rate: "TVA",
    amount: "Montant",
    subtotal: "Sous-total",
    tax: "TVA",
    total: "Total",
    paid: "Payé",
    balance_due: "Reste à payer",
    billed_to: "Facturé à",
    note: "Note",
    print: "Imprimer ou enregistrer en PDF",
    something_wrong: "Un problème avec cette facture ?",
    choose_date: "Pas possible aujourd’hui ? Choisissez une date",
    in_instalments: "Payer en plusieurs fois",
    early_offer: "Payez d’ici le {date} et économisez {saving} ({percent} de remise).",
    in_dispute: "Contestée : voir la conversation",
    back_to_invoices: "Toutes les factures",
    view_invoice: "Voir la facture",
    questions: "Une question ? Écrivez à {email}",
    saved_methods: "Votre compte",
    scheduled_note: "Paiement automatique le {date}",
    sign_out: "Se déconnecter",
    signed_out: "Vous êtes déconnecté. Ouvrez le lien de votre e-mail pour revenir.",
    open_your_link: "Pour voir vos factures, ouvrez le lien de l'e-mail que vous avez reçu.",
    link_expired_title: "Ce lien a expiré",
    link_expired_body: "Par sécurité, les liens ont une durée limitée. Indiquez votre adresse e-mail et nous vous en enverrons un nouveau.",
    link_invalid_title: "Ce lien ne fonctionne pas",
    link_invalid_body: "Il a peut-être été remplacé par un plus récent. Indiquez votre adresse e-mail et nous vous enverrons un nouveau lien.",
    request_title: "Recevoir un nouveau lien",
    email_label: "Adresse e-mail",
    send_link: "M'envoyer un lien",
    sending: "Envoi…",
    link_sent: "Si cette adresse est connue, un nouveau lien est en route. Consultez votre boîte de réception dans une minute.",
    session_over: "Votre session a pris fin. Indiquez votre adresse e-mail pour recevoir un nouveau lien.",
    not_found: "Cette page ou cette facture est introuvable.",
    error_generic: "Le chargement a échoué. Vérifiez votre connexion et réessayez.",
    try_again: "Réessayer",
    pay_now: "Payer {amount}",
    redirecting: "Redirection vers le paiement sécurisé…",
    paid_thanks: "Merci. Votre paiement a bien été reçu et cette facture est réglée.",
    processing_note: "Votre paiement est en cours. Un prélèvement prend 3 à 5 jours ouvrés ; nous vous écrirons dès qu'il sera confirmé.",
    confirming: "Confirmation de votre paiement auprès de la banque…",
    not_confirmed: "Nous n'avons pas encore reçu de confirmation. Si vous avez payé, elle apparaîtra ici sous peu ; inutile de payer à nouveau.",
    cancelled: "Paiement annulé. Rien n'a été débité ; vous pourrez payer quand vous le souhaitez.",
    pay_part: "Payer une partie du solde",
    pay_all: "Tout payer en une fois ({n}) : {amount}",
    pay_first: "Payer les {n} plus anciennes en une fois : {amount}",
    pay_rest: &[
        (
            "one",
            "{numbers}. L’autre facture pourra être payée ensuite.",
        ),
        (
            "other",
            "{numbers}. Les {n} autres pourront être payées ensuite.",
        ),
    ],
    amount_label: "Montant à payer ({currency})",
    pay_this: "Payer ce montant",
    amount_invalid: "Indiquez un montant entre {min} et {max}.",
};

const AR: Text = Text {
    loading: "جارٍ تحميل فواتيرك…",
    your_invoices: "فواتيرك",
    to_pay: "مستحقة الدفع",
    paid_invoices: "مدفوعة",
    nothing_to_pay: "ليس عليك أي مبلغ مستحق الآن.",
    no_invoices: "لا توجد فواتير بعد.",
    total_due: "إجمالي المستحق:",
    invoice: "فاتورة",
    issued: "تاريخ الإصدار",
    due: "تاريخ الاستحقاق",
    due_today: "مستحقة اليوم",
    // Arabic counts: one and two have their own words, 3–10 take the plural,
    // 11–99 the accusative singular, 100 and up (and 0) the genitive singular.
    due_in_days: &[
        ("one", "مستحقة خلال يوم واحد"),
        ("two", "مستحقة خلال يومين"),
        ("few", "مستحقة خلال {n} أيام"),
        ("many", "مستحقة خلال {n} يومًا"),
        ("other", "مستحقة خلال {n} يوم"),
    ],
    overdue_by_days: &[
        ("one", "متأخرة يومًا واحدًا"),
        ("two", "متأخرة يومين"),
        ("few", "متأخرة {n} أيام"),
        ("many", "متأخرة {n} يومًا"),
        ("other", "متأخرة {n} يوم"),
    ],
    status_open: "مفتوحة",
    status_overdue: "متأخرة",
    status_paid: "مدفوعة",
    status_void: "ملغاة",
    amount_due: "المبلغ المستحق",
    description: "الوصف",
    quantity: "الكمية",
    unit_price: "سعر الوحدة",
    tax_rate: "الضريبة",
    amount: "المبلغ",
    subtotal: "المجموع الفرعي",
    tax: "الضريبة",
    total: "الإجمالي",
    paid: "المدفوع",
    balance_due: "الرصيد المستحق",
    billed_to: "فاتورة إلى",
    note: "ملاحظة",
    print: "طباعة أو حفظ بصيغة PDF",
    something_wrong: "هل هناك مشكلة في هذه الفاتورة؟",
    choose_date: "لا يمكنك الدفع اليوم؟ اختر موعدًا",
    in_instalments: "ادفع على أقساط",
    early_offer: "ادفع بحلول {date} ووفّر {saving} (خصم {percent}).",
    in_dispute: "قيد الاعتراض: عرض المحادثة",
    back_to_invoices: "كل الفواتير",
    view_invoice: "عرض الفاتورة",
    questions: "لديك سؤال؟ راسل {email}",
    saved_methods: "حسابك",
    scheduled_note: "دفع تلقائي في {date}",
    sign_out: "تسجيل الخروج",
    signed_out: "لقد سجّلت الخروج. افتح الرابط في بريدك للعودة.",
    open_your_link: "لعرض فواتيرك، افتح الرابط في الرسالة التي وصلتك.",
    link_expired_title: "انتهت صلاحية هذا الرابط",
    link_expired_body: "حفاظًا على أمانك، تعمل الروابط لمدة محدودة. أدخل بريدك الإلكتروني وسنرسل إليك رابطًا جديدًا.",
    link_invalid_title: "هذا الرابط لا يعمل",
    link_invalid_body: "ربما استُبدل برابط أحدث. أدخل بريدك الإلكتروني وسنرسل إليك رابطًا جديدًا.",
    request_title: "الحصول على رابط جديد",
    email_label: "البريد الإلكتروني",
    send_link: "أرسل لي رابطًا",
    sending: "جارٍ الإرسال…",
    link_sent: "إذا كان هذا العنوان مسجّلًا لدينا، فالرابط الجديد في طريقه إليك. تفقّد بريدك بعد دقيقة.",
    session_over: "انتهت جلستك. أدخل بريدك الإلكتروني للحصول على رابط جديد.",
    not_found: "تعذّر العثور على هذه الصفحة أو الفاتورة.",
    error_generic: "حدث خطأ أثناء التحميل. تحقّق من اتصالك وحاول مجددًا.",
    try_again: "حاول مجددًا",
    pay_now: "ادفع {amount}",
    redirecting: "جارٍ نقلك إلى صفحة الدفع الآمنة…",
    paid_thanks: "شكرًا لك. وصلتنا دفعتك وأصبحت هذه الفاتورة مدفوعة.",
    processing_note: "دفعتك قيد المعالجة. يستغرق الخصم المصرفي من 3 إلى 5 أيام عمل، وسنراسلك عند اكتماله.",
    confirming: "جارٍ تأكيد دفعتك مع البنك…",
    not_confirmed: "لم يصلنا التأكيد بعد. إذا أتممت الدفع فسيظهر هنا قريبًا، ولا حاجة إلى الدفع مرة أخرى.",
    cancelled: "أُلغي الدفع. لم يُخصم أي مبلغ، ويمكنك الدفع متى شئت.",
    pay_part: "ادفع جزءًا من الرصيد",
    pay_all: "ادفع الكل ({n}) دفعة واحدة: {amount}",
    pay_first: "ادفع أقدم {n} فواتير دفعة واحدة: {amount}",
    pay_rest: &[
        ("one", "{numbers}. يمكن دفع الفاتورة الأخرى بعد ذلك."),
        ("two", "{numbers}. يمكن دفع الفاتورتين الأخريين بعد ذلك."),
        ("few", "{numbers}. يمكن دفع الفواتير الـ{n} الأخرى بعد ذلك."),
        ("many", "{numbers}. يمكن دفع الفواتير الـ{n} الأخرى بعد ذلك."),
        (
            "other",
            "{numbers}. يمكن دفع الفواتير الـ{n} الأخرى بعد ذلك.",
        ),
    ],
    amount_label: "المبلغ المراد دفعه ({currency})",
    pay_this: "ادفع هذا المبلغ",
    amount_invalid: "أدخل مبلغًا بين {min} و{max}.",
};

/// A sentence that counts, by CLDR plural category (`zero`, `one`, `two`,
/// `few`, `many`, `other`); `other` is always there.
pub type Plural = &'static [(&'static str, &'static str)];

/// The sentence for `n` in the customer's language, its `{n}` filled in.
/// The category comes from the browser's `Intl.PluralRules`, so every
/// language's rules are the platform's, not ours.
pub fn count(p: Plural, n: i64, locale: &str) -> String {
    let category = crate::format::plural_category(n, locale);
    let template = p
        .iter()
        .find(|(c, _)| *c == category)
        .or_else(|| p.iter().find(|(c, _)| *c == "other"))
        .map_or("", |(_, t)| *t);
    fill(template, "n", &n.to_string())
}

/// Replaces `{key}` with a value.
pub fn fill(template: &str, key: &str, value: &str) -> String {
    template.replace(&format!("{{{key}}}"), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_languages() {
        assert_eq!(Lang::from_locale("fr-CA"), Lang::Fr);
        assert_eq!(Lang::from_locale("ar"), Lang::Ar);
        assert_eq!(Lang::from_locale("de-DE"), Lang::En);
        assert_eq!(Lang::Ar.dir(), "rtl");
        assert_eq!(count(EN.due_in_days, 3, "en-US"), "Due in 3 days");
        assert_eq!(count(EN.overdue_by_days, 1, "en-US"), "Overdue by 1 day");
        for t in [&EN, &FR, &AR] {
            for p in [t.due_in_days, t.overdue_by_days, t.pay_rest] {
                assert!(
                    p.iter().any(|(c, _)| *c == "other"),
                    "every plural has `other`"
                );
            }
        }
    }
}
