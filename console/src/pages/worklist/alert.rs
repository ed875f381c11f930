//! The follow-up alert: every page of the console asks, once a minute and
//! on each navigation, which of the member's follow-ups are due (on the
//! organization's clock), and says so at the top with a link to each
//! account.

use super::words::words;
use crate::api;
use crate::shell::Session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use settle_portal::i18n::fill;
use settle_shared::api::{ListResponse, TaskResponse};

#[component]
pub fn DueAlert() -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let tick = RwSignal::new(0u32);
    let handle = set_interval_with_handle(
        move || tick.update(|n| *n += 1),
        std::time::Duration::from_secs(60),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    let location = use_location();
    let due = LocalResource::new(move || {
        tick.track();
        location.pathname.track();
        async move {
            api::get::<ListResponse<TaskResponse>>("/tasks?due=true")
                .await
                .map(|l| l.data)
                .unwrap_or_default()
        }
    });
    move || {
        let list = due.get().unwrap_or_default();
        (!list.is_empty()).then(|| view! {
            <aside class="due-alert" role="alert" aria-live="assertive">
                <strong>{fill(w.alert, "n", &list.len().to_string())}</strong>
                <ul>{list.into_iter().map(|t| view! {
                    <li><A href=format!("/console/customers/{}", t.customer_id)>{t.customer_name.clone()}</A>": "{t.note.clone()}</li>
                }).collect_view()}</ul>
            </aside>
        })
    }
}
