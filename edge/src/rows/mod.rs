//! Rows as D1 returns them, and their API views.
//!
//! The row structs mirror the SQL columns in `migrations/`; turning them into
//! responses is pure and tested here.

mod invoice;
mod organization;
mod team;
pub use invoice::{InvoiceRow, LineRow};
pub use organization::{OrganizationRow, PAYMENT_METHODS};
pub use team::{MemberRow, StaffSessionRow};

use chrono::NaiveDate;
use serde::Deserialize;
use settle_shared::api::{
    AuditEventResponse, CustomerResponse, PaymentResponse, PortalLinkResponse,
};
use settle_shared::time::rfc3339_from_millis;

/// `customers`
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub time_zone: String,
    pub external_id: Option<String>,
    pub created_at: i64,
    #[serde(default = "no_tags")]
    pub tags: String,
    #[serde(default)]
    pub reminders_opt_out: i64,
    /// Who stopped reminders: `customer` or `company`.
    #[serde(default)]
    pub opt_out_by: Option<String>,
    #[serde(default = "ok")]
    pub email_status: String,
    #[serde(default)]
    pub flag_reason: Option<String>,
    /// The agent the account is assigned to.
    #[serde(default)]
    pub assigned_to: Option<String>,
    #[serde(default)]
    pub payment_plans_blocked: i64,
    /// When the customer last replied by email, until the company read it.
    #[serde(default)]
    pub reply_received_at: Option<i64>,
}

fn no_tags() -> String {
    "[]".into()
}

fn ok() -> String {
    "ok".into()
}

impl CustomerRow {
    /// The customer's tags (none when the column is unreadable).
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }

    pub fn view(&self) -> CustomerResponse {
        CustomerResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            locale: self.locale.clone(),
            time_zone: self.time_zone.clone(),
            external_id: self.external_id.clone(),
            created_at: rfc3339_from_millis(self.created_at),
            credit: Vec::new(),
            tags: self.tag_list(),
            reminders_opt_out: self.reminders_opt_out != 0,
            email_status: self.email_status.clone(),
            flag_reason: self.flag_reason.clone(),
            assigned_to: self.assigned_to.clone(),
            payment_plans_blocked: self.payment_plans_blocked != 0,
            reply_received_at: self.reply_received_at.map(rfc3339_from_millis),
        }
    }
}

/// `payments`
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentRow {
    pub id: String,
    pub invoice_id: String,
    pub kind: String,
    pub method: String,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub received_on: String,
    pub created_at: i64,
}

impl PaymentRow {
    pub fn view(&self) -> PaymentResponse {
        PaymentResponse {
            id: self.id.clone(),
            invoice_id: self.invoice_id.clone(),
            kind: self.kind.clone(),
            method: self.method.clone(),
            amount: self.amount,
            currency: self.currency.clone(),
            reference: self.reference.clone(),
            received_on: self.received_on.clone(),
            created_at: rfc3339_from_millis(self.created_at),
        }
    }
}

/// `access_links`
#[derive(Debug, Clone, Deserialize)]
pub struct LinkRow {
    pub id: String,
    pub organization_id: String,
    pub customer_id: String,
    pub invoice_id: Option<String>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

impl LinkRow {
    pub fn view(&self, url: Option<String>) -> PortalLinkResponse {
        PortalLinkResponse {
            id: self.id.clone(),
            customer_id: self.customer_id.clone(),
            url,
            expires_at: rfc3339_from_millis(self.expires_at),
            revoked_at: self.revoked_at.map(rfc3339_from_millis),
            created_at: rfc3339_from_millis(self.created_at),
        }
    }

    /// Whether the link opens now, and if not, why.
    pub fn check(&self, now_ms: i64) -> Result<(), LinkProblem> {
        if self.revoked_at.is_some() {
            Err(LinkProblem::Revoked)
        } else if now_ms >= self.expires_at {
            Err(LinkProblem::Expired)
        } else {
            Ok(())
        }
    }
}

/// Why a customer link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Revoked,
    Expired,
}

impl LinkProblem {
    /// The `reason` the portal's link page explains.
    pub fn reason(self) -> &'static str {
        match self {
            LinkProblem::Unknown | LinkProblem::Revoked => "invalid",
            LinkProblem::Expired => "expired",
        }
    }
}

/// `audit_events`
#[derive(Debug, Clone, Deserialize)]
pub struct AuditRow {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
    pub detail: String,
    pub created_at: i64,
}

impl AuditRow {
    pub fn view(&self) -> AuditEventResponse {
        AuditEventResponse {
            id: self.id.clone(),
            actor: self.actor.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            ip: self.ip.clone(),
            detail: serde_json::from_str(&self.detail).unwrap_or(serde_json::Value::Null),
            created_at: rfc3339_from_millis(self.created_at),
        }
    }
}

/// Today's date in an IANA time zone (UTC when the zone is unknown).
pub fn local_date(now_ms: i64, time_zone: &str) -> NaiveDate {
    crate::zone::Zone::or_utc(time_zone).date(now_ms)
}

/// Whether a name is an IANA time zone.
pub fn is_time_zone(name: &str) -> bool {
    crate::zone::Zone::parse(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_shared::reminders::ReminderSettings;

    fn invoice(status: &str, due: &str, tz: &str) -> InvoiceRow {
        InvoiceRow {
            id: "inv_a".into(),
            customer_id: "cus_a".into(),
            number: "1".into(),
            currency: "EUR".into(),
            status: status.into(),
            issue_date: "2026-11-01".into(),
            due_date: due.into(),
            memo: None,
            subtotal: 1000,
            tax: 200,
            total: 1200,
            amount_paid: 200,
            sent_at: None,
            voided_at: None,
            created_at: 0,
            time_zone: tz.into(),
            processing: 0,
            dispute_id: None,
            disputed_amount: None,
            replaces_invoice_id: None,
            replaces_number: None,
            replaced_by_id: None,
            replaced_by_number: None,
            early_payment_bp: None,
            early_payment_days: None,
            scheduled_on: None,
        }
    }

    #[test]
    fn overdue_uses_the_customers_date() {
        // 2026-11-26 06:00 UTC: still the 25th in Los Angeles, the 26th in Tokyo.
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(6, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert!(
            !invoice("open", "2026-11-25", "America/Los_Angeles")
                .view(&[], now)
                .overdue
        );
        assert!(
            invoice("open", "2026-11-25", "Asia/Tokyo")
                .view(&[], now)
                .overdue
        );
        assert!(
            !invoice("paid", "2026-11-01", "Asia/Tokyo")
                .view(&[], now)
                .overdue
        );
    }

    #[test]
    fn amount_due_comes_from_the_ledger() {
        assert_eq!(
            invoice("open", "2026-12-01", "UTC").view(&[], 0).amount_due,
            1000
        );
        assert_eq!(
            invoice("void", "2026-12-01", "UTC").view(&[], 0).amount_due,
            0
        );
    }

    #[test]
    fn links_expire_and_revoke() {
        let mut l = LinkRow {
            id: "lnk".into(),
            organization_id: "org".into(),
            customer_id: "cus".into(),
            invoice_id: None,
            expires_at: 1000,
            revoked_at: None,
            created_at: 0,
        };
        assert_eq!(l.check(999), Ok(()));
        assert_eq!(l.check(1000), Err(LinkProblem::Expired));
        l.revoked_at = Some(5);
        assert_eq!(l.check(10), Err(LinkProblem::Revoked));
    }

    #[test]
    fn reminder_settings_default_when_missing_or_unreadable() {
        let mut org = OrganizationRow {
            id: "org".into(),
            name: "Acme".into(),
            display_name: "Acme".into(),
            logo_url: None,
            primary_color: None,
            support_email: "a@acme.test".into(),
            link_ttl_days: 30,
            created_at: 0,
            allow_partial_payments: 0,
            min_partial_amount: 0,
            payment_methods: String::new(),
            reminder_settings: None,
            ..Default::default()
        };
        assert_eq!(org.reminders(), ReminderSettings::default());
        org.reminder_settings = Some("{not json".into());
        assert_eq!(org.reminders(), ReminderSettings::default());
        let saturday = ReminderSettings {
            days: vec!["sat".into()],
            ..Default::default()
        };
        org.reminder_settings = Some(serde_json::to_string(&saturday).unwrap());
        assert_eq!(org.view().reminders.days, vec!["sat".to_owned()]);
    }

    #[test]
    fn time_zones() {
        assert!(is_time_zone("Europe/Paris"));
        assert!(is_time_zone("UTC"));
        assert!(!is_time_zone("Mars/Olympus"));
    }
}
