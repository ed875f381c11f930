//! Calls to the portal API under `/api/v1/portal/`, with the shared types.
//! Same origin: the session cookie goes along by itself.

use serde::de::DeserializeOwned;
use settle_shared::api::{
    InvoiceResponse, LinkRequestRequest, LinkRequestResponse, ListResponse, PortalSessionResponse,
};
use settle_shared::error::{ErrorBody, ErrorCode};

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

fn url(path: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}/api/v1/portal{path}")
}

async fn read<T: DeserializeOwned>(
    resp: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, ApiFailure> {
    let resp = resp.map_err(|_| ApiFailure::Unavailable)?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return resp.json::<T>().await.map_err(|_| ApiFailure::Unavailable);
    }
    let body = resp.json::<ErrorBody>().await.ok();
    Err(match body.map(|b| b.error) {
        Some(e) if matches!(e.code, ErrorCode::SessionExpired | ErrorCode::Unauthorized) => {
            ApiFailure::SignedOut
        }
        Some(e) if e.code == ErrorCode::NotFound => ApiFailure::NotFound,
        Some(e) if e.code == ErrorCode::RateLimited => ApiFailure::RateLimited(e.message),
        Some(e) if status < 500 => ApiFailure::Invalid(e.message),
        _ => ApiFailure::Unavailable,
    })
}

pub async fn session() -> Result<PortalSessionResponse, ApiFailure> {
    read(reqwest::get(url("/session")).await).await
}

pub async fn invoices() -> Result<ListResponse<InvoiceResponse>, ApiFailure> {
    read(reqwest::get(url("/invoices")).await).await
}

pub async fn invoice(id: String) -> Result<InvoiceResponse, ApiFailure> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ApiFailure::NotFound);
    }
    read(reqwest::get(url(&format!("/invoices/{id}"))).await).await
}

pub async fn request_link(email: String) -> Result<LinkRequestResponse, ApiFailure> {
    let resp = reqwest::Client::new()
        .post(url("/link-requests"))
        .json(&LinkRequestRequest { email })
        .send()
        .await;
    read(resp).await
}

pub async fn sign_out() -> Result<serde_json::Value, ApiFailure> {
    read(reqwest::Client::new().post(url("/sign-out")).send().await).await
}
