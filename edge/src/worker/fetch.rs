//! Outbound HTTP from the worker (Stripe, the email provider) through
//! `worker::Fetch`, with a timeout.

use crate::outbound::{HttpClient, HttpRequest, HttpResponse};
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Request, RequestInit};

/// Seconds an outbound request may take before it counts as failed.
const FETCH_TIMEOUT_SECS: u64 = 10;

/// Outbound HTTP through `worker::Fetch`.
pub struct WorkerFetch;

impl HttpClient for WorkerFetch {
    async fn send(&self, r: HttpRequest) -> Result<HttpResponse, String> {
        let err = |e: worker::Error| e.to_string();
        let headers = Headers::new();
        for (k, v) in &r.headers {
            headers.set(k, v).map_err(err)?;
        }
        let mut init = RequestInit::new();
        let get = r.method == "GET";
        init.with_method(if get {
            worker::Method::Get
        } else {
            worker::Method::Post
        })
        .with_headers(headers);
        if !get {
            init.with_body(Some(JsValue::from_str(&r.body)));
        }
        let request = Request::new_with_init(&r.url, &init).map_err(err)?;
        // Give up after a while: a hanging provider must not hang the caller.
        let fetch = Fetch::Request(request);
        let fetch = std::pin::pin!(fetch.send());
        let timeout = std::pin::pin!(worker::Delay::from(std::time::Duration::from_secs(
            FETCH_TIMEOUT_SECS
        )));
        let mut resp = match futures_util::future::select(fetch, timeout).await {
            futures_util::future::Either::Left((sent, _)) => sent.map_err(err)?,
            futures_util::future::Either::Right(_) => {
                return Err(format!("no answer within {FETCH_TIMEOUT_SECS} s"));
            }
        };
        let status = resp.status_code();
        let body = resp.text().await.unwrap_or_default();
        Ok(HttpResponse { status, body })
    }
}
