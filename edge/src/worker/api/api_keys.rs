//! `/api/v1/api-keys`: the organization's API keys. A key is shown once,
//! when created or rotated; only its hash is stored, with a name, a prefix
//! to recognise it and when it was last used. A revoked key answers 401.

use crate::error::ApiError;
use crate::params;
use crate::security::{self, OsRandom, TokenKind};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{ApiKeyResponse, CreateApiKeyRequest, ListResponse, NewApiKeyResponse};
use settle_shared::ids::ApiKeyId;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// Keys an organization may hold at once (revoked ones aside).
const MAX_ACTIVE_KEYS: i64 = 20;

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    hint: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl KeyRow {
    fn view(&self) -> ApiKeyResponse {
        ApiKeyResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            prefix: self.hint.clone(),
            created_at: rfc3339_from_millis(self.created_at),
            last_used_at: self.last_used_at.map(rfc3339_from_millis),
            revoked_at: self.revoked_at.map(rfc3339_from_millis),
        }
    }
}

const COLUMNS: &str = "id, name, hint, created_at, last_used_at, revoked_at";

/// `GET /api/v1/api-keys`: every key, newest first (active and revoked).
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ManageApiKeys).await?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM api_keys WHERE organization_id = ?1 ORDER BY id DESC LIMIT 200"
        ),
        params![&org.id],
    )?;
    let rows: Vec<KeyRow> = db::all(s).await?;
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(KeyRow::view).collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// A new key's id, secret and the statement that stores it.
fn new_key(
    ctx: &Ctx,
    org_id: &str,
    name: &str,
) -> Result<(ApiKeyId, String, worker::D1PreparedStatement), ApiError> {
    let id = ApiKeyId::generate(ctx.now_ms() as u64, ctx.random10());
    let secret = security::new_token(TokenKind::ApiKey, &mut OsRandom);
    let hint = format!("{}…", &secret[..11]);
    let stmt = db::stmt(
        &ctx.db,
        "INSERT INTO api_keys (id, organization_id, key_hash, hint, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id.as_str(),
            org_id,
            security::hash_token(&secret),
            hint,
            name,
            ctx.now_ms()
        ],
    )?;
    Ok((id, secret, stmt))
}

async fn answer_new(ctx: &Ctx, id: &ApiKeyId, secret: String) -> Result<Response, ApiError> {
    let row = load(ctx, None, id.as_str()).await?;
    http::json(
        201,
        &NewApiKeyResponse {
            key: row.view(),
            api_key: secret,
        },
    )
}

/// `POST /api/v1/api-keys` `{"name": "ERP sync"}` → `201` with the key,
/// shown this once.
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::ManageApiKeys).await?;
    let body: CreateApiKeyRequest = http::json_body(req).await?;
    let name = text::bounded("name", &body.name, 100)?;
    let (id, secret, insert) = new_key(ctx, &org.id, &name)?;
    // The count is checked in the same batch as the insert: two requests at
    // once cannot pass the limit together.
    let stmts = vec![
        db::stmt(
            &ctx.db,
            &format!(
                "INSERT INTO write_conflicts (never) SELECT 1 WHERE (SELECT COUNT(*) FROM api_keys WHERE organization_id = ?1 AND revoked_at IS NULL) >= {MAX_ACTIVE_KEYS}"
            ),
            params![&org.id],
        )?,
        insert,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "api_key.created",
            subject: id.as_str(),
            detail: json!({ "name": name }),
        })?,
    ];
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => answer_new(ctx, &id, secret).await,
        Err(db::WriteError::Conflict) => Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "An organization holds at most {MAX_ACTIVE_KEYS} active API keys; revoke one first."
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A key of this organization (or any, with `None`), or 404.
async fn load(ctx: &Ctx, org_id: Option<&str>, id: &str) -> Result<KeyRow, ApiError> {
    if ApiKeyId::parse(id).is_err() {
        return Err(ApiError::not_found("API key"));
    }
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM api_keys WHERE id = ?1 AND (?2 IS NULL OR organization_id = ?2)"
        ),
        params![id, org_id],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))
}

/// The statements that revoke `id`, unless it is the organization's last
/// active key (then the batch fails as a conflict).
fn revoke_stmts(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
    keep_one: bool,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let mut stmts = Vec::new();
    if keep_one {
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO write_conflicts (never) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM api_keys \
             WHERE organization_id = ?1 AND revoked_at IS NULL AND id <> ?2)",
            params![org_id, id],
        )?);
    }
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND organization_id = ?3 AND revoked_at IS NULL",
        params![ctx.now_ms(), id, org_id],
    )?);
    Ok(stmts)
}

/// `POST /api/v1/api-keys/{id}/revoke`: at once and for good. The last
/// active key cannot be revoked (the organization would be locked out).
pub async fn revoke(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ManageApiKeys).await?;
    let key = load(ctx, Some(&org.id), id).await?;
    if key.revoked_at.is_some() {
        return http::json(200, &key.view());
    }
    let mut stmts = revoke_stmts(ctx, &org.id, id, true)?;
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor: &ctx.actor(),
        action: "api_key.revoked",
        subject: id,
        detail: json!({ "name": key.name }),
    })?);
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => http::json(200, &load(ctx, Some(&org.id), id).await?.view()),
        Err(db::WriteError::Conflict) => Err(ApiError::new(
            ErrorCode::Conflict,
            "This is the organization's last active API key; create another before revoking it.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/api-keys/{id}/rotate`: a new key with the same name; the
/// old one is revoked in the same step.
pub async fn rotate(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ManageApiKeys).await?;
    let key = load(ctx, Some(&org.id), id).await?;
    if key.revoked_at.is_some() {
        return Err(FieldError::new(
            ErrorCode::Conflict,
            "id",
            "this key is revoked; create a new one instead",
        )
        .into());
    }
    let (new_id, secret, insert) = new_key(ctx, &org.id, &key.name)?;
    let mut stmts = vec![insert];
    stmts.extend(revoke_stmts(ctx, &org.id, id, false)?);
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor: &ctx.actor(),
        action: "api_key.rotated",
        subject: id,
        detail: json!({ "name": key.name, "new_key_id": new_id.as_str() }),
    })?);
    db::batch(&ctx.db, stmts).await?;
    answer_new(ctx, &new_id, secret).await
}
