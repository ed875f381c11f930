//! Reading requests and writing responses: body limits, JSON, errors,
//! query strings. The ways a caller proves who it is are in `auth` and
//! re-exported here, so handlers say `http::organization`, `http::staff`,
//! `http::session`.

pub use super::auth::{
    Session, Staff, operator, organization, same_origin_only, session, staff, with_member,
};
use crate::error::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use settle_shared::ErrorCode;
use worker::{Headers, Request, Response};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads a JSON body: size limit, content type, then strict parsing.
pub async fn json_body<T: DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    let bytes = body_bytes(req).await?;
    parse_json(&bytes)
}

/// Like [`json_body`], but an empty body gives `T::default()`.
pub async fn json_body_or_default<T: DeserializeOwned + Default>(
    req: Request,
) -> Result<T, ApiError> {
    let bytes = body_bytes(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(&bytes)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, then shape: a truncated body is invalid JSON even when
    // its first values already have the wrong type.
    serde_json::from_value(json_value(bytes)?).map_err(|e| ApiError::from_json(&e))
}

fn json_value(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::from_json(&e))
}

/// The body, refused past [`MAX_BODY_BYTES`] without reading the rest
/// (whether or not the client sent `Content-Length`).
async fn body_bytes(req: Request) -> Result<Vec<u8>, ApiError> {
    let has_body = header(&req, "Content-Length").is_none_or(|l| l != "0");
    let ct = header(&req, "Content-Type").unwrap_or_default();
    if has_body && !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the body as `Content-Type: application/json`.",
        ));
    }
    raw_body(req, MAX_BODY_BYTES).await
}

/// The body's exact bytes, at most `limit` of them (webhooks verify these).
pub async fn raw_body(mut req: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("The body is larger than {} KiB.", limit / 1024),
        )
    };
    if let Some(len) = header(&req, "Content-Length").and_then(|l| l.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large());
    }
    let mut out = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(out); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("The body could not be read: {e}."),
            )
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A header's value.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// One query parameter.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A JSON response. Only the encoding is generic: the response is built
/// once for every body type (the worker has some eighty).
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    json_text(status, serde_json::to_string(body))
}

fn json_text(status: u16, text: serde_json::Result<String>) -> Result<Response, ApiError> {
    let text = text.map_err(|e| ApiError::internal(format!("encode: {e}")))?;
    let mut resp = Response::from_bytes(text.into_bytes())
        .map_err(|e| ApiError::internal(format!("encode: {e}")))?
        .with_status(status);
    resp.headers_mut()
        .set("Content-Type", "application/json")
        .map_err(|e| ApiError::internal(format!("header: {e}")))?;
    no_store(resp)
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(mut resp: Response, cookie: &str) -> Result<Response, ApiError> {
    resp.headers_mut()
        .set("Set-Cookie", cookie)
        .map_err(|e| ApiError::internal(format!("header: {e}")))?;
    Ok(resp)
}

fn no_store(mut resp: Response) -> Result<Response, ApiError> {
    let h = resp.headers_mut();
    let set = |k: &str, v: &str| {
        h.set(k, v)
            .map_err(|e| ApiError::internal(format!("header: {e}")))
    };
    set("Cache-Control", "no-store")?;
    set("X-Content-Type-Options", "nosniff")?;
    Ok(resp)
}

/// The error envelope.
pub fn error(e: &ApiError) -> worker::Result<Response> {
    let mut resp = Response::from_json(&e.body())?.with_status(e.status());
    resp.headers_mut().set("Cache-Control", "no-store")?;
    if let Some(secs) = e.retry_after() {
        resp.headers_mut()
            .set("Retry-After", &secs.max(1).to_string())?;
    }
    Ok(resp)
}

/// A `303 See Other` to a path of our own, optionally setting a cookie.
pub fn redirect(location: &str, cookie: Option<&str>) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let f = |e: worker::Error| ApiError::internal(format!("header: {e}"));
    headers.set("Location", location).map_err(f)?;
    headers.set("Cache-Control", "no-store").map_err(f)?;
    headers.set("Referrer-Policy", "no-referrer").map_err(f)?;
    if let Some(c) = cookie {
        headers.set("Set-Cookie", c).map_err(f)?;
    }
    Ok(Response::empty()
        .map_err(f)?
        .with_status(303)
        .with_headers(headers))
}

/// The landing page of a customer link: HTML with the session cookie. Its
/// `Content-Location` names the page the portal continues on.
pub fn landing_page(html: &str, location: &str, cookie: &str) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let f = |e: worker::Error| ApiError::internal(format!("header: {e}"));
    headers
        .set("Content-Type", "text/html; charset=utf-8")
        .map_err(f)?;
    headers.set("Content-Location", location).map_err(f)?;
    headers.set("Cache-Control", "no-store").map_err(f)?;
    headers.set("Referrer-Policy", "no-referrer").map_err(f)?;
    headers.set("Set-Cookie", cookie).map_err(f)?;
    Ok(Response::ok(html).map_err(f)?.with_headers(headers))
}

/// A query value that must be one of `allowed` (absent is fine).
pub fn one_of(
    field: &str,
    v: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match v {
        Some(x) if !allowed.contains(&x.as_str()) => Err(settle_shared::text::FieldError::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )
        .into()),
        other => Ok(other),
    }
}
