//! Calls to the company API under `/api/v1/`, signed in by the staff
//! session cookie (same origin: the browser sends it, and `Origin` with
//! every state-changing request, which is what the server's CSRF check
//! reads).

use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use settle_shared::error::{ErrorBody, ErrorCode};

/// Why a call failed, in terms a page can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// No session, or it ended: sign in again.
    SignedOut,
    /// The member's role may not do this; the message says who may.
    Forbidden(String),
    NotFound,
    /// The server refused the input or the state; the message is for people.
    Refused(String),
    /// Network trouble or a server error: worth trying again.
    Unavailable,
}

impl ApiFailure {
    /// What to show, in the member's words where the server gave none.
    pub fn message(&self, t: &crate::i18n::Words) -> String {
        match self {
            ApiFailure::SignedOut => t.signed_out.to_owned(),
            ApiFailure::Forbidden(m) | ApiFailure::Refused(m) => m.clone(),
            ApiFailure::NotFound => t.not_found.to_owned(),
            ApiFailure::Unavailable => t.unavailable.to_owned(),
        }
    }
}

/// Turns a status and body into the expected type or a failure.
pub fn interpret<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiFailure> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|_| ApiFailure::Unavailable);
    }
    let err = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    Err(match err {
        Some(e) if matches!(e.code, ErrorCode::SessionExpired | ErrorCode::Unauthorized) => {
            ApiFailure::SignedOut
        }
        Some(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::CsrfRejected) => {
            ApiFailure::Forbidden(e.message)
        }
        Some(e) if e.code == ErrorCode::NotFound => ApiFailure::NotFound,
        Some(e) if status < 500 => ApiFailure::Refused(e.message),
        _ => ApiFailure::Unavailable,
    })
}

async fn send<T: DeserializeOwned>(
    req: RequestBuilder,
    body: Option<String>,
) -> Result<T, ApiFailure> {
    let req = req.header("Accept", "application/json");
    let sent = match body {
        Some(b) => {
            req.header("Content-Type", "application/json")
                .body(b)
                .map_err(|_| ApiFailure::Unavailable)?
                .send()
                .await
        }
        None => req.send().await,
    };
    let resp = sent.map_err(|_| ApiFailure::Unavailable)?;
    let status = resp.status();
    let text = resp.text().await.map_err(|_| ApiFailure::Unavailable)?;
    interpret(status, &text)
}

fn url(path: &str) -> String {
    format!("/api/v1{path}")
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    send(Request::get(&url(path)), None).await
}

pub async fn post<T: DeserializeOwned, B: Serialize>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    let b = serde_json::to_string(body).map_err(|_| ApiFailure::Unavailable)?;
    send(Request::post(&url(path)), Some(b)).await
}

pub async fn patch<T: DeserializeOwned, B: Serialize>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    let b = serde_json::to_string(body).map_err(|_| ApiFailure::Unavailable)?;
    send(Request::patch(&url(path)), Some(b)).await
}

pub async fn put<T: DeserializeOwned, B: Serialize>(path: &str, body: &B) -> Result<T, ApiFailure> {
    let b = serde_json::to_string(body).map_err(|_| ApiFailure::Unavailable)?;
    send(Request::put(&url(path)), Some(b)).await
}

pub async fn delete<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    send(Request::delete(&url(path)), None).await
}

/// Sends a file as the body, as it is (a logo).
pub async fn put_file<T: DeserializeOwned>(
    path: &str,
    file: web_sys::File,
) -> Result<T, ApiFailure> {
    send_file(Request::put(&url(path)), file).await
}

/// Sends a file as the body, as it is (a file in a dispute's thread).
pub async fn post_file<T: DeserializeOwned>(
    path: &str,
    file: web_sys::File,
) -> Result<T, ApiFailure> {
    send_file(Request::post(&url(path)), file).await
}

async fn send_file<T: DeserializeOwned>(
    req: RequestBuilder,
    file: web_sys::File,
) -> Result<T, ApiFailure> {
    let req = req
        .header("Accept", "application/json")
        .body(file)
        .map_err(|_| ApiFailure::Unavailable)?;
    let resp = req.send().await.map_err(|_| ApiFailure::Unavailable)?;
    let status = resp.status();
    let text = resp.text().await.map_err(|_| ApiFailure::Unavailable)?;
    interpret(status, &text)
}

/// A query string from pairs, leaving out empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let params = web_sys::UrlSearchParams::new().expect("URLSearchParams");
    for (k, v) in pairs {
        if !v.trim().is_empty() {
            params.append(k, v.trim());
        }
    }
    let s: String = params.to_string().into();
    if s.is_empty() { s } else { format!("?{s}") }
}

/// The team's members for a member who sees every account (to name each
/// account's agent); nothing for others, whom `/team` would refuse.
pub async fn team_if(sees_all: bool) -> Vec<settle_shared::api::MemberResponse> {
    if !sees_all {
        return Vec::new();
    }
    get::<settle_shared::api::ListResponse<settle_shared::api::MemberResponse>>("/team")
        .await
        .map(|l| l.data)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_become_what_the_page_says() {
        let body = |code: &str| format!(r#"{{"error":{{"code":"{code}","message":"m"}}}}"#);
        assert_eq!(
            interpret::<serde_json::Value>(401, &body("session_expired")),
            Err(ApiFailure::SignedOut)
        );
        assert_eq!(
            interpret::<serde_json::Value>(403, &body("forbidden")),
            Err(ApiFailure::Forbidden("m".into()))
        );
        assert_eq!(
            interpret::<serde_json::Value>(409, &body("last_admin")),
            Err(ApiFailure::Refused("m".into()))
        );
        assert_eq!(
            interpret::<serde_json::Value>(404, &body("not_found")),
            Err(ApiFailure::NotFound)
        );
        assert_eq!(
            interpret::<serde_json::Value>(502, "x"),
            Err(ApiFailure::Unavailable)
        );
    }
}
