//! An organization's bodies: its branding, payment and reminder settings,
//! creating one (`POST /api/v1/organizations`) and changing it.

use super::MemberResponse;
use serde::{Deserialize, Serialize};

/// Company branding, shown on the portal and in emails.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    pub display_name: String,
    #[serde(default)]
    pub logo_url: Option<String>,
    /// `#rrggbb`; white text on it must be readable (WCAG AA, 4.5:1).
    #[serde(default)]
    pub primary_color: Option<String>,
    pub support_email: String,
    /// `#rrggbb`, for links on white (WCAG AA, 4.5:1).
    #[serde(default)]
    pub accent_color: Option<String>,
    /// The name emails come from; `display_name` when absent.
    #[serde(default)]
    pub sender_name: Option<String>,
    /// Where replies to emails go; `support_email` when absent.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// A line at the foot of every email (an address, a company number).
    #[serde(default)]
    pub footer_text: Option<String>,
    /// `en`, `fr` or `ar`: for customers and members without their own.
    #[serde(default)]
    pub default_locale: Option<String>,
    /// ISO 4217: what the console proposes for a new invoice.
    #[serde(default)]
    pub default_currency: Option<String>,
}

/// The part of the branding the portal draws with (what it does not use
/// stays off the pay path's bundle).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PortalBrand {
    pub display_name: String,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub support_email: String,
}

/// `POST /api/v1/organizations` (platform operator only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    pub name: String,
    pub branding: Branding,
    /// Days a customer link stays valid; 30 when absent.
    #[serde(default)]
    pub link_ttl_days: Option<u32>,
    /// The organization's first admin, who can then sign in to the console
    /// and invite the rest of the team.
    #[serde(default)]
    pub admin: Option<FirstAdmin>,
}

/// The first admin of a new organization.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FirstAdmin {
    pub name: String,
    pub email: String,
}

/// How an organization takes payments.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Customers may pay part of a balance.
    pub allow_partial: bool,
    /// The smallest partial payment, in minor units of the invoice's currency.
    pub min_partial_amount: i64,
    /// Offered at Checkout: `card` always; `sepa_debit` (EUR invoices),
    /// `us_bank_account` (USD invoices).
    pub methods: Vec<String>,
}

/// `PATCH /api/v1/organization`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    /// Replaces the branding as a whole (the logo is uploaded apart, to
    /// `PUT /organization/logo`, or given as an `https` URL here).
    #[serde(default)]
    pub branding: Option<Branding>,
    #[serde(default)]
    pub payments: Option<PaymentSettings>,
    /// When reminders may go out; replaces the settings as a whole.
    #[serde(default)]
    pub reminders: Option<crate::reminders::ReminderSettings>,
    /// The limits of customers' promises to pay.
    #[serde(default)]
    pub promises: Option<super::PromiseSettings>,
    /// The rules of instalment plans customers may set up themselves.
    #[serde(default)]
    pub plans: Option<crate::plan::PlanRules>,
    /// How subscriptions are billed: the cut-off day, its time zone, the
    /// days to pay and whether subscribers may cancel at once.
    #[serde(default)]
    pub billing: Option<super::BillingSettings>,
}

/// An organization as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrganizationResponse {
    pub id: String,
    pub name: String,
    pub branding: Branding,
    pub payments: PaymentSettings,
    /// The reminder send window and related settings (defaults until set).
    #[serde(default)]
    pub reminders: crate::reminders::ReminderSettings,
    #[serde(default)]
    pub promises: super::PromiseSettings,
    #[serde(default)]
    pub plans: crate::plan::PlanRules,
    #[serde(default)]
    pub billing: super::BillingSettings,
    pub link_ttl_days: u32,
    pub created_at: String,
}

/// The answer to creating an organization: its first API key, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateOrganizationResponse {
    pub organization: OrganizationResponse,
    pub api_key: String,
    /// The first admin, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<MemberResponse>,
}
