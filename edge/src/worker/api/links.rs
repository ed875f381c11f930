//! Customer links: issued by the company (or by email on request), opened by
//! the customer at `/c/<token>`, which starts a portal session.

use super::customers;
use crate::error::ApiError;
use crate::params;
use crate::ratelimit::{LINK_REQUESTS_PER_EMAIL, LINK_REQUESTS_PER_IP};
use crate::rows::{LinkProblem, LinkRow};
use crate::security::{self, OsRandom, SESSION_MAX_SECS, TokenKind};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http, limits, queue};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{CreatePortalLinkRequest, LinkRequestRequest, LinkRequestResponse};
use settle_shared::ids::{InvoiceId, LinkId};
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use worker::{D1PreparedStatement, Request, Response};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A link about to be stored: its id, its secret URL, and the statements
/// that store it (hash only) and audit it.
pub struct NewLink {
    pub id: LinkId,
    pub url: String,
    pub expires_at: i64,
    pub stmts: Vec<D1PreparedStatement>,
}

/// Builds a new customer link with a random token. The token lives only in
/// the returned URL.
pub fn new_link(
    ctx: &Ctx,
    org_id: &str,
    customer_id: &str,
    invoice_id: Option<&str>,
    ttl_days: i64,
    actor: &str,
) -> Result<NewLink, ApiError> {
    let id = LinkId::generate(ctx.now_ms() as u64, ctx.random10());
    let token = security::new_token(TokenKind::Link, &mut OsRandom);
    let expires_at = ctx.now_ms() + ttl_days * DAY_MS;
    link_stmts(
        ctx,
        LinkSpec {
            id,
            token,
            org_id,
            customer_id,
            invoice_id,
            expires_at,
            actor,
        },
    )
}

/// The link inside email `email_id`: the same id, token and expiry on every
/// attempt to send that email, so a retry sends exactly what the first try
/// sent, and storing it twice is a no-op.
pub fn email_link(
    ctx: &Ctx,
    email_id: &str,
    email_created_at: i64,
    org_id: &str,
    customer_id: &str,
    invoice_id: Option<&str>,
    ttl_days: i64,
) -> Result<NewLink, ApiError> {
    let id = LinkId::generate(
        email_created_at as u64,
        security::stable_bytes(&format!("link-id:{email_id}")),
    );
    let token = security::derived_token(
        TokenKind::Link,
        ctx.config.token_secret.expose(),
        &format!("email-link:{email_id}"),
    );
    let expires_at = email_created_at + ttl_days * DAY_MS;
    link_stmts(
        ctx,
        LinkSpec {
            id,
            token,
            org_id,
            customer_id,
            invoice_id,
            expires_at,
            actor: "system",
        },
    )
}

struct LinkSpec<'a> {
    id: LinkId,
    token: String,
    org_id: &'a str,
    customer_id: &'a str,
    invoice_id: Option<&'a str>,
    expires_at: i64,
    actor: &'a str,
}

fn link_stmts(ctx: &Ctx, l: LinkSpec<'_>) -> Result<NewLink, ApiError> {
    let stmts = vec![
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO access_links (id, organization_id, customer_id, token_hash, invoice_id, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![l.id.as_str(), l.org_id, l.customer_id, security::hash_token(&l.token), l.invoice_id, l.expires_at, ctx.now_ms()],
        )?,
        ctx.audit_once(
            Audit {
                org: Some(l.org_id),
                actor: l.actor,
                action: "link.issued",
                subject: l.id.as_str(),
                detail: json!({ "customer_id": l.customer_id, "invoice_id": l.invoice_id, "expires_at": settle_shared::time::rfc3339_from_millis(l.expires_at) }),
            })?,
    ];
    Ok(NewLink {
        url: format!("{}/c/{}", ctx.config.public_base_url, l.token),
        id: l.id,
        expires_at: l.expires_at,
        stmts,
    })
}

/// `POST /api/v1/customers/{id}/portal-links`
pub async fn create(ctx: &Ctx, req: Request, customer_id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: CreatePortalLinkRequest = http::json_body_or_default(req).await?;
    let customer = customers::load(ctx, &org.id, customer_id).await?;
    let ttl = i64::from(body.expires_in_days.unwrap_or(org.link_ttl_days as u32));
    if !(1..=365).contains(&ttl) {
        return Err(FieldError::invalid("expires_in_days", "must be between 1 and 365").into());
    }
    if let Some(inv) = &body.invoice_id {
        let found = InvoiceId::parse(inv).is_ok()
            && db::one::<serde_json::Value>(db::stmt(
                &ctx.db,
                "SELECT 1 AS one FROM invoices WHERE id = ?1 AND organization_id = ?2 AND customer_id = ?3",
                params![inv, &org.id, &customer.id],
            )?)
            .await?
            .is_some();
        if !found {
            return Err(ApiError::Client {
                code: ErrorCode::NotFound,
                message: "`invoice_id` names no invoice of this customer.".into(),
                field: Some("invoice_id".into()),
            });
        }
    }
    let link = new_link(
        ctx,
        &org.id,
        &customer.id,
        body.invoice_id.as_deref(),
        ttl,
        &ctx.actor(),
    )?;
    db::batch(&ctx.db, link.stmts).await?;
    let row = LinkRow {
        id: link.id.to_string(),
        organization_id: org.id.clone(),
        customer_id: customer.id.clone(),
        invoice_id: body.invoice_id.clone(),
        expires_at: link.expires_at,
        revoked_at: None,
        created_at: ctx.now_ms(),
    };
    http::json(201, &row.view(Some(link.url)))
}

/// `POST /api/v1/portal-links/{id}/revoke`: the link stops working, and so do
/// the sessions it started.
pub async fn revoke(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    if LinkId::parse(id).is_err() {
        return Err(ApiError::not_found("portal link"));
    }
    let load = || {
        db::stmt(
            &ctx.db,
            "SELECT * FROM access_links WHERE id = ?1 AND organization_id = ?2",
            params![id, &org.id],
        )
    };
    let link: LinkRow = db::one(load()?)
        .await?
        .ok_or_else(|| ApiError::not_found("portal link"))?;
    // An agent revokes only the links of their own accounts.
    customers::load(ctx, &org.id, &link.customer_id).await?;
    if link.revoked_at.is_none() {
        // The sessions the link started, whose open threads lose their
        // sockets once they are ended.
        #[derive(serde::Deserialize)]
        struct Hash {
            token_hash: String,
        }
        let live = db::stmt(
            &ctx.db,
            "SELECT token_hash FROM customer_sessions WHERE link_id = ?1 AND ended_at IS NULL",
            params![id],
        )?;
        let hashes: Vec<Hash> = db::all(live).await?;
        db::batch(&ctx.db, vec![
            db::stmt(&ctx.db, "UPDATE access_links SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL", params![ctx.now_ms(), id])?,
            db::stmt(&ctx.db, "UPDATE customer_sessions SET ended_at = ?1 WHERE link_id = ?2 AND ended_at IS NULL", params![ctx.now_ms(), id])?,
            ctx.audit_if(
                Audit { org: Some(&org.id), actor: &ctx.actor(), action: "link.revoked", subject: id, detail: json!({ "customer_id": link.customer_id }) },
                "SELECT 1 FROM access_links WHERE id = ?5 AND revoked_at = ?8",
                Vec::new(),
            )?,
        ])
        .await?;
        if !hashes.is_empty() {
            let threads =
                super::disputes::thread::of_customer(ctx, &org.id, &link.customer_id).await?;
            for h in hashes {
                crate::worker::live::kick(
                    ctx,
                    &threads,
                    &crate::worker::live::session_tag(&h.token_hash),
                )
                .await;
            }
        }
    }
    let link: LinkRow = db::one(load()?)
        .await?
        .ok_or_else(|| ApiError::not_found("portal link"))?;
    http::json(200, &link.view(None))
}

/// `GET /c/{token}`: opens a customer link. Always answers with a redirect,
/// to the portal on success or to the page that offers a fresh link.
/// `thread`: a dispute of the link's customer to land on (the link in a
/// "the company answered" email) instead of the invoice.
pub async fn open(ctx: &Ctx, token: &str, thread: Option<&str>) -> Result<Response, ApiError> {
    let fail = |p: LinkProblem| http::redirect(&format!("/link?reason={}", p.reason()), None);
    if !security::well_formed(TokenKind::Link, token) {
        return fail(LinkProblem::Unknown);
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM access_links WHERE token_hash = ?1",
        params![security::hash_token(token)],
    )?;
    let Some(link) = db::one::<LinkRow>(s).await? else {
        return fail(LinkProblem::Unknown);
    };
    ctx.use_clock_of(&link.organization_id).await?;
    if let Err(problem) = link.check(ctx.now_ms()) {
        db::batch(
            &ctx.db,
            vec![ctx.audit(Audit {
                org: Some(&link.organization_id),
                actor: &format!("customer:{}", link.customer_id),
                action: "link.refused",
                subject: &link.id,
                detail: json!({ "reason": problem.reason() }),
            })?],
        )
        .await?;
        return fail(problem);
    }
    let session = security::new_token(TokenKind::Session, &mut OsRandom);
    let expires_at = (ctx.now_ms() + SESSION_MAX_SECS * 1000).min(link.expires_at);
    #[derive(serde::Deserialize)]
    struct Shown {
        display_name: String,
        primary_color: Option<String>,
        locale: String,
        number: Option<String>,
    }
    let results = ctx
        .db
        .batch(vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO customer_sessions (token_hash, organization_id, customer_id, link_id, expires_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![security::hash_token(&session), &link.organization_id, &link.customer_id, &link.id, expires_at, ctx.now_ms()],
            )?,
            ctx.audit(Audit {
                org: Some(&link.organization_id),
                actor: &format!("customer:{}", link.customer_id),
                action: "link.opened",
                subject: &link.id,
                detail: json!({}),
            })?,
            // What the landing page shows before the portal runs.
            db::stmt(
                &ctx.db,
                "SELECT o.display_name, o.primary_color, c.locale, i.number FROM customers c \
                 JOIN organizations o ON o.id = c.organization_id \
                 LEFT JOIN invoices i ON i.id = ?2 AND i.organization_id = c.organization_id \
                 WHERE c.id = ?1 AND c.organization_id = ?3",
                params![&link.customer_id, link.invoice_id.clone(), &link.organization_id],
            )?,
        ])
        .await
        .map_err(|e| ApiError::internal(format!("open link: {e}")))?;
    let shown: Option<Shown> = results
        .get(2)
        .and_then(|r| r.results::<Shown>().ok())
        .and_then(|rows| rows.into_iter().next());
    let cookie = security::session_cookie(&session, (expires_at - ctx.now_ms()) / 1000);
    let landing = match &link.invoice_id {
        Some(inv) => format!("/invoices/{inv}"),
        None => "/invoices".to_owned(),
    };
    // The thread's own pages load their own code: a plain redirect.
    if let Some(thread) = thread.filter(|t| settle_shared::ids::DisputeId::parse(t).is_ok()) {
        #[derive(serde::Deserialize)]
        struct Own {
            #[allow(dead_code)]
            id: String,
        }
        let s = db::stmt(
            &ctx.db,
            "SELECT id FROM disputes WHERE id = ?1 AND organization_id = ?2 AND customer_id = ?3",
            params![thread, &link.organization_id, &link.customer_id],
        )?;
        if db::one::<Own>(s).await?.is_some() {
            return http::redirect(&format!("/disputes/{thread}"), Some(&cookie));
        }
    }
    match (shown, landing_index(ctx).await) {
        (Some(shown), Some(index)) => {
            let lang = crate::i18n::Lang::from_locale(&shown.locale);
            let preloads = vec![
                "/api/v1/portal/session".to_owned(),
                format!("/api/v1/portal{landing}"),
            ];
            let html = crate::landing::page(
                &index,
                &crate::landing::Landing {
                    path: &landing,
                    lang: lang.code(),
                    rtl: lang.rtl(),
                    company: &shown.display_name,
                    colour: shown.primary_color.as_deref().unwrap_or("#1a56db"),
                    heading: &lang
                        .portal_heading(link.invoice_id.as_ref().and(shown.number.as_deref())),
                    preloads: &preloads,
                },
            );
            http::landing_page(&html, &landing, &cookie)
        }
        // Without the built portal (or its row), the plain redirect.
        _ => http::redirect(&landing, Some(&cookie)),
    }
}

/// The portal's index.html from the static assets.
async fn landing_index(ctx: &Ctx) -> Option<String> {
    let assets = ctx.env.assets("ASSETS").ok()?;
    let mut r = assets
        .fetch("https://assets.invalid/index.html", None)
        .await
        .ok()?;
    if r.status_code() != 200 {
        return None;
    }
    r.text().await.ok()
}

/// `POST /api/v1/portal/link-requests`: a customer whose link expired asks
/// for a fresh one. The answer is the same whether or not the address is known.
pub async fn request_fresh(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let ip = ctx.ip.clone().unwrap_or_else(|| "unknown".into());
    let body: LinkRequestRequest = http::json_body(req).await?;
    let email = text::email("email", &body.email)?.to_lowercase();
    if let Err(secs) = limits::count(ctx, &format!("link-ip:{ip}"), LINK_REQUESTS_PER_IP).await? {
        return Err(limits::limited("link requests", secs));
    }
    if let Err(secs) = limits::count(
        ctx,
        &format!("link-email:{}", security::hash_token(&email)),
        LINK_REQUESTS_PER_EMAIL,
    )
    .await?
    {
        return Err(limits::limited("link requests", secs));
    }
    // The lookup happens in the queue: the answer takes the same time
    // whether or not the address belongs to a customer.
    queue::enqueue(
        ctx,
        queue::Job::LinkRequest {
            email,
            requested_at: ctx.now_ms(),
            ip: ctx.ip.clone(),
        },
    )
    .await
    .map_err(|e| ApiError::internal(format!("enqueue link request: {e}")))?;
    http::json(
        202,
        &LinkRequestResponse {
            status: "accepted".into(),
        },
    )
}
