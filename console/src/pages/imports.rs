//! `/console/imports`: customers, invoices or subscriptions from a CSV
//! file. The file is checked first (every row error by line, column and
//! reason, nothing written); a clean file is then imported, its progress
//! shown until every row is written.

use crate::api::{self, ApiFailure};
use crate::i18n::Lang;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_shared::api::{ImportReport, ImportResponse, ListResponse};
use wasm_bindgen::JsCast;

struct Words {
    title: &'static str,
    lead: &'static str,
    kind: &'static str,
    customers: &'static str,
    invoices: &'static str,
    subscriptions: &'static str,
    file: &'static str,
    check: &'static str,
    /// `{rows}`, `{errors}`
    checked: &'static str,
    clean: &'static str,
    line: &'static str,
    column: &'static str,
    reason: &'static str,
    /// `{rows}`
    import: &'static str,
    /// `{written}`, `{rows}`
    progress: &'static str,
    done: &'static str,
    failed: &'static str,
    recent: &'static str,
    columns: &'static str,
    formats: &'static str,
}

static EN: Words = Words {
    title: "Import",
    lead: "Add customers, invoices or subscriptions from a CSV file. The file is checked first and nothing is written until every row is right.",
    kind: "What the file holds",
    customers: "Customers",
    invoices: "Invoices",
    subscriptions: "Subscriptions",
    file: "CSV file",
    check: "Check the file",
    checked: "{rows} rows read, {errors} errors.",
    clean: "Every row is right.",
    line: "Line",
    column: "Column",
    reason: "Reason",
    import: "Import {rows} rows",
    progress: "{written} of {rows} rows written",
    done: "Imported",
    failed: "Stopped",
    recent: "Recent imports",
    columns: "Columns",
    formats: "Comma or semicolon between fields; amounts as 12.50 or 12,50; dates as 2027-01-31 only. Invoice rows with the same number are one invoice. A customer is named by its reference or email.",
};

static FR: Words = Words {
    title: "Importer",
    lead: "Ajoutez des clients, des factures ou des abonnements depuis un fichier CSV. Le fichier est vérifié d’abord, et rien n’est écrit tant qu’une ligne est fausse.",
    kind: "Contenu du fichier",
    customers: "Clients",
    invoices: "Factures",
    subscriptions: "Abonnements",
    file: "Fichier CSV",
    check: "Vérifier le fichier",
    checked: "{rows} lignes lues, {errors} erreurs.",
    clean: "Toutes les lignes sont justes.",
    line: "Ligne",
    column: "Colonne",
    reason: "Motif",
    import: "Importer {rows} lignes",
    progress: "{written} lignes écrites sur {rows}",
    done: "Importé",
    failed: "Arrêté",
    recent: "Imports récents",
    columns: "Colonnes",
    formats: "Virgule ou point-virgule entre les champs ; montants en 12.50 ou 12,50 ; dates en 2027-01-31 uniquement. Les lignes d’un même numéro forment une facture. Un client est désigné par sa référence ou son e-mail.",
};

static AR: Words = Words {
    title: "استيراد",
    lead: "أضف عملاء أو فواتير أو اشتراكات من ملف CSV. يُفحص الملف أولًا، ولا يُكتب شيء حتى تصح كل الأسطر.",
    kind: "محتوى الملف",
    customers: "العملاء",
    invoices: "الفواتير",
    subscriptions: "الاشتراكات",
    file: "ملف CSV",
    check: "افحص الملف",
    checked: "قُرئ {rows} سطرًا، و{errors} أخطاء.",
    clean: "كل الأسطر صحيحة.",
    line: "السطر",
    column: "العمود",
    reason: "السبب",
    import: "استورد {rows} سطرًا",
    progress: "كُتب {written} من {rows} سطرًا",
    done: "تم الاستيراد",
    failed: "توقف",
    recent: "عمليات الاستيراد الأخيرة",
    columns: "الأعمدة",
    formats: "فاصلة أو فاصلة منقوطة بين الحقول؛ المبالغ بصيغة 12.50 أو 12,50؛ التواريخ بصيغة 2027-01-31 فقط. أسطر الرقم نفسه فاتورة واحدة. يُذكر العميل بمرجعه أو بريده.",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

fn fill(s: &str, pairs: &[(&str, String)]) -> String {
    pairs.iter().fold(s.to_owned(), |acc, (k, v)| {
        acc.replace(&format!("{{{k}}}"), v)
    })
}

/// The columns of each kind, required first.
fn columns(kind: &str) -> &'static str {
    match kind {
        "invoices" => {
            "customer, number, currency, due_date, description, unit_amount · issue_date, quantity, tax_rate, memo"
        }
        "subscriptions" => {
            "customer, plan, currency · quantity, start_date, add_ons (storage:2|backup:1)"
        }
        _ => "name, email · external_id, locale, time_zone",
    }
}

#[component]
pub fn Imports() -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    set_title(w.title);
    let kind = RwSignal::new("customers".to_owned());
    let file = RwSignal::new_local(None::<web_sys::File>);
    let report = RwSignal::new(None::<ImportReport>);
    let running = RwSignal::new(None::<ImportResponse>);
    let problem = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);
    let version = RwSignal::new(0u32);
    let recent = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<ImportResponse>>("/imports")
    });
    let send = move |dry_run: bool| {
        let Some(f) = file.get_untracked() else {
            return;
        };
        let path = format!(
            "/imports/{}{}",
            kind.get_untracked(),
            if dry_run { "?dry_run=true" } else { "" }
        );
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match api::post_file::<ImportReport>(&path, f).await {
                Ok(r) if dry_run => report.set(Some(r)),
                Ok(r) => {
                    report.set(None);
                    running.set(r.import.clone());
                    follow(running, version).await;
                }
                Err(e) => problem.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let pick = move |ev: leptos::ev::Event| {
        let f = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        file.set(f);
        report.set(None);
    };
    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(true);
    };
    view! {
        <h1>{w.title}</h1>
        <p class="lead">{w.lead}</p>
        {move || problem.get().map(|e| view! { <Failure failure=e/> })}
        <form class="stack" on:submit=check>
            <label for="import-kind">{w.kind}</label>
            <select id="import-kind" on:change=move |ev| { kind.set(event_target_value(&ev)); report.set(None); }>
                <option value="customers">{w.customers}</option>
                <option value="invoices">{w.invoices}</option>
                <option value="subscriptions">{w.subscriptions}</option>
            </select>
            <p class="hint">{w.columns}": "{move || columns(&kind.get())}</p>
            <p class="hint">{w.formats}</p>
            <label for="import-file">{w.file}</label>
            <input id="import-file" type="file" accept=".csv,text/csv" on:change=pick/>
            <p><button type="submit" disabled=move || busy.get() || file.with(Option::is_none)>{w.check}</button></p>
        </form>
        {move || report.get().map(|r| {
            let clean = r.error_count == 0;
            let rows = r.rows;
            view! {
                <section aria-labelledby="report-h">
                    <div role="status"><h2 id="report-h">{fill(w.checked, &[("rows", r.rows.to_string()), ("errors", r.error_count.to_string())])}</h2></div>
                    {if clean {
                        view! {
                            <p>{w.clean}</p>
                            <p><button type="button" disabled=move || busy.get() on:click=move |_| send(false)>
                                {fill(w.import, &[("rows", rows.to_string())])}</button></p>
                        }.into_any()
                    } else {
                        view! {
                            <table>
                                <thead><tr><th scope="col">{w.line}</th><th scope="col">{w.column}</th><th scope="col">{w.reason}</th></tr></thead>
                                <tbody>{r.errors.into_iter().map(|e| view! {
                                    <tr><td class="num">{e.line}</td><td><code>{e.column}</code></td><td>{e.reason}</td></tr>
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any()
                    }}
                </section>
            }
        })}
        {move || running.get().map(|i| view! { <Progress i=i w=w/> })}
        <section aria-labelledby="recent-h">
            <h2 id="recent-h">{w.recent}</h2>
            {move || recent.get().map(|r| match r {
                Ok(l) => view! {
                    <ul>{l.data.into_iter().map(|i| view! { <li><Progress i=i w=w/></li> }).collect_view()}</ul>
                }.into_any(),
                Err(e) => view! { <Failure failure=e/> }.into_any(),
            })}
        </section>
    }
}

/// An import's progress, in numbers and as a bar.
#[component]
fn Progress(i: ImportResponse, w: &'static Words) -> impl IntoView {
    let state = match i.status.as_str() {
        "done" => w.done,
        "failed" => w.failed,
        _ => "",
    };
    let text = fill(
        w.progress,
        &[
            ("written", i.written.to_string()),
            ("rows", i.rows.to_string()),
        ],
    );
    view! {
        <p role="status">
            <progress max=i.rows value=i.written aria-label=text.clone()></progress>
            " "{text}" · "<code>{i.kind}</code>" "{state}
            {i.error.map(|e| view! { <br/>{e} })}
        </p>
    }
}

/// Polls the import until it ends.
async fn follow(running: RwSignal<Option<ImportResponse>>, version: RwSignal<u32>) {
    loop {
        let Some(id) = running.get_untracked().map(|i| i.id) else {
            return;
        };
        settle_portal::components::sleep(700).await;
        if let Ok(i) = api::get::<ImportResponse>(&format!("/imports/{id}")).await {
            let over = i.status != "running";
            running.set(Some(i));
            if over {
                version.update(|v| *v += 1);
                return;
            }
        }
    }
}
