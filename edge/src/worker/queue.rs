//! The `JOBS` queue: what it carries (an email to send, a request for a
//! fresh link) and its consumer. A message only carries an id or a request;
//! everything else is read from D1 when it is handled. Returning an error
//! from the consumer would lose the isolate, so each message is acked or
//! retried on its own.

use super::outbox::{QueuedEmail, queue_email_stmt};
use crate::error::ApiError;
use crate::params;
use crate::rows::CustomerRow;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use serde::{Deserialize, Serialize};
use serde_json::json;
use settle_shared::ids::EmailId;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

/// A queue message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    SendEmail {
        email_id: String,
    },
    /// A customer asked for a fresh link at `requested_at` (ms).
    LinkRequest {
        email: String,
        requested_at: i64,
        ip: Option<String>,
    },
    /// Someone asked for a staff sign-in link at `requested_at` (ms).
    SignInRequest {
        email: String,
        requested_at: i64,
        ip: Option<String>,
    },
    /// A scheduled payment's time has come (its charge, a retry, a look at
    /// a debit still settling).
    Charge {
        schedule_id: String,
    },
    /// The next batch of a billing run.
    BillingBatch {
        run_id: String,
    },
    /// The next parts of a CSV import.
    ImportBatch {
        import_id: String,
    },
    /// An organization's outgoing webhooks that are due (queue
    /// [`WEBHOOKS`]).
    Webhooks {
        organization_id: String,
    },
    /// The next month of an organization's metric days in a currency.
    MetricDays {
        organization_id: String,
        currency: String,
    },
}

/// The queue of outgoing webhooks, apart from `JOBS` so that a slow
/// receiver holds up no email or charge.
pub const WEBHOOKS: &str = "WEBHOOKS";

/// Puts a job on the queue bound as `binding`.
pub async fn enqueue_to(env: &Env, binding: &str, job: Job) -> Result<(), String> {
    let sent = match env.queue(binding) {
        Ok(q) => q.send(job).await,
        Err(e) => Err(e),
    };
    sent.map_err(|e| e.to_string())
}

/// Puts a job on the queue. A failure is logged, not returned: for emails
/// the row is already stored and the cron sweep will enqueue it.
pub async fn enqueue(ctx: &Ctx, job: Job) -> Result<(), String> {
    let sent = match ctx.env.queue("JOBS") {
        Ok(q) => q.send(job).await,
        Err(e) => Err(e),
    };
    sent.map_err(|e| e.to_string())
}

/// Enqueues a stored email (see [`enqueue`]). In a request it happens
/// after the answer (`waitUntil`): the row is stored already, and the cron
/// enqueues it again if this is lost.
pub async fn enqueue_email(ctx: &Ctx, email_id: &str) {
    let job = Job::SendEmail {
        email_id: email_id.to_owned(),
    };
    if let Some(background) = &ctx.background {
        let (env, id) = (ctx.env.clone(), email_id.to_owned());
        background.wait_until(async move {
            let sent = match env.queue("JOBS") {
                Ok(q) => q.send(job).await,
                Err(e) => Err(e),
            };
            if let Err(e) = sent {
                worker::console_error!("enqueue {id}: {e}; the sweep will retry");
            }
        });
        return;
    }
    if let Err(e) = enqueue(ctx, job).await {
        worker::console_error!("enqueue {email_id}: {e}; the sweep will retry");
    }
}

/// The queue consumer.
pub async fn consume(batch: MessageBatch<Job>, env: Env) {
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            worker::console_error!("queue batch unreadable: {e}");
            batch.retry_all();
            return;
        }
    };
    let ctx = match Ctx::for_env(&env) {
        Ok(c) => c,
        Err(e) => {
            worker::console_error!("queue context: {e:?}");
            batch.retry_all();
            return;
        }
    };
    for m in messages {
        let outcome = match m.body() {
            Job::SendEmail { email_id } => super::outbox::send_email(&ctx, email_id).await,
            Job::LinkRequest {
                email,
                requested_at,
                ip,
            } => link_request(&ctx, email, *requested_at, ip.as_deref()).await,
            Job::SignInRequest {
                email,
                requested_at,
                ip,
            } => {
                super::api::team::sign_in_request_job(&ctx, email, *requested_at, ip.as_deref())
                    .await
            }
            Job::Charge { schedule_id } => {
                super::api::autopay::charge::run(&ctx, schedule_id).await
            }
            Job::BillingBatch { run_id } => {
                super::api::subscriptions::runs::batch(&ctx, run_id).await
            }
            Job::ImportBatch { import_id } => super::api::imports::run(&ctx, import_id).await,
            Job::Webhooks { organization_id } => {
                super::api::webhooks::deliveries::run(&ctx, organization_id).await
            }
            Job::MetricDays {
                organization_id,
                currency,
            } => super::api::metrics::days::run(&ctx, organization_id, currency).await,
        };
        super::api::webhooks::kick_emitted(&ctx).await;
        match outcome {
            Ok(Outcome::Done) => m.ack(),
            Ok(Outcome::RetryIn(secs)) => m.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(secs)
                    .build(),
            ),
            Err(e) => {
                worker::console_error!("job failed, will retry: {e:?}");
                m.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(10)
                        .build(),
                );
            }
        }
    }
}

/// What became of a message.
pub enum Outcome {
    Done,
    RetryIn(u32),
}

/// Looks the address up in every organization and sends each customer found
/// a fresh link. Repeating the job repeats nothing: the email ids come from
/// the request's time and the customer.
async fn link_request(
    ctx: &Ctx,
    email: &str,
    requested_at: i64,
    ip: Option<&str>,
) -> Result<Outcome, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM customers WHERE email_lower = ?1 ORDER BY id LIMIT 5",
        params![email],
    )?;
    let found: Vec<CustomerRow> = db::all(s).await?;
    for c in &found {
        ctx.use_clock_of(&c.organization_id).await?;
        let eid = EmailId::generate(
            requested_at as u64,
            crate::security::stable_bytes(&format!("link-request:{}:{requested_at}", c.id)),
        );
        db::batch(
            &ctx.db,
            vec![
                queue_email_stmt(
                    ctx,
                    QueuedEmail {
                        id: &eid,
                        org_id: &c.organization_id,
                        customer_id: &c.id,
                        invoice_id: None,
                        kind: "link",
                        to: &c.email,
                        dedupe_key: None,
                    },
                )?,
                ctx.audit_once(Audit {
                    org: Some(&c.organization_id),
                    actor: &format!("customer:{}", c.id),
                    action: "link.requested",
                    subject: eid.as_str(),
                    detail: json!({ "customer_id": c.id, "ip": ip }),
                })?,
            ],
        )
        .await?;
        enqueue_email(ctx, eid.as_str()).await;
    }
    Ok(Outcome::Done)
}
