//! `/console/api-keys` (admins): create a key with a name (shown once),
//! see each key's prefix and last use, revoke one.

use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_shared::api::{ApiKeyResponse, CreateApiKeyRequest, ListResponse, NewApiKeyResponse};

fn when(t: Option<&str>) -> String {
    t.map(|s| s.replace('T', " ").replace('Z', " UTC"))
        .unwrap_or_default()
}

#[component]
pub fn ApiKeys() -> impl IntoView {
    let t = expect_context::<Session>().t();
    set_title(t.api_keys);
    let version = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<ApiKeyResponse>>("/api-keys")
    });
    let name = RwSignal::new(String::new());
    let made = RwSignal::new(None::<Result<NewApiKeyResponse, ApiFailure>>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateApiKeyRequest {
            name: name.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let r = api::post::<NewApiKeyResponse, _>("/api-keys", &body).await;
            if r.is_ok() {
                name.set(String::new());
                version.update(|v| *v += 1);
            }
            made.set(Some(r));
        });
    };
    let problem = RwSignal::new(None::<ApiFailure>);
    view! {
        <h1>{t.api_keys}</h1>
        {move || problem.get().map(|e| view! { <Failure failure=e/> })}
        <form class="card" on:submit=create>
            <label for="k-name">{t.key_name}</label>
            <input id="k-name" required maxlength="100" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <button type="submit">{t.create_key}</button>
            {move || made.get().map(|r| match r {
                Ok(k) => view! {
                    <p>{t.key_shown_once}</p>
                    <input readonly class="secret" value=k.api_key aria-label=t.api_keys/>
                }.into_any(),
                Err(e) => view! { <Failure failure=e/> }.into_any(),
            })}
        </form>
        {move || match keys.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) => view! {
                <table>
                    <thead><tr>
                        <th scope="col">{t.name}</th><th scope="col">{t.prefix}</th><th scope="col">{t.created}</th>
                        <th scope="col">{t.last_used}</th><th scope="col"><span class="visually-hidden">{t.revoke}</span></th>
                    </tr></thead>
                    <tbody>{page.data.into_iter().map(|k| {
                        let id = k.id.clone();
                        let label = format!("{} {}", t.revoke, k.name);
                        let revoke = move |_| {
                            let id = id.clone();
                            leptos::task::spawn_local(async move {
                                match api::post::<ApiKeyResponse, _>(&format!("/api-keys/{id}/revoke"), &serde_json::json!({})).await {
                                    Ok(_) => version.update(|v| *v += 1),
                                    Err(e) => problem.set(Some(e)),
                                }
                            });
                        };
                        let live = k.revoked_at.is_none();
                        view! {
                            <tr>
                                <td>{k.name.clone()}</td>
                                <td><code>{k.prefix.clone()}</code></td>
                                <td>{when(Some(&k.created_at))}</td>
                                <td>{when(k.last_used_at.as_deref())}</td>
                                <td>{if live {
                                    view! { <button type="button" class="link danger" aria-label=label on:click=revoke>{t.revoke}</button> }.into_any()
                                } else {
                                    view! { <span>{t.revoked}</span> }.into_any()
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
    }
}
