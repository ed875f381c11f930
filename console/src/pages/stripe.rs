//! `/console/stripe` (admins): the company's own Stripe account. The admin
//! pastes a secret or restricted key and the signing secret of the webhook
//! endpoint they added at Stripe; afterwards only the last four characters
//! show. "Check connection" asks Stripe, with the stored key, whether
//! payments can be taken and events will arrive, and says what to fix.

use crate::api::{self, ApiFailure};
use crate::i18n::Words;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_shared::api::{ConnectStripeRequest, StripeAccountResponse, StripeCheck, StripeSource};

fn when(t: Option<&str>, t_never: &'static str) -> String {
    t.map(|s| s.replace('T', " ").replace('Z', " UTC"))
        .unwrap_or_else(|| t_never.to_owned())
}

#[component]
pub fn StripePage() -> impl IntoView {
    let t = expect_context::<Session>().t();
    set_title(t.stripe);
    let version = RwSignal::new(0u32);
    let account = LocalResource::new(move || {
        version.track();
        api::get::<StripeAccountResponse>("/organization/stripe")
    });
    // The latest answer of a save or a check, shown instead of the loaded
    // one until the page is loaded again.
    let latest = RwSignal::new(None::<StripeAccountResponse>);
    let note = RwSignal::new(None::<Result<&'static str, ApiFailure>>);
    view! {
        <h1>{t.stripe}</h1>
        <p>{t.stripe_lead}</p>
        {move || note.get().map(|r| match r {
            Ok(m) => view! { <p class="notice" role="status">{m}</p> }.into_any(),
            Err(e) => view! { <Failure failure=e/> }.into_any(),
        })}
        {move || {
            let shown = latest.get().map(Ok).or_else(|| account.get());
            match shown {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(a)) => view! { <Account a=a latest=latest note=note version=version/> }.into_any(),
            }
        }}
    }
}

#[component]
fn Account(
    a: StripeAccountResponse,
    latest: RwSignal<Option<StripeAccountResponse>>,
    note: RwSignal<Option<Result<&'static str, ApiFailure>>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let own = a.source == StripeSource::Own;
    let busy = RwSignal::new(false);
    let secret_key = RwSignal::new(String::new());
    let webhook_secret = RwSignal::new(String::new());
    let check = move |_| {
        busy.set(true);
        note.set(None);
        leptos::task::spawn_local(async move {
            match api::post::<StripeAccountResponse, _>(
                "/organization/stripe/check",
                &serde_json::json!({}),
            )
            .await
            {
                Ok(v) => latest.set(Some(v)),
                Err(e) => note.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
        let body = ConnectStripeRequest {
            secret_key: given(secret_key),
            webhook_secret: given(webhook_secret),
        };
        busy.set(true);
        note.set(None);
        leptos::task::spawn_local(async move {
            match api::put::<StripeAccountResponse, _>("/organization/stripe", &body).await {
                Ok(v) => {
                    secret_key.set(String::new());
                    webhook_secret.set(String::new());
                    latest.set(Some(v));
                    note.set(Some(Ok(t.saved)));
                }
                Err(e) => note.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let disconnect = move |_| {
        let sure = window()
            .confirm_with_message(t.disconnect_confirm)
            .unwrap_or(false);
        if !sure {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::delete::<StripeAccountResponse>("/organization/stripe").await {
                Ok(v) => {
                    latest.set(Some(v));
                    note.set(Some(Ok(t.done)));
                    version.update(|n| *n += 1);
                }
                Err(e) => note.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let source = match a.source {
        StripeSource::Own => t.stripe_own,
        StripeSource::Deployment => t.stripe_deployment,
        StripeSource::None => t.stripe_none,
    };
    let status_class = if own { "notice" } else { "error" };
    let account_name = match (&a.account_name, &a.account_id) {
        (Some(n), Some(id)) => format!("{n} · {id}"),
        (None, Some(id)) => id.clone(),
        (Some(n), None) => n.clone(),
        (None, None) => "—".into(),
    };
    let mode = match a.mode.as_deref() {
        Some("live") => t.live_mode,
        Some(_) => t.test_mode,
        None => "—",
    };
    let ending = |v: &Option<String>| {
        v.as_ref()
            .map(|l| format!("{} ••••{l}", t.ending_in))
            .unwrap_or_else(|| "—".into())
    };
    view! {
        <section class="card" aria-labelledby="s-status">
            <h2 id="s-status">{t.stripe_status}</h2>
            <p class=status_class>{source}</p>
            {own.then(|| view! {
                <dl class="facts">
                    <dt>{t.stripe_account}</dt><dd>{account_name.clone()}</dd>
                    <dt>{t.mode}</dt><dd>{mode}</dd>
                    <dt>{t.secret_key}</dt><dd><code>{ending(&a.secret_key_last4)}</code></dd>
                    <dt>{t.webhook_secret}</dt><dd><code>{ending(&a.webhook_secret_last4)}</code></dd>
                    <dt>{t.last_checked}</dt><dd>{when(a.checked_at.as_deref(), t.never)}</dd>
                    <dt>{t.last_event}</dt><dd>{when(a.last_event_at.as_deref(), t.never)}</dd>
                </dl>
            })}
            {a.check.clone().map(|c| view! { <CheckResult c=c/> })}
            <div class="actions">
                {(a.source != StripeSource::None).then(|| view! {
                    <button type="button" on:click=check disabled=move || busy.get()>
                        {move || if busy.get() { t.checking } else { t.check_connection }}
                    </button>
                })}
                {own.then(|| view! {
                    <button type="button" class="danger" on:click=disconnect disabled=move || busy.get()>{t.disconnect}</button>
                })}
            </div>
        </section>
        <form class="card" on:submit=save aria-labelledby="s-keys">
            <h2 id="s-keys">{if own { t.replace_keys } else { t.connect_stripe }}</h2>
            {(!a.can_connect).then(|| view! { <p class="error">{t.cannot_connect}</p> })}
            {own.then(|| view! { <p>{t.keep_blank}</p> })}
            <label for="s-key">{t.secret_key}</label>
            <input id="s-key" type="password" autocomplete="off" spellcheck="false" class="secret"
                placeholder="sk_live_… / rk_live_…" required=!own aria-describedby="s-key-hint"
                prop:value=move || secret_key.get() on:input=move |ev| secret_key.set(event_target_value(&ev))/>
            <p id="s-key-hint" class="badge">{t.secret_key_hint}</p>
            <label for="s-hook">{t.webhook_secret}</label>
            <input id="s-hook" type="password" autocomplete="off" spellcheck="false" class="secret"
                placeholder="whsec_…" required=!own aria-describedby="s-hook-hint"
                prop:value=move || webhook_secret.get() on:input=move |ev| webhook_secret.set(event_target_value(&ev))/>
            <p id="s-hook-hint" class="badge">{t.webhook_secret_hint}</p>
            <button type="submit" disabled=move || busy.get() || !a.can_connect>
                {if own { t.replace_keys } else { t.connect }}
            </button>
        </form>
        <section class="card" aria-labelledby="s-hook-setup">
            <h2 id="s-hook-setup">{t.webhook_endpoint}</h2>
            <p>{t.webhook_steps}</p>
            <label for="s-url">{t.endpoint_url}</label>
            <input id="s-url" readonly class="secret" value=a.webhook_url.clone()/>
            <p class="badge">{t.events}</p>
            <ul>{a.needed_events.iter().map(|e| view! { <li><code>{e.clone()}</code></li> }).collect_view()}</ul>
        </section>
    }
}

#[component]
fn CheckResult(c: StripeCheck) -> impl IntoView {
    let t: &'static Words = expect_context::<Session>().t();
    let headline = if c.ok && c.problems.is_empty() {
        view! { <p class="notice" role="status">{t.connection_ok}</p> }.into_any()
    } else if c.ok {
        view! { <p class="notice" role="status">{t.connection_ok_but}</p> }.into_any()
    } else {
        view! { <p class="error" role="alert">{t.connection_failed}</p> }.into_any()
    };
    view! {
        {headline}
        {(!c.problems.is_empty()).then(|| view! {
            <ul class="problems">{c.problems.into_iter().map(|p| view! {
                <li data-code=p.code.clone()>{p.message}</li>
            }).collect_view()}</ul>
        })}
    }
}
