//! `/console/account`: where the member is signed in; end one session or
//! all of them.

use crate::api;
use crate::shell::{Failure, Session, set_title, to_sign_in};
use leptos::prelude::*;
use settle_shared::api::{ListResponse, SignedOutResponse, StaffSessionResponse};

#[component]
pub fn Account() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.account);
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<StaffSessionResponse>>("/staff/sessions")
    });
    let problem = RwSignal::new(None::<String>);
    let everywhere = move |_| {
        leptos::task::spawn_local(async move {
            match api::post::<SignedOutResponse, _>(
                "/staff/sign-out-everywhere",
                &serde_json::json!({}),
            )
            .await
            {
                Ok(_) => to_sign_in(),
                Err(e) => problem.set(Some(e.message(t))),
            }
        });
    };
    let me = session.me.member.clone();
    view! {
        <h1>{t.account}</h1>
        <dl class="facts">
            <dt>{t.name}</dt><dd>{me.name.clone()}</dd>
            <dt>{t.email}</dt><dd>{me.email.clone()}</dd>
            <dt>{t.role}</dt><dd>{t.role(me.role)}</dd>
        </dl>
        <h2>{t.sessions}</h2>
        {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) => view! {
                <table>
                    <thead><tr><th scope="col">{t.device}</th><th scope="col">{t.signed_in_at}</th><th scope="col">{t.last_seen}</th><th scope="col"><span class="visually-hidden">{t.end}</span></th></tr></thead>
                    <tbody>{page.data.into_iter().map(|s| {
                        let id = s.id.clone();
                        let end = move |_| {
                            let id = id.clone();
                            leptos::task::spawn_local(async move {
                                match api::delete::<SignedOutResponse>(&format!("/staff/sessions/{id}")).await {
                                    Ok(_) => version.update(|v| *v += 1),
                                    Err(e) => problem.set(Some(e.message(t))),
                                }
                            });
                        };
                        let device = s.user_agent.clone().unwrap_or_default();
                        view! {
                            <tr>
                                <td>{device}{s.current.then(|| view! { " " <strong>"(" {t.this_device} ")"</strong> })}</td>
                                <td>{s.created_at.replace('T', " ").replace('Z', " UTC")}</td>
                                <td>{s.last_seen_at.replace('T', " ").replace('Z', " UTC")}</td>
                                <td>{(!s.current).then(|| view! { <button type="button" class="link" on:click=end>{t.end}</button> })}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        <button type="button" class="danger" on:click=everywhere>{t.sign_out_everywhere}</button>
    }
}
