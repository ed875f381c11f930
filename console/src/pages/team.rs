//! `/console/team`: the members and their roles; admins invite, change
//! roles and remove (the server keeps the last admin).

use crate::api;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_portal::format::date;
use settle_shared::api::{InviteMemberRequest, ListResponse, MemberResponse, UpdateMemberRequest};
use settle_shared::staff::{Capability, Role};

#[component]
pub fn Team() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.team);
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<MemberResponse>>("/team")
    });
    let admin = session.may(Capability::ManageTeam);
    let note = RwSignal::new(None::<String>);
    let locale = session.me.member.locale.clone();
    let me = session.me.member.id.clone();
    view! {
        <h1>{t.team}</h1>
        {move || note.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) => {
                let (locale, me) = (locale.clone(), me.clone());
                view! {
                    <table>
                        <thead><tr>
                            <th scope="col">{t.name}</th><th scope="col">{t.email}</th>
                            <th scope="col">{t.role}</th><th scope="col">{t.last_sign_in}</th>
                            {admin.then(|| view! { <th scope="col"><span class="visually-hidden">{t.remove}</span></th> })}
                        </tr></thead>
                        <tbody>{page.data.into_iter().map(|m| {
                            let seen = m.last_sign_in_at.as_deref().map(|s| date(&s[..10.min(s.len())], &locale)).unwrap_or_else(|| t.never.to_owned());
                            let you = m.id == me;
                            view! {
                                <tr>
                                    <td>{m.name.clone()}</td>
                                    <td>{m.email.clone()}</td>
                                    <td>{if admin {
                                        view! { <RoleSelect member=m.clone() note=note changed=version/> }.into_any()
                                    } else {
                                        view! { <span>{t.role(m.role)}</span> }.into_any()
                                    }}</td>
                                    <td>{seen}</td>
                                    {admin.then(|| view! { <td><RemoveButton member=m.clone() note=note changed=version you=you/></td> })}
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }
        }}
        {admin.then(|| view! { <Invite note=note changed=version/> })}
    }
}

#[component]
fn RoleSelect(
    member: MemberResponse,
    note: RwSignal<Option<String>>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let id = member.id.clone();
    let label = format!("{} — {}", t.role, member.name);
    let change = move |ev: leptos::ev::Event| {
        let Some(role) = Role::parse(&event_target_value(&ev)) else {
            return;
        };
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::patch::<MemberResponse, _>(
                &format!("/team/{id}"),
                &UpdateMemberRequest { role },
            )
            .await
            {
                Ok(_) => note.set(Some(t.done.to_owned())),
                Err(e) => note.set(Some(e.message(t))),
            }
            changed.update(|v| *v += 1);
        });
    };
    view! {
        <select aria-label=label on:change=change>
            {Role::ALL.into_iter().map(|r| view! {
                <option value=r.as_str() selected=r == member.role>{t.role(r)}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn RemoveButton(
    member: MemberResponse,
    note: RwSignal<Option<String>>,
    changed: RwSignal<u32>,
    you: bool,
) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let id = member.id.clone();
    let label = format!("{} {}", t.remove, member.name);
    let remove = move |_| {
        if !window()
            .confirm_with_message(t.confirm_remove)
            .unwrap_or(false)
        {
            return;
        }
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::delete::<serde_json::Value>(&format!("/team/{id}")).await {
                Ok(_) if you => crate::shell::to_sign_in(),
                Ok(_) => note.set(Some(t.done.to_owned())),
                Err(e) => note.set(Some(e.message(t))),
            }
            changed.update(|v| *v += 1);
        });
    };
    view! { <button type="button" class="link danger" aria-label=label on:click=remove>{t.remove}</button> }
}

#[component]
fn Invite(note: RwSignal<Option<String>>, changed: RwSignal<u32>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let (email, name, role, locale) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(Role::Agent),
        RwSignal::new("en".to_owned()),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = InviteMemberRequest {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role: role.get_untracked(),
            locale: Some(locale.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::post::<MemberResponse, _>("/team", &body).await {
                Ok(_) => {
                    note.set(Some(t.invited.to_owned()));
                    email.set(String::new());
                    name.set(String::new());
                    changed.update(|v| *v += 1);
                }
                Err(e) => note.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h2>{t.invite}</h2>
            <label for="m-name">{t.name}</label>
            <input id="m-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="m-email">{t.email}</label>
            <input id="m-email" type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
            <label for="m-role">{t.role}</label>
            <select id="m-role" on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }>
                {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Agent>{t.role(r)}</option> }).collect_view()}
            </select>
            <label for="m-lang">{t.language}</label>
            <select id="m-lang" on:change=move |ev| locale.set(event_target_value(&ev))>
                <option value="en">"English"</option>
                <option value="fr">"Français"</option>
                <option value="ar">"العربية"</option>
            </select>
            <button type="submit">{t.invite}</button>
        </form>
    }
}
