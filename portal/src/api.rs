//! Calls to the portal API under `/api/v1/portal/`, with the shared types.
//! Same origin: the session cookie goes along by itself.
//!
//! This uses the browser's `fetch` directly rather than reqwest: reqwest
//! brings the `url` crate and its IDNA tables into the bundle, which more
//! than doubled the portal's download (see docs/ARCHITECTURE.md).

use serde::Serialize;
use serde::de::DeserializeOwned;
use settle_shared::api::{
    CheckoutRequest, CheckoutResponse, CombinedCheckoutRequest, InvoiceResponse,
    LinkRequestRequest, LinkRequestResponse, ListResponse, PortalSessionResponse,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a call failed, in terms the pages can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// The session is missing or over: send the customer to get a new link.
    SignedOut,
    NotFound,
    RateLimited(String),
    /// The server refused the input; the message is for the customer.
    Invalid(String),
    /// Network trouble or a server error: worth trying again.
    Unavailable,
}

/// Sends a request (a body with its type) and returns the status and body
/// text.
async fn send(
    method: &str,
    path: &str,
    body: Option<(JsValue, &str)>,
) -> Result<(u16, String), ApiFailure> {
    let window = web_sys::window().ok_or(ApiFailure::Unavailable)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(|_| ApiFailure::Unavailable)?;
    headers
        .set("Accept", "application/json")
        .map_err(|_| ApiFailure::Unavailable)?;
    if let Some((b, kind)) = body {
        headers
            .set("Content-Type", kind)
            .map_err(|_| ApiFailure::Unavailable)?;
        init.set_body(&b);
    }
    init.set_headers(&headers);
    let url = format!("/api/v1/portal{path}");
    let resp = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| ApiFailure::Unavailable)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| ApiFailure::Unavailable)?;
    let text = JsFuture::from(resp.text().map_err(|_| ApiFailure::Unavailable)?)
        .await
        .map_err(|_| ApiFailure::Unavailable)?;
    Ok((resp.status(), text.as_string().unwrap_or_default()))
}

/// Turns a status and body into the expected type or a failure.
pub fn interpret<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiFailure> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|_| ApiFailure::Unavailable);
    }
    // The code is read as text, not as `ErrorCode`: decoding the enum would
    // carry every code's name into the pay path's bundle for the four it needs.
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(serde::Deserialize)]
    struct Detail {
        code: String,
        message: String,
    }
    let err = serde_json::from_str::<Envelope>(body).ok().map(|b| b.error);
    Err(match err {
        Some(e) if matches!(e.code.as_str(), "session_expired" | "unauthorized") => {
            ApiFailure::SignedOut
        }
        Some(e) if e.code == "not_found" => ApiFailure::NotFound,
        Some(e) if e.code == "rate_limited" => ApiFailure::RateLimited(e.message),
        Some(e) if status < 500 => ApiFailure::Invalid(e.message),
        _ => ApiFailure::Unavailable,
    })
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let (status, body) = send("GET", path, None).await?;
    interpret(status, &body)
}

pub async fn post<T: DeserializeOwned, B: Serialize>(
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiFailure> {
    call("POST", path, body).await
}

/// A request with a JSON body (or none) by `method`.
pub async fn call<T: DeserializeOwned, B: Serialize>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiFailure> {
    let body = body.map(|b| {
        let json = serde_json::to_string(b).unwrap_or_default();
        (JsValue::from_str(&json), "application/json")
    });
    let (status, text) = send(method, path, body).await?;
    interpret(status, &text)
}

/// Sends a file as the body, as it is (the server reads what it is).
pub async fn post_file<T: DeserializeOwned>(
    path: &str,
    file: &web_sys::File,
) -> Result<T, ApiFailure> {
    let (status, text) = send(
        "POST",
        path,
        Some((JsValue::from(file.clone()), "application/octet-stream")),
    )
    .await?;
    interpret(status, &text)
}

pub async fn session() -> Result<PortalSessionResponse, ApiFailure> {
    get("/session").await
}

pub async fn invoices() -> Result<ListResponse<InvoiceResponse>, ApiFailure> {
    get("/invoices").await
}

pub async fn invoice(id: String) -> Result<InvoiceResponse, ApiFailure> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ApiFailure::NotFound);
    }
    get(&format!("/invoices/{id}")).await
}

pub async fn request_link(email: String) -> Result<LinkRequestResponse, ApiFailure> {
    post("/link-requests", Some(&LinkRequestRequest { email })).await
}

/// A Stripe Checkout Session for the invoice's balance, or part of it (an
/// open one for the same amount is reused).
pub async fn checkout(id: String, amount: Option<i64>) -> Result<CheckoutResponse, ApiFailure> {
    post(
        &format!("/invoices/{id}/checkout"),
        Some(&CheckoutRequest { amount }),
    )
    .await
}

/// One Checkout Session for several invoices of one currency.
pub async fn checkout_many(invoice_ids: Vec<String>) -> Result<CheckoutResponse, ApiFailure> {
    post("/checkout", Some(&CombinedCheckoutRequest { invoice_ids })).await
}

/// Ends the session; the answer's body is not read (decoding it as a JSON
/// value would carry serde_json's `Value` into the pay path's bundle).
pub async fn sign_out() -> Result<serde::de::IgnoredAny, ApiFailure> {
    post::<_, ()>("/sign-out", None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_error_codes_to_what_the_page_says() {
        let body = |code: &str| format!(r#"{{"error":{{"code":"{code}","message":"m"}}}}"#);
        assert_eq!(
            interpret::<serde_json::Value>(401, &body("session_expired")),
            Err(ApiFailure::SignedOut)
        );
        assert_eq!(
            interpret::<serde_json::Value>(404, &body("not_found")),
            Err(ApiFailure::NotFound)
        );
        assert_eq!(
            interpret::<serde_json::Value>(429, &body("rate_limited")),
            Err(ApiFailure::RateLimited("m".into()))
        );
        assert_eq!(
            interpret::<serde_json::Value>(422, &body("invalid_field")),
            Err(ApiFailure::Invalid("m".into()))
        );
        assert_eq!(
            interpret::<serde_json::Value>(500, "oops"),
            Err(ApiFailure::Unavailable)
        );
        assert_eq!(
            interpret::<serde_json::Value>(200, "{}"),
            Ok(serde_json::json!({}))
        );
    }
}
