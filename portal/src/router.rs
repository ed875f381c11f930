//! The portal's router: four pages, matched from the path.
//!
//! A few dozen lines instead of `leptos_router`, whose generic machinery was
//! the largest single part of the bundle: same-origin link clicks become
//! `history.pushState`, the back button works through `popstate`.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// A page of the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Home,
    Invoices,
    /// An invoice, and the `checkout` query when coming back from paying.
    Invoice(String, Option<String>),
    /// The link page, with its `reason`.
    Link(String),
    NotFound,
}

impl Page {
    /// Matches a path with its query string, such as `/link?reason=expired`.
    pub fn parse(location: &str) -> Page {
        let (path, query) = location.split_once('?').unwrap_or((location, ""));
        let segs: Vec<&str> = path
            .trim_start_matches('/')
            .trim_end_matches('/')
            .split('/')
            .collect();
        match segs.as_slice() {
            [] | [""] => Page::Home,
            ["invoices"] => Page::Invoices,
            ["invoices", id] => {
                let checkout = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("checkout="))
                    .map(str::to_owned);
                Page::Invoice((*id).to_owned(), checkout)
            }
            ["link"] => {
                let reason = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("reason="))
                    .unwrap_or("");
                Page::Link(reason.to_owned())
            }
            _ => Page::NotFound,
        }
    }
}

/// The current location, as a signal.
#[derive(Clone, Copy)]
pub struct Location(pub RwSignal<String>);

fn current() -> String {
    let loc = window().location();
    format!(
        "{}{}",
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    )
}

/// Installs the listeners and provides the location to the app.
pub fn install() -> RwSignal<String> {
    let location = RwSignal::new(current());
    provide_context(Location(location));
    let _ = window_event_listener(ev::popstate, move |_| location.set(current()));
    let _ = window_event_listener(ev::click, move |e: web_sys::MouseEvent| {
        if e.default_prevented()
            || e.button() != 0
            || e.meta_key()
            || e.ctrl_key()
            || e.shift_key()
            || e.alt_key()
        {
            return;
        }
        let Some(anchor) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
        else {
            return;
        };
        let href = anchor.get_attribute("href").unwrap_or_default();
        let internal = href.starts_with('/')
            && !href.starts_with("//")
            && !href.starts_with("/c/")
            && !href.starts_with("/api/")
            // The dispute, promise, plan and account pages are an app of their own: a full load.
            && !href.starts_with("/disputes")
            && !href.starts_with("/promise/")
            && !href.starts_with("/plan/")
            && !href.starts_with("/account");
        if !internal || anchor.has_attribute("target") || anchor.has_attribute("download") {
            return;
        }
        e.prevent_default();
        go(location, &href, false);
    });
    location
}

fn go(location: RwSignal<String>, to: &str, replace: bool) {
    if let Ok(history) = window().history() {
        let _ = if replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(to))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(to))
        };
    }
    location.set(to.to_owned());
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// Navigates within the portal.
pub fn navigate(to: &str, replace: bool) {
    if let Some(Location(location)) = use_context::<Location>() {
        go(location, to, replace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pages() {
        assert_eq!(Page::parse("/"), Page::Home);
        assert_eq!(Page::parse("/invoices"), Page::Invoices);
        assert_eq!(Page::parse("/invoices/"), Page::Invoices);
        assert_eq!(
            Page::parse("/invoices/inv_1"),
            Page::Invoice("inv_1".into(), None)
        );
        assert_eq!(
            Page::parse("/invoices/inv_1?checkout=cs_1"),
            Page::Invoice("inv_1".into(), Some("cs_1".into()))
        );
        assert_eq!(
            Page::parse("/link?reason=expired"),
            Page::Link("expired".into())
        );
        assert_eq!(Page::parse("/link"), Page::Link(String::new()));
        assert_eq!(Page::parse("/invoices/a/b"), Page::NotFound);
        assert_eq!(Page::parse("/other"), Page::NotFound);
    }
}
