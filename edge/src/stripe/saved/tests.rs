use super::*;
use crate::stripe::conformance;

const BASE: &str = "https://api.stripe.com";

fn charge() -> NewCharge<'static> {
    NewCharge {
        organization_id: "org_1",
        invoice_id: "inv_1",
        schedule_id: "sch_1",
        description: "Invoice NW-1 — Acme & Co",
        amount: 9_800,
        currency: "eur",
        stripe_customer: "cus_1",
        payment_method: "pm_1",
        kind: "card",
        discount: 200,
        allocation: &[],
    }
}

#[test]
fn every_request_is_in_stripes_description() {
    let c = create_customer(
        BASE,
        "sk_x",
        "org_1",
        "cus_settle",
        "ann+x@example.com",
        "Ann",
    );
    assert_eq!(c.url, "https://api.stripe.com/v1/customers");
    conformance::check("/v1/customers", &c.body);
    let s = create_setup(
        BASE,
        "sk_x",
        "k",
        &NewSetup {
            organization_id: "org_1",
            customer_id: "cus_settle",
            stripe_customer: "cus_1",
            success_url: "http://127.0.0.1:8787/payment-methods?saved={CHECKOUT_SESSION_ID}",
            cancel_url: "http://127.0.0.1:8787/payment-methods",
            payment_method_types: &["card", "sepa_debit"],
            locale: "fr",
            expires_at: 1_800_000_000,
        },
    );
    assert!(s.body.split('&').any(|p| p == "mode=setup"));
    conformance::check("/v1/checkout/sessions", &s.body);
    let p = create_charge(BASE, "sk_x", "settle-schedule-sch_1-1", &charge());
    assert!(
        p.headers
            .contains(&("Idempotency-Key".into(), "settle-schedule-sch_1-1".into()))
    );
    for part in [
        "off_session=true",
        "confirm=true",
        "amount=9800",
        "metadata%5Bsettle_invoice_id%5D=inv_1",
        "metadata%5Bsettle_discount%5D=200",
    ] {
        assert!(p.body.split('&').any(|x| x == part), "{part} in {}", p.body);
    }
    conformance::check("/v1/payment_intents", &p.body);
    assert!(!p.body.contains("settle_allocation"));
    // An instalment of a plan over two invoices says how it splits, as a
    // combined Checkout payment does, and the ledger reads it back.
    let split = [("inv_1".to_owned(), 9_000), ("inv_2".to_owned(), 800)];
    let p = create_charge(
        BASE,
        "sk_x",
        "settle-schedule-sch_1-2",
        &NewCharge {
            discount: 0,
            allocation: &split,
            ..charge()
        },
    );
    assert!(
        p.body
            .split('&')
            .any(|x| x == "metadata%5Bsettle_allocation%5D=inv_1%3A9000%2Cinv_2%3A800"),
        "{}",
        p.body
    );
    conformance::check("/v1/payment_intents", &p.body);
    assert_eq!(
        crate::stripe::reconcile::parse_allocation("inv_1:9000,inv_2:800"),
        Some(split.to_vec())
    );
    let d = detach(BASE, "sk_x", "pm_1");
    assert_eq!(
        d.url,
        "https://api.stripe.com/v1/payment_methods/pm_1/detach"
    );
    conformance::check("/v1/payment_methods/{payment_method}/detach", &d.body);
    assert_eq!(
        get_setup_intent(BASE, "sk_x", "seti_1").url,
        "https://api.stripe.com/v1/setup_intents/seti_1?expand%5B%5D=payment_method"
    );
}

#[test]
fn reads_a_saved_card_and_a_bank_account() {
    let card = r#"{"id":"seti_1","object":"setup_intent","status":"succeeded","customer":"cus_1",
        "metadata":{"settle_customer_id":"cus_settle","settle_organization_id":"org_1"},
        "payment_method":{"id":"pm_1","object":"payment_method","type":"card",
          "card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}}}"#;
    let m = read_setup_intent(200, card).unwrap().unwrap();
    assert_eq!(
        (
            m.id.as_str(),
            m.kind.as_str(),
            m.brand.as_deref(),
            m.last4.as_str(),
            m.exp_year
        ),
        ("pm_1", "card", Some("visa"), "4242", Some(2030))
    );
    assert_eq!(m.customer_id.as_deref(), Some("cus_settle"));
    let sepa = r#"{"id":"seti_2","status":"succeeded","customer":{"id":"cus_1"},"metadata":{},
        "payment_method":{"id":"pm_2","type":"sepa_debit","sepa_debit":{"last4":"3000","bank_code":"37040044"}}}"#;
    let m = read_setup_intent(200, sepa).unwrap().unwrap();
    assert_eq!(
        (
            m.kind.as_str(),
            m.last4.as_str(),
            m.stripe_customer.as_str()
        ),
        ("sepa_debit", "3000", "cus_1")
    );
    let waiting = r#"{"id":"seti_3","status":"requires_payment_method","payment_method":null}"#;
    assert_eq!(read_setup_intent(200, waiting).unwrap(), None);
    // Not expanded: an error, not a method without details.
    let bare = r#"{"id":"seti_4","status":"succeeded","customer":"cus_1","payment_method":"pm_4"}"#;
    assert!(read_setup_intent(200, bare).is_err());
    assert!(matches!(
        read_setup_intent(503, "{}"),
        Err(StripeError::Unavailable(_))
    ));
    let session = r#"{"id":"cs_1","mode":"setup","status":"complete","setup_intent":"seti_1"}"#;
    assert_eq!(
        read_session_setup_intent(200, session).unwrap().as_deref(),
        Some("seti_1")
    );
    let open = r#"{"id":"cs_1","mode":"setup","status":"open","setup_intent":"seti_1"}"#;
    assert_eq!(read_session_setup_intent(200, open).unwrap(), None);
}

#[test]
fn reads_what_an_off_session_charge_came_to() {
    let ok = read_charge(
        200,
        r#"{"id":"pi_1","object":"payment_intent","status":"succeeded"}"#,
    );
    assert_eq!(
        ok.unwrap(),
        Answer::Succeeded {
            payment_intent: "pi_1".into()
        }
    );
    let debit = read_charge(
        200,
        r#"{"id":"pi_2","object":"payment_intent","status":"processing"}"#,
    );
    assert_eq!(
        debit.unwrap(),
        Answer::Processing {
            payment_intent: "pi_2".into()
        }
    );
    let declined = read_charge(
        402,
        r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined.",
            "payment_intent":{"id":"pi_3","object":"payment_intent","status":"requires_payment_method"}}}"#,
    );
    assert_eq!(
        declined.unwrap(),
        Answer::Declined {
            payment_intent: Some("pi_3".into()),
            code: "card_declined".into(),
            message: "Your card was declined.".into()
        }
    );
    let auth = read_charge(
        402,
        r#"{"error":{"type":"card_error","code":"authentication_required","message":"This payment requires authentication.",
            "payment_intent":{"id":"pi_4"}}}"#,
    );
    assert!(
        matches!(auth.unwrap(), Answer::Declined { code, .. } if code == "authentication_required")
    );
    // Read later: a failed debit.
    let failed = read_charge(
        200,
        r#"{"id":"pi_5","object":"payment_intent","status":"requires_payment_method",
            "last_payment_error":{"code":"insufficient_funds","message":"The account has insufficient funds."}}"#,
    );
    assert!(
        matches!(failed.unwrap(), Answer::Declined { code, .. } if code == "insufficient_funds")
    );
    let gone = read_charge(
        400,
        r#"{"error":{"type":"invalid_request_error","param":"payment_method","message":"The PaymentMethod pm_1 does not belong to the Customer cus_1."}}"#,
    );
    assert!(matches!(gone.unwrap(), Answer::MethodGone { .. }));
    assert!(matches!(
        read_charge(500, "oops"),
        Err(StripeError::Unavailable(_))
    ));
    assert!(matches!(
        read_charge(429, "{}"),
        Err(StripeError::Unavailable(_))
    ));
    // A revoked key: nothing charged, asked again once the company mends it.
    assert!(matches!(
        read_charge(401, r#"{"error":{"message":"Expired API Key provided"}}"#),
        Err(StripeError::Unavailable(_))
    ));
    // An idempotency clash (a retry with other parameters) is refused, never
    // taken for a decline.
    assert!(matches!(
        read_charge(
            400,
            r#"{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters"}}"#
        ),
        Err(StripeError::Refused(_))
    ));
}
