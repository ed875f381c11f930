//! Preparing an email's body: the invoice, receipt, failed-debit and link
//! emails, the body an earlier attempt stored (a retry sends it again), the
//! link inside an email, and the organization's branding.

use super::super::api::{invoices, links};
use super::super::reminders;
use super::{EmailRow, Ready, finish};
use crate::email::{InvoiceEmail, LinkEmail, Purpose, Rendered, render::Brand};
use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::ctx::Ctx;
use crate::worker::db;
use serde::Deserialize;

/// The link inside an email (the same on every attempt).
fn email_link(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
    customer: &CustomerRow,
) -> Result<links::NewLink, ApiError> {
    links::email_link(
        ctx,
        &row.id,
        row.created_at,
        &org.id,
        &customer.id,
        row.invoice_id.as_deref(),
        org.link_ttl_days,
    )
}

/// What an earlier attempt rendered, with its link and headers again.
pub(super) async fn stored_again(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
    customer: &CustomerRow,
) -> Result<Ready, ApiError> {
    let link = email_link(ctx, row, org, customer)?;
    let placeholder = format!("{}/c/[{}]", ctx.config.public_base_url, link.id);
    let restore = |s: &Option<String>| {
        s.clone()
            .unwrap_or_default()
            .replace(&placeholder, &link.url)
    };
    let rendered = Rendered {
        subject: row.subject.clone().unwrap_or_default(),
        html: restore(&row.html),
        text: restore(&row.text),
    };
    let (headers, occurrences) = if row.kind == "reminder" || row.kind == "statement" {
        let preferences = format!(
            "{}{}",
            ctx.config.public_base_url,
            crate::security::preferences_path(ctx.config.token_secret.expose(), &customer.id)
        );
        #[derive(Deserialize)]
        struct O {
            id: String,
            balance: i64,
        }
        let s = db::stmt(
            &ctx.db,
            "SELECT o.id, i.total - i.amount_paid AS balance FROM reminder_occurrences o JOIN invoices i ON i.id = o.invoice_id \
             WHERE o.email_id = ?1 AND o.status = 'queued'",
            params![&row.id],
        )?;
        let occ: Vec<O> = db::all(s).await?;
        (
            reminders::unsubscribe_headers(&preferences),
            occ.into_iter().map(|o| (o.id, o.balance)).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Ready {
        rendered,
        link: super::SecretLink::customer(ctx, link),
        bcc: row.bcc.clone(),
        headers,
        occurrences,
    })
}

/// Invoice, receipt, failed-debit and link emails. `None` when the email
/// was skipped (and recorded as such).
pub(super) async fn prepare_plain(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
    customer: &CustomerRow,
) -> Result<Option<Ready>, ApiError> {
    let invoice = match (&row.kind[..], &row.invoice_id) {
        (
            kind @ ("invoice"
            | "receipt"
            | "payment_failed"
            | "promise_reminder"
            | "instalment_reminder"
            | "plan_decision"
            | "scheduled_payment_failed"),
            Some(id),
        ) => {
            let inv = invoices::load(ctx, &org.id, id).await?;
            // A receipt is due whatever happened since; asking for payment is not.
            if kind != "receipt" && inv.status != "open" {
                finish(
                    ctx,
                    row,
                    "skipped",
                    None,
                    Some(format!("invoice is {}", inv.status)),
                    None,
                )
                .await?;
                return Ok(None);
            }
            let mut purpose = match kind {
                "receipt" => Purpose::Receipt,
                "payment_failed" => Purpose::PaymentFailed,
                "promise_reminder" => Purpose::PromiseDue,
                "instalment_reminder" => Purpose::InstalmentDue,
                "plan_decision" => Purpose::PlanAccepted,
                "scheduled_payment_failed" => Purpose::ScheduledRetry,
                _ => Purpose::Invoice,
            };
            // A promise or plan email only while what it is about stands:
            // (the date it names, what is due then, the company's words).
            let (mut promised, mut due_then, mut message) = (None, None, None);
            let gone = match purpose {
                Purpose::PromiseDue => {
                    promised = crate::worker::api::promises::active_date(ctx, &inv.id).await?;
                    promised.is_none().then_some("the promise ended")
                }
                Purpose::InstalmentDue => {
                    let next = crate::worker::api::plans::next_due(ctx, &inv.id).await?;
                    (promised, due_then) =
                        next.map(|(d, a)| (Some(d), Some(a))).unwrap_or_default();
                    // With autopay on, the instalment will be charged.
                    if crate::worker::api::autopay::methods::autopay_method(ctx, &customer.id)
                        .await?
                        .is_some()
                    {
                        purpose = Purpose::InstalmentCharged;
                    }
                    promised.is_none().then_some("the plan ended or is paid")
                }
                Purpose::PlanAccepted => match crate::worker::api::plans::decided(
                    ctx,
                    &org.id,
                    row.dedupe_key.as_deref().unwrap_or_default(),
                )
                .await?
                {
                    Some((p, outcome)) if outcome == "rejected" => {
                        purpose = Purpose::PlanRejected;
                        message = p.decision_message.clone();
                        None
                    }
                    Some((p, _)) if p.status == "active" => {
                        let inst = p.instalments();
                        if let Some((k, left)) = settle_shared::plan::next_due(&inst, p.paid()) {
                            promised = Some(inst[k].date.to_string());
                            due_then = Some(left);
                        }
                        message = p.decision_message.clone();
                        None
                    }
                    _ => Some("the plan is no longer live"),
                },
                Purpose::ScheduledRetry => {
                    match crate::worker::api::autopay::row::failure_email(
                        ctx,
                        row.dedupe_key.as_deref().unwrap_or_default(),
                    )
                    .await?
                    {
                        Some((p, next, words)) => {
                            purpose = p;
                            promised = next;
                            message = Some(words);
                            None
                        }
                        None => Some("the scheduled payment moved on"),
                    }
                }
                _ => None,
            };
            if let Some(why) = gone {
                finish(ctx, row, "skipped", None, Some(why.to_owned()), None).await?;
                return Ok(None);
            }
            Some((purpose, inv, promised, due_then, message))
        }
        _ => None,
    };
    let link = email_link(ctx, row, org, customer)?;
    let brand = brand(org);
    // The invoice email says what paying early saves while the offer stands.
    let saving = invoice.as_ref().and_then(|(_, inv, ..)| {
        let t = crate::i18n::email_text(crate::i18n::Lang::from_locale(&customer.locale));
        inv.early_offer(ctx.now_ms()).map(|(_, o)| {
            crate::i18n::fill(
                t.early_saving,
                &[
                    (
                        "pay",
                        &crate::i18n::amount(o.pay, &inv.currency, &customer.locale),
                    ),
                    (
                        "date",
                        &crate::i18n::date(&o.until.to_string(), &customer.locale),
                    ),
                    (
                        "saving",
                        &crate::i18n::amount(o.discount, &inv.currency, &customer.locale),
                    ),
                ],
            )
        })
    });
    let rendered = match &invoice {
        Some((purpose, inv, promised, due_then, message)) => InvoiceEmail {
            purpose: *purpose,
            amount_paid: &crate::i18n::amount(inv.amount_paid, &inv.currency, &customer.locale),
            brand,
            locale: &customer.locale,
            customer_name: &customer.name,
            number: &inv.number,
            amount_due: &crate::i18n::amount(
                due_then.unwrap_or(inv.total - inv.amount_paid),
                &inv.currency,
                &customer.locale,
            ),
            due_date: &crate::i18n::date(&inv.due_date, &customer.locale),
            link: &link.url,
            replaces: inv.replaces_number.as_deref(),
            promised_date: promised
                .as_deref()
                .map(|d| crate::i18n::date(d, &customer.locale))
                .as_deref(),
            message: message.as_deref(),
            saving: saving.as_deref(),
        }
        .render(),
        None => LinkEmail {
            brand,
            locale: &customer.locale,
            customer_name: &customer.name,
            link: &link.url,
        }
        .render(),
    };
    Ok(Some(Ready {
        rendered,
        link: super::SecretLink::customer(ctx, link),
        bcc: None,
        headers: Vec::new(),
        occurrences: Vec::new(),
    }))
}

/// The company's answer in a thread, to a customer who has not read it
/// (`settle_shared::dispute::away_email_due`); `None` when they have (the
/// email is recorded as skipped).
pub(super) async fn prepare_answer(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
    customer: &CustomerRow,
) -> Result<Option<Ready>, ApiError> {
    use settle_shared::dispute;
    #[derive(Deserialize)]
    struct D {
        id: String,
        customer_read_at: Option<i64>,
        customer_wrote_at: Option<i64>,
        number: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT d.id, d.customer_read_at, d.customer_wrote_at, i.number FROM disputes d JOIN invoices i ON i.id = d.invoice_id \
         WHERE d.id = ?1 AND d.organization_id = ?2 AND d.customer_id = ?3",
        params![row.dispute_id.clone(), &org.id, &customer.id],
    )?;
    let d = match row.dispute_id {
        Some(_) => db::one::<D>(s).await?,
        None => None,
    };
    let skip = match &d {
        None => Some("no conversation"),
        Some(d) if !dispute::away_email_due(d.customer_read_at, row.created_at) => {
            Some("read in the portal")
        }
        Some(_) => None,
    };
    let (Some(d), None) = (d, skip) else {
        let reason = skip.unwrap_or("no conversation").to_owned();
        finish(ctx, row, "skipped", None, Some(reason), None).await?;
        return Ok(None);
    };
    // The company's messages since the customer was last there (wrote or
    // read), the last five, each as written (text; the template escapes it).
    #[derive(Deserialize)]
    struct M {
        author_name: String,
        body: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT author_name, body FROM (SELECT m.author_name, m.body, m.created_at, m.rowid AS seq FROM dispute_messages m \
         WHERE m.dispute_id = ?1 AND m.author != 'customer' AND m.created_at > ?2 \
         ORDER BY m.created_at DESC, m.rowid DESC LIMIT 5) ORDER BY created_at, seq",
        params![
            &d.id,
            dispute::last_there(d.customer_read_at, d.customer_wrote_at)
        ],
    )?;
    let answers: Vec<(String, String)> = db::all::<M>(s)
        .await?
        .into_iter()
        .map(|m| (m.author_name, dispute::shown(&m.body)))
        .collect();
    let rows: Vec<(&str, &str)> = answers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let link = email_link(ctx, row, org, customer)?;
    // The link signs in and lands on the thread (the customer's own only).
    let href = format!("{}?thread={}", link.url, d.id);
    let rendered = crate::email::AnswerEmail {
        brand: brand(org),
        locale: &customer.locale,
        customer_name: &customer.name,
        number: &d.number,
        messages: &rows,
        link: &href,
    }
    .render();
    Ok(Some(Ready {
        rendered,
        link: super::SecretLink::customer(ctx, link),
        bcc: None,
        headers: Vec::new(),
        occurrences: Vec::new(),
    }))
}

/// The organization's branding, as emails show it.
pub fn brand(org: &OrganizationRow) -> Brand<'_> {
    Brand {
        display_name: &org.display_name,
        logo_url: org.logo_url.as_deref(),
        primary_color: org.primary_color.as_deref(),
        support_email: &org.support_email,
        footer: org.footer_text.as_deref(),
    }
}
