//! Saved payment methods and off-session charges at Stripe, as Settle calls
//! them: a Stripe customer per Settle customer, Checkout in `setup` mode to
//! save a card or bank account, the SetupIntent read back with its method,
//! a method detached, and an off-session PaymentIntent confirmed at once
//! with an Idempotency-Key per attempt. Requests are built and answers read
//! here, without a runtime.

use super::api::{StripeError, encode, post};
use crate::autopay::Answer;
use crate::outbound::HttpRequest;
use serde::Deserialize;
use serde_json::Value;

fn pair(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

/// `POST /v1/customers`: the Stripe customer that holds a Settle customer's
/// saved methods at the organization's account.
pub fn create_customer(
    base: &str,
    key: &str,
    organization_id: &str,
    customer_id: &str,
    email: &str,
    name: &str,
) -> HttpRequest {
    post(
        base,
        key,
        "/v1/customers",
        &format!("settle-customer-{customer_id}"),
        &[
            pair("email", email),
            pair("name", name),
            pair("metadata[settle_organization_id]", organization_id),
            pair("metadata[settle_customer_id]", customer_id),
        ],
    )
}

/// A Checkout Session in `setup` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSetup<'a> {
    pub organization_id: &'a str,
    pub customer_id: &'a str,
    pub stripe_customer: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub payment_method_types: &'a [&'a str],
    /// Stripe's Checkout locale (`fr`, `en`, … or `auto`).
    pub locale: &'a str,
    /// Unix seconds: 30 minutes to 24 hours from now.
    pub expires_at: i64,
}

/// `POST /v1/checkout/sessions` in `setup` mode: the customer saves a card
/// or bank account for later, off-session use.
pub fn create_setup(base: &str, key: &str, idempotency: &str, s: &NewSetup<'_>) -> HttpRequest {
    let mut pairs = vec![
        pair("mode", "setup"),
        pair("customer", s.stripe_customer),
        pair("success_url", s.success_url),
        pair("cancel_url", s.cancel_url),
        pair("expires_at", s.expires_at.to_string()),
        pair("locale", s.locale),
        pair("metadata[settle_organization_id]", s.organization_id),
        pair("metadata[settle_customer_id]", s.customer_id),
        pair(
            "setup_intent_data[metadata][settle_organization_id]",
            s.organization_id,
        ),
        pair(
            "setup_intent_data[metadata][settle_customer_id]",
            s.customer_id,
        ),
    ];
    for (i, t) in s.payment_method_types.iter().enumerate() {
        pairs.push(pair(&format!("payment_method_types[{i}]"), *t));
    }
    post(base, key, "/v1/checkout/sessions", idempotency, &pairs)
}

fn get(base: &str, key: &str, path: &str) -> HttpRequest {
    super::api::get(base, key, path)
}

/// `GET /v1/checkout/sessions/{id}`: a setup session, to find its SetupIntent.
pub fn get_session(base: &str, key: &str, id: &str) -> HttpRequest {
    get(base, key, &format!("/v1/checkout/sessions/{}", encode(id)))
}

/// `GET /v1/setup_intents/{id}?expand[]=payment_method`
pub fn get_setup_intent(base: &str, key: &str, id: &str) -> HttpRequest {
    get(
        base,
        key,
        &format!(
            "/v1/setup_intents/{}?{}=payment_method",
            encode(id),
            encode("expand[]")
        ),
    )
}

/// `POST /v1/payment_methods/{id}/detach`: the customer removed it.
pub fn detach(base: &str, key: &str, payment_method: &str) -> HttpRequest {
    post(
        base,
        key,
        &format!("/v1/payment_methods/{}/detach", encode(payment_method)),
        &format!("settle-detach-{payment_method}"),
        &[],
    )
}

/// An off-session charge of one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCharge<'a> {
    pub organization_id: &'a str,
    pub invoice_id: &'a str,
    pub schedule_id: &'a str,
    /// What the statement shows: the invoice number and the company.
    pub description: &'a str,
    /// Minor units.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: &'a str,
    pub stripe_customer: &'a str,
    pub payment_method: &'a str,
    /// The method's type: `card`, `sepa_debit` or `us_bank_account`.
    pub kind: &'a str,
    /// The early-payment discount taken off (0: none).
    pub discount: i64,
    /// How the charge spreads over several invoices (an instalment of a
    /// plan over them): (invoice id, part). Empty: all for `invoice_id`.
    pub allocation: &'a [(String, i64)],
}

/// `POST /v1/payment_intents`, confirmed at once and off-session, under
/// the attempt's Idempotency-Key (see `autopay::attempt_key`).
pub fn create_charge(base: &str, key: &str, idempotency: &str, c: &NewCharge<'_>) -> HttpRequest {
    let mut pairs = vec![
        pair("amount", c.amount.to_string()),
        pair("currency", c.currency),
        pair("customer", c.stripe_customer),
        pair("payment_method", c.payment_method),
        pair("payment_method_types[0]", c.kind),
        pair("off_session", "true"),
        pair("confirm", "true"),
        pair("description", c.description),
        pair("metadata[settle_organization_id]", c.organization_id),
        pair("metadata[settle_invoice_id]", c.invoice_id),
        pair("metadata[settle_schedule_id]", c.schedule_id),
    ];
    if c.discount > 0 {
        pairs.push(pair("metadata[settle_discount]", c.discount.to_string()));
    }
    if c.allocation.len() > 1 {
        let split: Vec<String> = c
            .allocation
            .iter()
            .map(|(i, a)| format!("{i}:{a}"))
            .collect();
        pairs.push(pair(
            &format!("metadata[{}]", crate::stripe::reconcile::META_ALLOCATION),
            split.join(","),
        ));
    }
    post(base, key, "/v1/payment_intents", idempotency, &pairs)
}

/// `GET /v1/payment_intents/{id}`: where a bank debit stands.
pub fn get_charge(base: &str, key: &str, id: &str) -> HttpRequest {
    get(base, key, &format!("/v1/payment_intents/{}", encode(id)))
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

fn message(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_default();
    match v["error"]["message"].as_str() {
        Some(m) => m.to_owned(),
        None => body.chars().take(200).collect(),
    }
}

fn unavailable_or_refused(status: u16, body: &str) -> StripeError {
    match status {
        // The company's key was revoked or lacks a permission: theirs to mend,
        // and nothing was charged; asked again later.
        401 | 403 | 409 | 429 | 500..=599 => {
            StripeError::Unavailable(format!("HTTP {status}: {}", message(body)))
        }
        _ => StripeError::Refused(format!("HTTP {status}: {}", message(body))),
    }
}

/// Reads the id of a created object (customer, session).
pub fn read_id(status: u16, body: &str) -> Result<String, StripeError> {
    if !(200..300).contains(&status) {
        return Err(unavailable_or_refused(status, body));
    }
    serde_json::from_str::<Created>(body)
        .map(|c| c.id)
        .map_err(|e| StripeError::Unavailable(format!("unreadable answer: {e}")))
}

/// A saved method as Settle shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedMethod {
    pub id: String,
    pub kind: String,
    pub brand: Option<String>,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub stripe_customer: String,
    /// Settle's customer, from the SetupIntent's metadata.
    pub customer_id: Option<String>,
    pub organization_id: Option<String>,
}

/// Reads a SetupIntent expanded with its method: the method it saved, or
/// `None` while it has not succeeded.
pub fn read_setup_intent(status: u16, body: &str) -> Result<Option<SavedMethod>, StripeError> {
    if !(200..300).contains(&status) {
        return Err(unavailable_or_refused(status, body));
    }
    let v: Value = serde_json::from_str(body)
        .map_err(|e| StripeError::Unavailable(format!("unreadable setup intent: {e}")))?;
    if v["status"] != "succeeded" {
        return Ok(None);
    }
    let pm = &v["payment_method"];
    let kind = pm["type"].as_str().unwrap_or("card").to_owned();
    let detail = &pm[kind.as_str()];
    let text = |x: &Value| x.as_str().map(str::to_owned);
    let (Some(id), Some(last4)) = (text(&pm["id"]), text(&detail["last4"])) else {
        return Err(StripeError::Unavailable(
            "the setup intent's payment method was not expanded".into(),
        ));
    };
    let customer = match &v["customer"] {
        Value::String(s) => s.clone(),
        o => o["id"].as_str().unwrap_or_default().to_owned(),
    };
    Ok(Some(SavedMethod {
        id,
        brand: text(&detail["brand"]).or_else(|| text(&detail["bank_name"])),
        last4,
        exp_month: detail["exp_month"].as_i64(),
        exp_year: detail["exp_year"].as_i64(),
        kind,
        stripe_customer: customer,
        customer_id: text(&v["metadata"]["settle_customer_id"]),
        organization_id: text(&v["metadata"]["settle_organization_id"]),
    }))
}

/// The SetupIntent of a setup session, once it is complete.
pub fn read_session_setup_intent(status: u16, body: &str) -> Result<Option<String>, StripeError> {
    if !(200..300).contains(&status) {
        return Err(unavailable_or_refused(status, body));
    }
    let v: Value = serde_json::from_str(body)
        .map_err(|e| StripeError::Unavailable(format!("unreadable session: {e}")))?;
    if v["mode"] != "setup" || v["status"] != "complete" {
        return Ok(None);
    }
    Ok(match &v["setup_intent"] {
        Value::String(s) => Some(s.clone()),
        o => o["id"].as_str().map(str::to_owned),
    })
}

/// What a PaymentIntent's state means for the schedule (from a create or
/// a read); `None` while it still waits for something other than a new
/// method (it cannot, off-session: treated as declined).
fn intent_answer(pi: &Value) -> Answer {
    let id = pi["id"].as_str().unwrap_or_default().to_owned();
    match pi["status"].as_str().unwrap_or("") {
        "succeeded" => Answer::Succeeded { payment_intent: id },
        "processing" => Answer::Processing { payment_intent: id },
        "requires_action" => Answer::Declined {
            payment_intent: Some(id),
            code: "authentication_required".into(),
            message: "The bank asks the customer to authenticate this payment.".into(),
        },
        _ => {
            let err = &pi["last_payment_error"];
            Answer::Declined {
                payment_intent: Some(id),
                code: err["code"].as_str().unwrap_or("payment_failed").to_owned(),
                message: err["message"]
                    .as_str()
                    .unwrap_or("The payment was not completed.")
                    .to_owned(),
            }
        }
    }
}

/// Reads the answer to [`create_charge`] or [`get_charge`].
pub fn read_charge(status: u16, body: &str) -> Result<Answer, StripeError> {
    let v: Value = serde_json::from_str(body).unwrap_or_default();
    match status {
        200..=299 if v["object"] == "payment_intent" => Ok(intent_answer(&v)),
        200..=299 => Err(StripeError::Unavailable("unreadable payment intent".into())),
        // A card error: declined, or authentication needed off-session.
        402 => {
            let e = &v["error"];
            Ok(Answer::Declined {
                payment_intent: e["payment_intent"]["id"].as_str().map(str::to_owned),
                code: e["code"].as_str().unwrap_or("card_declined").to_owned(),
                message: e["message"]
                    .as_str()
                    .unwrap_or("The card was declined.")
                    .to_owned(),
            })
        }
        // The method was detached or is not this customer's.
        400 | 404
            if v["error"]["param"] == "payment_method"
                || v["error"]["code"] == "resource_missing" =>
        {
            Ok(Answer::MethodGone {
                message: message(body),
            })
        }
        _ => Err(unavailable_or_refused(status, body)),
    }
}

#[cfg(test)]
mod tests;
