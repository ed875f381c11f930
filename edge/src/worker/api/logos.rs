//! Logos: uploaded through the worker into R2 (`LOGOS`), recognised by
//! their content (`settle_shared::branding::sniff_logo`), at most 1 MB, and
//! served from `/logos/<organization>/<sha-256>.<ext>` (the name changes
//! with the content, so it is cached for good).

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::branding::{self, LogoProblem, MAX_LOGO_BYTES};
use settle_shared::ids::OrganizationId;
use settle_shared::staff::Capability;
use sha2::{Digest, Sha256};
use worker::{Env, HttpMetadata, Request, Response};

fn bucket(env: &Env) -> Result<worker::Bucket, ApiError> {
    env.bucket("LOGOS")
        .map_err(|e| ApiError::internal(format!("R2 binding: {e}")))
}

/// `PUT /api/v1/organization/logo` (admins): the image as the body.
pub async fn upload(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let bytes = http::raw_body(req, MAX_LOGO_BYTES)
        .await
        .map_err(|e| match e {
            ApiError::Client {
                code: ErrorCode::PayloadTooLarge,
                ..
            } => ApiError::new(ErrorCode::PayloadTooLarge, LogoProblem::TooLarge.message()),
            other => other,
        })?;
    let kind = branding::sniff_logo(&bytes).map_err(|p| {
        let code = match p {
            LogoProblem::TooLarge => ErrorCode::PayloadTooLarge,
            LogoProblem::NotAnImage => ErrorCode::UnsupportedMediaType,
            LogoProblem::Empty => ErrorCode::InvalidField,
        };
        ApiError::new(code, p.message())
    })?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let key = format!("logos/{}/{digest}.{}", org.id, kind.extension());
    let size = bytes.len();
    bucket(&ctx.env)?
        .put(&key, bytes)
        .http_metadata(HttpMetadata {
            content_type: Some(kind.content_type().to_owned()),
            cache_control: Some("public, max-age=31536000, immutable".to_owned()),
            ..Default::default()
        })
        .execute()
        .await
        .map_err(|e| ApiError::internal(format!("R2 put: {e}")))?;
    // The object is stored first: a row never points at a missing logo.
    let url = format!("{}/{key}", ctx.config.public_base_url);
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE organizations SET logo_url = ?1, logo_key = ?2 WHERE id = ?3",
                params![&url, &key, &org.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "organization.logo_uploaded",
                subject: &org.id,
                detail: json!({ "key": key, "bytes": size, "type": kind.content_type() }),
            })?,
        ],
    )
    .await?;
    http::json(200, &json!({ "logo_url": url }))
}

/// `GET /logos/<organization>/<file>`: an uploaded logo, as an image only.
pub async fn serve(env: &Env, org: &str, file: &str) -> worker::Result<Response> {
    let well_formed = OrganizationId::parse(org).is_ok()
        && file.len() <= 80
        && file
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b.is_ascii_lowercase());
    let object = match (well_formed, bucket(env)) {
        (true, Ok(b)) => b.get(format!("logos/{org}/{file}")).execute().await?,
        _ => None,
    };
    let Some(object) = object else {
        return Response::error("Not found", 404);
    };
    let meta = object.http_metadata();
    let bytes = match object.body() {
        Some(body) => body.bytes().await?,
        None => return Response::error("Not found", 404),
    };
    let headers = worker::Headers::new();
    headers.set(
        "Content-Type",
        meta.content_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
    )?;
    headers.set("Cache-Control", "public, max-age=31536000, immutable")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", "default-src 'none'")?;
    Ok(Response::from_bytes(bytes)?.with_headers(headers))
}
