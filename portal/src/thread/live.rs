//! Listening to a thread: a WebSocket to its Durable Object tells the page
//! when the thread changed, and the page fetches it again. When no socket
//! can be held (a proxy that refuses WebSockets, a dropped connection), the
//! page falls back to asking every few seconds, says so, and tries the
//! socket again later. Used by the customer's dispute pages and the
//! console.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// How often a page without a socket asks for the thread.
pub const POLL_MS: i32 = 4000;
/// How often a page with a socket asks anyway (a missed notification).
pub const SAFETY_POLL_MS: i32 = 30_000;
/// How long after losing the socket to try again.
const RECONNECT_MS: i32 = 15_000;
/// Keep-alive, so idle connections are not closed by proxies.
const PING_MS: i32 = 30_000;

pub use crate::components::sleep;

/// Listens on `path` (such as `/api/v1/portal/disputes/dsp_…/live`) for as
/// long as `alive` holds: `changed` is set to a new value on every change,
/// and `live` says whether a socket is open (else the caller polls).
pub fn listen(path: String, changed: RwSignal<u32>, live: RwSignal<bool>, alive: RwSignal<bool>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    let url = format!("{scheme}://{host}{path}");
    let Ok(ws) = web_sys::WebSocket::new(&url) else {
        live.set(false);
        return;
    };
    let onopen = Closure::<dyn FnMut()>::new(move || live.set(true));
    ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
    onopen.forget();
    let onmessage =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if e.data().as_string().is_some_and(|s| s.contains("changed")) {
                changed.update(|n| *n = n.wrapping_add(1));
            }
        });
    ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    let onclose = Closure::<dyn FnMut()>::new(move || {
        live.set(false);
        if !alive.get_untracked() {
            return;
        }
        let path = path.clone();
        leptos::task::spawn_local(async move {
            sleep(RECONNECT_MS).await;
            if alive.get_untracked() && !live.get_untracked() {
                listen(path, changed, live, alive);
            }
        });
    });
    ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    onclose.forget();
    // Keep-alive while open; closed when the page goes.
    let socket = ws.clone();
    leptos::task::spawn_local(async move {
        loop {
            sleep(PING_MS).await;
            if !alive.get_untracked() {
                let _ = socket.close();
                break;
            }
            if socket.ready_state() == web_sys::WebSocket::OPEN {
                let _ = socket.send_with_str("ping");
            } else if socket.ready_state() == web_sys::WebSocket::CLOSED {
                break;
            }
        }
    });
}

/// Fetches `path` now, on every change `changed` reports, and every
/// `POLL_MS` while `live` is false (every `SAFETY_POLL_MS` while it is
/// true), for as long as `alive` holds.
pub fn follow<F, Fut>(fetch: F, changed: RwSignal<u32>, live: RwSignal<bool>, alive: RwSignal<bool>)
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = bool> + 'static,
{
    leptos::task::spawn_local(async move {
        let mut seen = changed.get_untracked();
        loop {
            if !fetch().await {
                break;
            }
            let mut waited = 0;
            loop {
                sleep(250).await;
                waited += 250;
                if !alive.get_untracked() {
                    return;
                }
                let every = if live.get_untracked() {
                    SAFETY_POLL_MS
                } else {
                    POLL_MS
                };
                let now = changed.get_untracked();
                if now != seen || waited >= every {
                    seen = now;
                    break;
                }
            }
        }
    });
}

/// Keeps `into` holding the latest answer of `fetch`: now, on every change
/// the socket at `path` reports, and on a timer (every few seconds without
/// a socket). A first failure is shown and ends it; a later one keeps what
/// is shown. Stops when the calling component goes; answers whether a
/// socket is open, for the page to say.
pub fn watch<T, E, F, Fut>(
    path: String,
    fetch: F,
    into: RwSignal<Option<Result<T, E>>>,
) -> RwSignal<bool>
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = Result<T, E>> + 'static,
{
    let (changed, live, alive) = (
        RwSignal::new(0u32),
        RwSignal::new(false),
        RwSignal::new(true),
    );
    on_cleanup(move || alive.set(false));
    listen(path, changed, live, alive);
    follow(
        move || {
            let answer = fetch();
            async move {
                let r = answer.await;
                let first = into.with_untracked(Option::is_none);
                let go_on = r.is_ok() || !first;
                if r.is_ok() || first {
                    into.set(Some(r));
                }
                go_on
            }
        },
        changed,
        live,
        alive,
    );
    live
}
