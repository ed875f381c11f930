//! Files in a thread: a photo or a PDF sent by either side, recognised by
//! its content (`settle_shared::dispute::sniff_file`), at most 5 MB, kept in
//! R2 (`FILES`) and offered only as a download (`Content-Disposition:
//! attachment`, `nosniff`, the recognised type, no script may run). A file
//! is a message of its own, its name as the message's text.

use super::thread::{self, DisputeRow, NewMessage, Side};
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use settle_shared::ErrorCode;
use settle_shared::dispute::{self, FileProblem, MAX_ATTACHMENT_BYTES, Step};
use settle_shared::ids::AttachmentId;
use sha2::{Digest, Sha256};
use worker::{Env, HttpMetadata, Request, Response};

fn bucket(env: &Env) -> Result<worker::Bucket, ApiError> {
    env.bucket("FILES")
        .map_err(|e| ApiError::internal(format!("R2 binding: {e}")))
}

/// Who sends a file.
pub struct Sender<'a> {
    pub side: Side,
    pub author: &'a str,
    pub member_id: Option<&'a str>,
    pub author_name: &'a str,
    pub via: &'a str,
}

fn refused(p: FileProblem) -> ApiError {
    ApiError::Client {
        code: p.code(),
        message: thread::sentence(&p.to_string()),
        field: Some("file".into()),
    }
}

/// Stores the request's body as a file of the thread `d` (already loaded
/// with the sender's checks passed) and writes its message; `?name=` is
/// the file's name as the sender had it.
pub async fn attach(
    ctx: &Ctx,
    req: Request,
    d: &DisputeRow,
    who: Sender<'_>,
) -> Result<Response, ApiError> {
    dispute::next(d.status(), d.reopened as u32, Step::Message).map_err(thread::refused)?;
    let given = http::query(&req, "name").unwrap_or_default();
    let bytes = http::raw_body(req, MAX_ATTACHMENT_BYTES)
        .await
        .map_err(|e| match e {
            ApiError::Client {
                code: ErrorCode::PayloadTooLarge,
                ..
            } => refused(FileProblem::TooLarge),
            other => other,
        })?;
    let kind = dispute::sniff_file(&bytes).map_err(refused)?;
    thread::limit(ctx, d, who.side).await?;
    let name = dispute::file_name(&given, kind);
    let id = AttachmentId::generate(ctx.now_ms() as u64, ctx.random10());
    let key = format!("files/{}/{}/{}", d.organization_id, d.id, id.as_str());
    let size = bytes.len();
    let digest = hex::encode(Sha256::digest(&bytes));
    bucket(&ctx.env)?
        .put(&key, bytes)
        .http_metadata(HttpMetadata {
            content_type: Some(kind.content_type().to_owned()),
            ..Default::default()
        })
        .execute()
        .await
        .map_err(|e| ApiError::internal(format!("R2 put: {e}")))?;
    // The object is stored first: a message never names a missing file.
    let (mid, mut stmts) = thread::write(
        ctx,
        d,
        &NewMessage {
            side: who.side,
            author: who.author,
            member_id: who.member_id,
            author_name: who.author_name,
            body: &name,
            full_body: None,
            via: who.via,
        },
    )?;
    stmts.push(db::stmt(
        &ctx.db,
        "INSERT INTO dispute_attachments (id, organization_id, dispute_id, message_id, name, content_type, bytes, sha256, r2_key, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id.as_str(),
            &d.organization_id,
            &d.id,
            mid.as_str(),
            &name,
            kind.content_type(),
            size as i64,
            &digest,
            &key,
            ctx.now_ms()
        ],
    )?);
    thread::commit(ctx, stmts).await?;
    crate::worker::live::changed(ctx, &d.id).await;
    let written = thread::message(ctx, mid.as_str())
        .await?
        .ok_or_else(|| ApiError::internal("the message just written is missing"))?;
    http::json(201, &written)
}

#[derive(Deserialize)]
struct FileRow {
    name: String,
    content_type: String,
    r2_key: String,
}

/// The file `file_id` of the thread `d` (already loaded with the reader's
/// checks passed), as a download; `404` for a file of another thread.
pub async fn download(ctx: &Ctx, d: &DisputeRow, file_id: &str) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("file");
    if AttachmentId::parse(file_id).is_err() {
        return Err(not_found());
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT name, content_type, r2_key FROM dispute_attachments WHERE id = ?1 AND dispute_id = ?2 AND organization_id = ?3",
        params![file_id, &d.id, &d.organization_id],
    )?;
    let row = db::one::<FileRow>(s).await?.ok_or_else(not_found)?;
    let object = bucket(&ctx.env)?
        .get(&row.r2_key)
        .execute()
        .await
        .map_err(|e| ApiError::internal(format!("R2 get: {e}")))?
        .ok_or_else(not_found)?;
    let bytes = match object.body() {
        Some(body) => body
            .bytes()
            .await
            .map_err(|e| ApiError::internal(format!("R2 read: {e}")))?,
        None => return Err(not_found()),
    };
    let headers = worker::Headers::new();
    let set = |k: &str, v: &str| {
        headers
            .set(k, v)
            .map_err(|e| ApiError::internal(format!("headers: {e}")))
    };
    set("Content-Type", &row.content_type)?;
    set("Content-Disposition", &disposition(&row.name))?;
    set("X-Content-Type-Options", "nosniff")?;
    set("Content-Security-Policy", "default-src 'none'; sandbox")?;
    set("Cache-Control", "private, no-store")?;
    set("Cross-Origin-Resource-Policy", "same-origin")?;
    Ok(Response::from_bytes(bytes)
        .map_err(|e| ApiError::internal(format!("response: {e}")))?
        .with_headers(headers))
}

/// `attachment`, with the name in ASCII for old clients and in UTF-8
/// (RFC 6266 / 5987) for the rest.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn a_download_is_named_safely_in_both_forms() {
        assert_eq!(
            disposition("reçu mars.pdf"),
            "attachment; filename=\"re_u mars.pdf\"; filename*=UTF-8''re%C3%A7u%20mars.pdf"
        );
        assert!(!disposition("a\";b.pdf").contains("\";b"));
    }
}
