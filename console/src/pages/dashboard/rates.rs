//! The dashboard's exchange rates: each currency's rate to the base
//! currency, which every invoice and payment copies when it is written
//! (so figures in the base currency count them at the rate of that day).
//! Admins set a rate; supervisors see them.

use crate::api;
use crate::i18n::Lang;
use crate::shell::{Failure, Session};
use leptos::prelude::*;
use serde_json::{Value, json};
use settle_shared::staff::Capability;

struct Words {
    title: &'static str,
    lead: &'static str,
    currency: &'static str,
    rate: &'static str,
    set_at: &'static str,
    save: &'static str,
    saved: &'static str,
    none: &'static str,
}

static EN: Words = Words {
    title: "Exchange rates to the base currency",
    lead: "Each invoice and payment keeps the rate set here when it is recorded; changing a rate changes nothing recorded before.",
    currency: "Currency",
    rate: "Rate",
    set_at: "Set",
    save: "Set rate",
    saved: "Rate set.",
    none: "No rates yet.",
};

static FR: Words = Words {
    title: "Taux de change vers la devise de base",
    lead: "Chaque facture et chaque paiement garde le taux fixé ici au moment où il est enregistré ; changer un taux ne change rien à ce qui est déjà enregistré.",
    currency: "Devise",
    rate: "Taux",
    set_at: "Fixé le",
    save: "Fixer le taux",
    saved: "Taux fixé.",
    none: "Aucun taux pour l’instant.",
};

static AR: Words = Words {
    title: "أسعار الصرف إلى العملة الأساسية",
    lead: "تحتفظ كل فاتورة وكل دفعة بالسعر المحدد هنا عند تسجيلها؛ تغيير السعر لا يغيّر ما سُجّل قبله.",
    currency: "العملة",
    rate: "السعر",
    set_at: "حُدد في",
    save: "تحديد السعر",
    saved: "تم تحديد السعر.",
    none: "لا توجد أسعار بعد.",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

#[component]
pub fn ExchangeRates() -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    let admin = session.may(Capability::Configure);
    let changed = RwSignal::new(0u32);
    let rates = LocalResource::new(move || {
        changed.track();
        api::get::<Value>("/exchange-rates")
    });
    let currency = RwSignal::new(String::new());
    let rate = RwSignal::new(String::new());
    let said = RwSignal::new(None::<Result<(), api::ApiFailure>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, r) = (currency.get_untracked(), rate.get_untracked());
        leptos::task::spawn_local(async move {
            let path = format!("/exchange-rates/{}", c.trim().to_ascii_uppercase());
            let done = api::put::<Value, _>(&path, &json!({ "rate": r.trim() })).await;
            if done.is_ok() {
                changed.update(|n| *n += 1);
            }
            said.set(Some(done.map(|_| ())));
        });
    };
    view! {
        <section aria-labelledby="rates-h">
            <h2 id="rates-h">{w.title}</h2>
            <p class="muted">{w.lead}</p>
            {move || match rates.get() {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(v)) => {
                    let base = v["base_currency"].as_str().unwrap_or_default().to_owned();
                    let rows = v["data"].as_array().cloned().unwrap_or_default();
                    if rows.is_empty() {
                        return view! { <p>{w.none}</p> }.into_any();
                    }
                    view! {
                        <table>
                            <thead><tr><th scope="col">{w.currency}</th><th scope="col" class="num">{w.rate}</th><th scope="col">{w.set_at}</th></tr></thead>
                            <tbody>{rows.into_iter().map(|r| view! {
                                <tr>
                                    <td>{r["currency"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td class="num">{format!("1 {} = {} {base}", r["currency"].as_str().unwrap_or_default(), r["rate"].as_str().unwrap_or_default())}</td>
                                    <td>{r["set_at"].as_str().unwrap_or_default().get(..10).unwrap_or_default().to_owned()}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
            {admin.then(|| view! {
                <form class="filters no-print" on:submit=save>
                    <label>{w.currency}<input size="3" maxlength="3" required prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev))/></label>
                    <label>{w.rate}<input inputmode="decimal" required prop:value=move || rate.get() on:input=move |ev| rate.set(event_target_value(&ev))/></label>
                    <button type="submit">{w.save}</button>
                </form>
            })}
            {move || said.get().map(|r| match r {
                Ok(()) => view! { <p role="status">{w.saved}</p> }.into_any(),
                Err(e) => view! { <Failure failure=e/> }.into_any(),
            })}
        </section>
    }
}
