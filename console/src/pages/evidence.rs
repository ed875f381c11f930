//! `/console/customers/{id}/evidence` and `/console/invoices/{id}/evidence`:
//! the evidence pack as a printable page (the browser's print or "save as
//! PDF"), checked in the page with the same rule as `cargo xtask
//! verify-evidence`, and downloadable as the JSON the API gives.

use crate::api;
use crate::i18n::Lang;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};
use serde_json::Value;
use settle_portal::format::money;
use settle_shared::evidence::pack::{self, EvidencePack};

struct Words {
    title: &'static str,
    lead: &'static str,
    print: &'static str,
    download: &'static str,
    /// `{rows}`, `{first}`, `{last}`
    intact: &'static str,
    broken: &'static str,
    head: &'static str,
    generated: &'static str,
    invoices: &'static str,
    emails: &'static str,
    payments: &'static str,
    credit_notes: &'static str,
    agreements: &'static str,
    disputes: &'static str,
    notes: &'static str,
    audit: &'static str,
    none: &'static str,
    when: &'static str,
    who: &'static str,
    what: &'static str,
    subject: &'static str,
    amount: &'static str,
    status: &'static str,
    seq: &'static str,
    hash: &'static str,
}

static EN: Words = Words {
    title: "Evidence pack",
    lead: "Everything documented, as recorded. Each audit row carries the hash of the one before it, so a change or a removal anywhere shows.",
    print: "Print or save as PDF",
    download: "Download JSON",
    intact: "Verified in this page: {rows} audit rows (chain rows {first}–{last}) match their hashes and links.",
    broken: "Not verified:",
    head: "Chain head when made",
    generated: "Made",
    invoices: "Invoices",
    emails: "Emails",
    payments: "Payments and refunds",
    credit_notes: "Credit notes",
    agreements: "Promises and payment agreements",
    disputes: "Disputes",
    notes: "Calls and notes",
    audit: "Audit trail",
    none: "None.",
    when: "When",
    who: "Who",
    what: "What",
    subject: "Subject",
    amount: "Amount",
    status: "Status",
    seq: "Row",
    hash: "Hash",
};

static FR: Words = Words {
    title: "Dossier de preuves",
    lead: "Tout ce qui est documenté, tel qu’enregistré. Chaque ligne du journal porte l’empreinte de la précédente : toute modification ou suppression se voit.",
    print: "Imprimer ou enregistrer en PDF",
    download: "Télécharger le JSON",
    intact: "Vérifié dans cette page : {rows} lignes du journal (lignes {first} à {last} de la chaîne) correspondent à leurs empreintes et à leurs liens.",
    broken: "Non vérifié :",
    head: "Tête de chaîne à la création",
    generated: "Créé le",
    invoices: "Factures",
    emails: "E-mails",
    payments: "Paiements et remboursements",
    credit_notes: "Avoirs",
    agreements: "Promesses et accords de paiement",
    disputes: "Litiges",
    notes: "Appels et notes",
    audit: "Journal d’audit",
    none: "Aucun.",
    when: "Quand",
    who: "Qui",
    what: "Quoi",
    subject: "Objet",
    amount: "Montant",
    status: "Statut",
    seq: "Ligne",
    hash: "Empreinte",
};

static AR: Words = Words {
    title: "ملف الأدلة",
    lead: "كل ما تم توثيقه كما سُجّل. يحمل كل سطر في سجل التدقيق بصمة السطر الذي قبله، فيظهر أي تعديل أو حذف.",
    print: "طباعة أو حفظ PDF",
    download: "تنزيل JSON",
    intact: "تم التحقق في هذه الصفحة: {rows} من أسطر التدقيق (الأسطر {first}–{last}) تطابق بصماتها وروابطها.",
    broken: "لم يتم التحقق:",
    head: "رأس السلسلة عند الإنشاء",
    generated: "أُنشئ",
    invoices: "الفواتير",
    emails: "الرسائل",
    payments: "المدفوعات والمبالغ المستردة",
    credit_notes: "إشعارات دائنة",
    agreements: "الوعود واتفاقات الدفع",
    disputes: "النزاعات",
    notes: "المكالمات والملاحظات",
    audit: "سجل التدقيق",
    none: "لا شيء.",
    when: "متى",
    who: "من",
    what: "ماذا",
    subject: "الموضوع",
    amount: "المبلغ",
    status: "الحالة",
    seq: "السطر",
    hash: "البصمة",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

fn s(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Milliseconds since the epoch as an ISO time (UTC), as recorded.
fn at(v: &Value, k: &str) -> String {
    v[k].as_i64()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

#[component]
pub fn EvidencePage() -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let kind = if use_location()
        .pathname
        .get_untracked()
        .starts_with("/console/invoices/")
    {
        "invoices"
    } else {
        "customers"
    };
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .unwrap_or_default();
    let path = format!("/{kind}/{id}/evidence");
    let download = format!("/api/v1{path}?download=1");
    let got = LocalResource::new(move || {
        let path = path.clone();
        async move { api::get::<EvidencePack>(&path).await }
    });
    set_title(w.title);
    move || match got.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
        Some(Ok(p)) => {
            // The same check as `cargo xtask verify-evidence`, over the
            // pack as received.
            let check = pack::verify(&serde_json::to_string(&p).unwrap_or_default());
            view! { <Pack pack=p check=check download=download.clone() locale=locale.clone() w=w/> }
                .into_any()
        }
    }
}

#[component]
fn Pack(
    pack: EvidencePack,
    check: Result<pack::PackReport, pack::PackError>,
    download: String,
    locale: String,
    w: &'static Words,
) -> impl IntoView {
    let verdict = match check {
        Ok(r) => view! {
            <p class="notice" role="status">
                {w.intact
                    .replace("{rows}", &r.verified.rows.to_string())
                    .replace("{first}", &r.verified.first_seq.unwrap_or(0).to_string())
                    .replace("{last}", &r.verified.last_seq.unwrap_or(0).to_string())}
            </p>
        }
        .into_any(),
        Err(e) => view! { <p class="error" role="alert"><strong>{w.broken}</strong>" "{e.to_string()}</p> }.into_any(),
    };
    let name = s(&pack.customer, "name");
    // A staff actor by name and role (the id kept as its title).
    let who: std::collections::HashMap<String, String> = pack
        .staff
        .iter()
        .map(|m| {
            (
                s(m, "actor"),
                format!("{} ({})", s(m, "name"), s(m, "role")),
            )
        })
        .collect();
    let who = move |actor: &str| who.get(actor).cloned().unwrap_or_else(|| actor.to_owned());
    let money_of = {
        let locale = locale.clone();
        move |v: &Value, k: &str| {
            v[k].as_i64()
                .map(|a| money(a, &s(v, "currency"), &locale))
                .unwrap_or_default()
        }
    };
    let section = |title: &'static str, id: &'static str, rows: Vec<AnyView>, head: AnyView| {
        view! {
            <section aria-labelledby=id class="evidence">
                <h2 id=id>{title}</h2>
                {if rows.is_empty() {
                    view! { <p>{w.none}</p> }.into_any()
                } else {
                    view! { <div class="table-scroll" tabindex="0"><table><thead>{head}</thead><tbody>{rows}</tbody></table></div> }.into_any()
                }}
            </section>
        }
    };
    let m = money_of.clone();
    let invoices = pack
        .invoices
        .iter()
        .map(|i| {
            let lines = i["lines"].as_array().cloned().unwrap_or_default();
            let described = lines
                .iter()
                .map(|l| s(l, "description"))
                .collect::<Vec<_>>()
                .join("; ");
            view! {
                <tr>
                    <td>{s(i, "number")}</td>
                    <td>{s(i, "issue_date")}" → "{s(i, "due_date")}</td>
                    <td>{described}</td>
                    <td class="num">{m(i, "total")}</td>
                    <td>{s(i, "status")}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let emails = pack
        .emails
        .iter()
        .map(|e| {
            view! {
                <tr>
                    <td>{at(e, "sent_at")}<br/>{at(e, "created_at")}</td>
                    <td>{s(e, "to_address")}</td>
                    <td>
                        <strong>{s(e, "subject")}</strong>
                        " · "{s(e, "kind")}
                        <pre class="email-text">{s(e, "text")}</pre>
                    </td>
                    <td>{s(e, "status")}" "{s(e, "delivery")}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let m = money_of.clone();
    let payments = pack
        .payments
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <td>{at(p, "created_at")}</td>
                    <td>{s(p, "kind")}" · "{s(p, "method")}</td>
                    <td>{s(p, "reference")}</td>
                    <td class="num">{m(p, "amount")}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let m = money_of.clone();
    let credits = pack
        .credit_notes
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <td>{at(c, "created_at")}</td>
                    <td>{s(c, "number")}</td>
                    <td>{s(c, "reason")}</td>
                    <td class="num">{m(c, "amount")}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let agreements = pack
        .agreements
        .iter()
        .map(|a| {
            let what = [
                s(a, "promised_date"),
                s(a, "charge_on"),
                s(a, "terms"),
                s(a, "note"),
            ]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
            view! {
                <tr>
                    <td>{at(a, "created_at")}</td>
                    <td>{s(a, "kind")}</td>
                    <td>{what}</td>
                    <td>{s(a, "status")}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let disputes = pack.disputes.iter().map(|d| {
        let messages = d["messages"].as_array().cloned().unwrap_or_default();
        view! {
            <tr>
                <td>{at(d, "created_at")}</td>
                <td>{s(d, "reason")}</td>
                <td>
                    <ol class="transcript">
                        {messages.into_iter().map(|m| view! {
                            <li><strong>{s(&m, "author_name")}" ("{s(&m, "author")}")"</strong>" · "{at(&m, "created_at")}<br/>{s(&m, "body")}</li>
                        }).collect::<Vec<_>>()}
                    </ol>
                </td>
                <td>{s(d, "status")}" "{s(d, "outcome")}</td>
            </tr>
        }
        .into_any()
    }).collect::<Vec<_>>();
    let notes = pack
        .notes
        .iter()
        .map(|n| {
            view! {
                <tr>
                    <td>{at(n, "created_at")}</td>
                    <td>{s(n, "kind")}" "{s(n, "outcome")}</td>
                    <td>{s(n, "body")}</td>
                    <td title=s(n, "actor")>{who(&s(n, "actor"))}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let audit = pack.audit.iter().map(|r| view! {
        <tr>
            <td class="num">{r.seq}</td>
            <td>{chrono::DateTime::from_timestamp_millis(r.entry.created_at).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()}</td>
            <td title=r.entry.actor.clone()>{who(&r.entry.actor)}</td>
            <td>{r.entry.action.clone()}</td>
            <td class="mono">{r.entry.subject.clone()}</td>
            <td class="mono" title=r.hash.clone()>{r.hash[..12].to_owned()}"…"</td>
        </tr>
    }.into_any()).collect::<Vec<_>>();
    let th = |cols: [&'static str; 4]| {
        view! { <tr>{cols.map(|c| view! { <th scope="col">{c}</th> })}</tr> }.into_any()
    };
    view! {
        <div class="heading">
            <h1>{w.title}" · "{name}</h1>
            <span class="no-print">
                <button type="button" on:click=|_| { let _ = window().print(); }>{w.print}</button>
                " "<a href=download download>{w.download}</a>
            </span>
        </div>
        <p>{w.lead}</p>
        {verdict}
        <dl class="facts">
            <dt>{w.generated}</dt><dd>{pack.generated_at.clone()}</dd>
            <dt>{w.head}</dt><dd class="mono">{pack.chain.seq}" · "{pack.chain.hash.clone()}</dd>
        </dl>
        {section(w.invoices, "ev-inv", invoices, view! {
            <tr><th scope="col">{w.what}</th><th scope="col">{w.when}</th><th scope="col">{w.subject}</th><th scope="col">{w.amount}</th><th scope="col">{w.status}</th></tr>
        }.into_any())}
        {section(w.emails, "ev-mail", emails, th([w.when, w.who, w.subject, w.status]))}
        {section(w.payments, "ev-pay", payments, th([w.when, w.what, w.subject, w.amount]))}
        {section(w.credit_notes, "ev-cn", credits, th([w.when, w.what, w.subject, w.amount]))}
        {section(w.agreements, "ev-agr", agreements, th([w.when, w.what, w.subject, w.status]))}
        {section(w.disputes, "ev-dis", disputes, th([w.when, w.what, w.subject, w.status]))}
        {section(w.notes, "ev-notes", notes, th([w.when, w.what, w.subject, w.who]))}
        {section(w.audit, "ev-audit", audit, view! {
            <tr><th scope="col">{w.seq}</th><th scope="col">{w.when}</th><th scope="col">{w.who}</th><th scope="col">{w.what}</th><th scope="col">{w.subject}</th><th scope="col">{w.hash}</th></tr>
        }.into_any())}
    }
}
