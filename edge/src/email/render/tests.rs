//! How the branded emails read and render.
use super::*;

pub(crate) fn brand() -> Brand<'static> {
    Brand {
        display_name: "Acme <Ltd>",
        logo_url: None,
        primary_color: Some("#0f766e"),
        support_email: "help@acme.test",
        footer: Some("Acme Ltd <registered> in Testland"),
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
        replaces: None,
        promised_date: None,
        message: None,
        saving: None,
    }
    .render();
    assert_eq!(r.subject, "Invoice INV-7 from Acme <Ltd>");
    assert!(r.html.contains("href=\"http://127.0.0.1:8787/c/cl_abc\""));
    assert!(r.html.contains("Acme &#60;Ltd&#62;"));
    assert!(
        r.html.contains("Acme Ltd &#60;registered&#62; in Testland"),
        "the footer, escaped"
    );
    assert!(!r.html.contains("<script>"));
    assert!(r.html.contains("#0f766e"));
    assert!(r.text.contains("120.00 EUR"));
    assert!(r.text.contains("http://127.0.0.1:8787/c/cl_abc"));
}

#[test]
fn a_sign_in_email_carries_its_link_and_an_invitation_says_the_role() {
    let email = |invited_as, locale| {
        SignInEmail {
            brand: brand(),
            locale,
            member_name: "Grace <b>",
            invited_as,
            link: "http://127.0.0.1:8787/console/sign-in#sl_abc",
        }
        .render()
    };
    let plain = email(None, "en");
    assert_eq!(plain.subject, "Sign in to Acme <Ltd> on Settle");
    assert!(
        plain
            .html
            .contains("href=\"http://127.0.0.1:8787/console/sign-in#sl_abc\"")
    );
    assert!(plain.text.contains("15 minutes"));
    assert!(!plain.html.contains("<b>"));
    let invite = email(Some("agent"), "fr");
    assert!(invite.text.contains("en tant que agent"), "{}", invite.text);
    assert!(invite.subject.starts_with("Connexion"));
    assert!(email(None, "ar").html.contains("dir=\"rtl\""));
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
            replaces: Some("F-8"),
            promised_date: Some("12 déc. 2026"),
            message: None,
            saving: None,
        }
        .render()
    };
    let corrected = email(Purpose::Invoice);
    assert!(
        corrected
            .text
            .contains("Elle remplace la facture F-8, annulée"),
        "{}",
        corrected.text
    );
    let receipt = email(Purpose::Receipt);
    assert!(!receipt.text.contains("F-8"), "only the invoice says it");
    assert_eq!(receipt.subject, "Reçu pour la facture F-9 de Acme <Ltd>");
    assert!(receipt.text.contains("Déjà payé: 120,00 €"));
    let failed = email(Purpose::PaymentFailed);
    assert!(failed.subject.contains("n'a pas abouti"));
    assert!(failed.text.contains("Voir et payer la facture"));
    let promise = email(Purpose::PromiseDue);
    assert_eq!(
        promise.subject,
        "Rappel : vous avez promis de régler la facture F-9 d’ici le 12 déc. 2026"
    );
    assert!(
        promise.text.contains("Date promise: 12 déc. 2026"),
        "{}",
        promise.text
    );
    let retry = email(Purpose::ScheduledRetry);
    assert_eq!(
        retry.subject,
        "Le paiement automatique de la facture F-9 n'a pas abouti"
    );
    assert!(
        retry.text.contains("Nous réessaierons le 12 déc. 2026")
            && retry.text.contains("Prochaine tentative: 12 déc. 2026"),
        "{}",
        retry.text
    );
    let charged = email(Purpose::InstalmentCharged);
    assert!(
        charged.text.contains("sera débitée le 12 déc. 2026"),
        "{}",
        charged.text
    );
    let gave_up = email(Purpose::ScheduledGaveUp);
    assert!(
        gave_up.text.contains("ne sera pas retenté"),
        "{}",
        gave_up.text
    );
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

#[test]
fn subjects_carry_no_control_characters() {
    assert_eq!(
        subject_line("Invoice 7\r\nBcc: evil@example.com\tfrom\u{7}  Acme"),
        "Invoice 7 Bcc: evil@example.com from Acme"
    );
    assert_eq!(subject_line(&"é".repeat(300)).chars().count(), 250);
}
