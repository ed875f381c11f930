//! A team member's sign-in email (their invitation, until they first sign
//! in). The link is derived from the email's id, so a retry sends the same
//! one; what is stored has the token replaced.

use super::{EmailRow, Ready, SecretLink, finish};
use crate::email::Rendered;
use crate::email::SignInEmail;
use crate::error::ApiError;
use crate::params;
use crate::rows::{MemberRow, OrganizationRow};
use crate::worker::api::team;
use crate::worker::ctx::Ctx;
use crate::worker::db;

/// The email, ready to go to the member's address; `None` when the member
/// was removed since (recorded as skipped).
pub(super) async fn prepare(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
    member_id: &str,
) -> Result<Option<(String, Ready)>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM members WHERE id = ?1 AND organization_id = ?2",
        params![member_id, &org.id],
    )?;
    let member: Option<MemberRow> = db::one(s).await?;
    let Some(member) = member.filter(|m| m.removed_at.is_none()) else {
        finish(
            ctx,
            row,
            "skipped",
            None,
            Some("the member was removed from the team".into()),
            None,
        )
        .await?;
        return Ok(None);
    };
    let url = team::link_url(ctx, &row.id);
    let redacted = format!(
        "{}/console/sign-in#[sign-in link]",
        ctx.config.public_base_url
    );
    let rendered = match (&row.text, row.attempts > 1) {
        // A retry sends what the first attempt rendered.
        (Some(text), true) => Rendered {
            subject: row.subject.clone().unwrap_or_default(),
            html: row
                .html
                .clone()
                .unwrap_or_default()
                .replace(&redacted, &url),
            text: text.replace(&redacted, &url),
        },
        _ => {
            let role = member.role();
            SignInEmail {
                brand: super::brand(org),
                locale: &member.locale,
                member_name: &member.name,
                invited_as: member.last_sign_in_at.is_none().then_some(role.as_str()),
                link: &url,
            }
            .render()
        }
    };
    Ok(Some((
        member.email.clone(),
        Ready {
            rendered,
            link: SecretLink {
                url,
                redacted,
                stmts: Vec::new(),
            },
            bcc: None,
            headers: Vec::new(),
            occurrences: Vec::new(),
        },
    )))
}
