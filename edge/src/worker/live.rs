//! Live threads: one Durable Object per dispute (`THREADS`), holding the
//! open WebSockets of whoever reads the thread (the customer, the company's
//! staff) with hibernation, so an idle thread costs nothing.
//!
//! The worker decides who may listen (the same checks as reading the
//! thread over HTTP) and forwards only allowed upgrades, tagged with the
//! side and the session they came with. Messages are still written over
//! HTTP (checked, rate-limited, audited); after each write the worker tells
//! the thread's object, which tells every socket `{"type":"changed"}` and
//! the pages fetch the thread again. When access is taken away (a revoked
//! link, a removed member), the worker asks the objects of the threads
//! concerned to close those sockets. Sockets carry no content (only
//! "changed"): a page must still read the thread over HTTP, with the checks.

use crate::error::ApiError;
use crate::worker::ctx::Ctx;
use worker::{
    DurableObject, Env, Request, Response, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair, durable_object,
};

/// The thread's object: sockets in, notifications out.
#[durable_object(websocket)]
pub struct ThreadRoom {
    state: State,
}

impl DurableObject for ThreadRoom {
    fn new(state: State, _env: Env) -> Self {
        ThreadRoom { state }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let path = req.path();
        match path.as_str() {
            "/connect" => {
                // Who listens: tags the worker set (`customer`/`company`,
                // then the session's or member's own tag).
                let tags = req.headers().get("X-Settle-Tags")?.unwrap_or_default();
                let tags: Vec<&str> = tags.split(',').filter(|t| !t.is_empty()).collect();
                if tags.len() < 2 {
                    return Response::error("who is listening is not said", 400);
                }
                let pair = WebSocketPair::new()?;
                self.state.accept_websocket_with_tags(&pair.server, &tags);
                Response::from_websocket(pair.client)
            }
            "/notify" => {
                let mut sent = 0;
                for ws in self.state.get_websockets() {
                    if ws.send_with_str(r#"{"type":"changed"}"#).is_ok() {
                        sent += 1;
                    }
                }
                Response::ok(format!("{{\"sockets\":{sent}}}"))
            }
            "/kick" => {
                let mut req = req;
                let tag = req.text().await?;
                let mut closed = 0;
                for ws in self.state.get_websockets_with_tag(tag.trim()) {
                    let _ = ws.close(Some(4401), Some("session ended"));
                    closed += 1;
                }
                Response::ok(format!("{{\"closed\":{closed}}}"))
            }
            _ => Response::error("no such thing", 404),
        }
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        // Pages only keep the connection alive; what they write goes over
        // HTTP, where it is checked.
        if let WebSocketIncomingMessage::String(s) = message
            && s == "ping"
        {
            ws.send_with_str("pong")?;
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        let _ = ws.close(Some(1000), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        Ok(())
    }
}

fn stub(ctx: &Ctx, dispute_id: &str) -> Result<worker::Stub, ApiError> {
    ctx.env
        .durable_object("THREADS")
        .and_then(|ns| ns.id_from_name(dispute_id)?.get_stub())
        .map_err(|e| ApiError::internal(format!("THREADS binding: {e}")))
}

/// The tag of the sockets a customer's portal session opened.
pub fn session_tag(token_hash: &str) -> String {
    format!("s:{token_hash}")
}

/// The tag of the sockets a team member opened.
pub fn member_tag(member_id: &str) -> String {
    format!("m:{member_id}")
}

/// Hands an allowed upgrade to the thread's object, its socket tagged with
/// `side` (`customer` or `company`) and `who` ([`session_tag`],
/// [`member_tag`]). With a cookie (`by_cookie`), refused unless it comes from
/// this origin: a page elsewhere cannot listen with the visitor's cookie.
pub async fn connect(
    ctx: &Ctx,
    req: &Request,
    dispute_id: &str,
    side: &str,
    who: &str,
    by_cookie: bool,
) -> Result<Response, ApiError> {
    let upgrade = req
        .headers()
        .get("Upgrade")
        .ok()
        .flatten()
        .unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::Client {
            code: settle_shared::ErrorCode::InvalidField,
            message: "This address takes a WebSocket (`Upgrade: websocket`).".into(),
            field: None,
        });
    }
    let own = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let header = |n: &str| req.headers().get(n).ok().flatten();
    if by_cookie
        && !crate::security::same_origin(
            header("Sec-Fetch-Site").as_deref(),
            header("Origin").as_deref(),
            &own,
        )
    {
        return Err(ApiError::new(
            settle_shared::ErrorCode::CsrfRejected,
            "This connection did not come from Settle's own pages.",
        ));
    }
    let headers = worker::Headers::new();
    let set = |k: &str, v: &str| {
        headers
            .set(k, v)
            .map_err(|e| ApiError::internal(format!("headers: {e}")))
    };
    set("Upgrade", "websocket")?;
    set("X-Settle-Tags", &format!("{side},{who}"))?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let inner = Request::new_with_init("https://thread.invalid/connect", &init)
        .map_err(|e| ApiError::internal(format!("connect request: {e}")))?;
    stub(ctx, dispute_id)?
        .fetch_with_request(inner)
        .await
        .map_err(|e| ApiError::internal(format!("connect: {e}")))
}

/// Tells the thread's listeners it changed. Best effort: a page that misses
/// it finds the change on its next poll or reconnection.
pub async fn changed(ctx: &Ctx, dispute_id: &str) {
    let sent = async {
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post);
        let req = Request::new_with_init("https://thread.invalid/notify", &init)?;
        match stub(ctx, dispute_id) {
            Ok(s) => s.fetch_with_request(req).await.map(|_| ()),
            Err(_) => Ok(()),
        }
    };
    if let Err(e) = sent.await {
        worker::console_error!("notify thread {dispute_id}: {e}");
    }
}

/// Closes the sockets tagged `tag` on these threads (a session ended, a
/// member removed).
pub async fn kick(ctx: &Ctx, dispute_ids: &[String], tag: &str) {
    for id in dispute_ids {
        let sent = async {
            let mut init = worker::RequestInit::new();
            init.with_method(worker::Method::Post)
                .with_body(Some(tag.into()));
            let req = Request::new_with_init("https://thread.invalid/kick", &init)?;
            match stub(ctx, id) {
                Ok(s) => s.fetch_with_request(req).await.map(|_| ()),
                Err(_) => Ok(()),
            }
        };
        if let Err(e) = sent.await {
            worker::console_error!("close sockets of thread {id}: {e}");
        }
    }
}
