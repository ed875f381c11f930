//! `organizations`: the row, its payment, reminder and branding settings,
//! and its API view.

use serde::Deserialize;
use settle_shared::api::{
    BillingSettings, Branding, OrganizationResponse, PaymentSettings, PromiseSettings,
};
use settle_shared::reminders::ReminderSettings;
use settle_shared::time::rfc3339_from_millis;

/// `organizations`
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub support_email: String,
    pub link_ttl_days: i64,
    pub created_at: i64,
    #[serde(default)]
    pub allow_partial_payments: i64,
    #[serde(default)]
    pub min_partial_amount: i64,
    #[serde(default)]
    pub payment_methods: String,
    /// JSON of [`ReminderSettings`]; NULL until the organization sets them.
    #[serde(default)]
    pub reminder_settings: Option<String>,
    #[serde(default)]
    pub accent_color: Option<String>,
    #[serde(default)]
    pub sender_name: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub footer_text: Option<String>,
    #[serde(default)]
    pub default_locale: Option<String>,
    #[serde(default)]
    pub default_currency: Option<String>,
    #[serde(default = "default_promise_max_days")]
    pub promise_max_days: i64,
    #[serde(default = "default_promise_grace_days")]
    pub promise_grace_days: i64,
    /// Days after the date a declined scheduled payment is tried again.
    #[serde(default = "default_retry_days")]
    pub autopay_retry_days: String,
    #[serde(default)]
    pub plan_max_count: Option<i64>,
    #[serde(default)]
    pub plan_min_instalment: Option<i64>,
    #[serde(default)]
    pub plan_max_span_days: Option<i64>,
    #[serde(default)]
    pub billing_cutoff_day: Option<i64>,
    #[serde(default)]
    pub billing_time_zone: Option<String>,
    #[serde(default)]
    pub billing_due_days: Option<i64>,
    #[serde(default)]
    pub billing_immediate_cancel: Option<i64>,
}

fn default_promise_max_days() -> i64 {
    crate::promises::Rules::default().max_days.into()
}

fn default_retry_days() -> String {
    "3,7".into()
}

fn default_promise_grace_days() -> i64 {
    crate::promises::Rules::default().grace_days.into()
}

/// The Checkout payment methods Settle offers.
pub const PAYMENT_METHODS: [&str; 3] = ["card", "sepa_debit", "us_bank_account"];

impl OrganizationRow {
    pub fn payments(&self) -> PaymentSettings {
        let mut methods: Vec<String> = self
            .payment_methods
            .split(',')
            .filter(|m| PAYMENT_METHODS.contains(m))
            .map(str::to_owned)
            .collect();
        if !methods.iter().any(|m| m == "card") {
            methods.insert(0, "card".into());
        }
        PaymentSettings {
            allow_partial: self.allow_partial_payments != 0,
            min_partial_amount: self.min_partial_amount,
            methods,
        }
    }

    /// The methods offered for an invoice in `currency`: bank debits only
    /// where they exist for that currency.
    pub fn methods_for(&self, currency: &str) -> Vec<String> {
        self.payments()
            .methods
            .into_iter()
            .filter(|m| match m.as_str() {
                "sepa_debit" => currency.eq_ignore_ascii_case("EUR"),
                "us_bank_account" => currency.eq_ignore_ascii_case("USD"),
                _ => true,
            })
            .collect()
    }

    /// The reminder settings; the defaults when none are stored or the
    /// stored JSON is unreadable.
    pub fn reminders(&self) -> ReminderSettings {
        self.reminder_settings
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    /// The days after its date a declined scheduled payment is tried again
    /// (the default where the stored value is unreadable).
    pub fn retry_days(&self) -> Vec<u32> {
        crate::autopay::parse_retry_days(&self.autopay_retry_days).unwrap_or_else(|_| vec![3, 7])
    }

    /// The limits of customers' promises to pay.
    pub fn promise_rules(&self) -> crate::promises::Rules {
        crate::promises::Rules {
            max_days: self
                .promise_max_days
                .clamp(1, crate::promises::MAX_DAYS_CAP.into()) as u32,
            grace_days: self
                .promise_grace_days
                .clamp(0, crate::promises::MAX_GRACE_DAYS.into()) as u32,
        }
    }

    /// The rules of instalment plans (the defaults where unset).
    pub fn plan_rules(&self) -> settle_shared::plan::PlanRules {
        let d = settle_shared::plan::PlanRules::default();
        let rules = settle_shared::plan::PlanRules {
            max_count: self
                .plan_max_count
                .map_or(d.max_count, |v| v.clamp(2, 24) as u32),
            min_instalment: self.plan_min_instalment.unwrap_or(d.min_instalment),
            max_span_days: self
                .plan_max_span_days
                .map_or(d.max_span_days, |v| v.clamp(7, 730) as u32),
        };
        if rules.validate().is_ok() { rules } else { d }
    }

    pub fn branding(&self) -> Branding {
        Branding {
            display_name: self.display_name.clone(),
            logo_url: self.logo_url.clone(),
            primary_color: self.primary_color.clone(),
            support_email: self.support_email.clone(),
            accent_color: self.accent_color.clone(),
            sender_name: self.sender_name.clone(),
            reply_to: self.reply_to.clone(),
            footer_text: self.footer_text.clone(),
            default_locale: self.default_locale.clone(),
            default_currency: self.default_currency.clone(),
        }
    }

    /// How subscriptions are billed (the defaults where unset).
    pub fn billing(&self) -> BillingSettings {
        let d = BillingSettings::default();
        BillingSettings {
            cutoff_day: self
                .billing_cutoff_day
                .map_or(d.cutoff_day, |v| v.clamp(1, 31) as u32),
            time_zone: self.billing_time_zone.clone().unwrap_or(d.time_zone),
            due_days: self
                .billing_due_days
                .map_or(d.due_days, |v| v.clamp(0, 365) as u32),
            immediate_cancel: self.billing_immediate_cancel.is_some_and(|v| v != 0),
        }
    }

    pub fn view(&self) -> OrganizationResponse {
        OrganizationResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            branding: self.branding(),
            payments: self.payments(),
            reminders: self.reminders(),
            promises: {
                let r = self.promise_rules();
                PromiseSettings {
                    max_days: r.max_days,
                    grace_days: r.grace_days,
                }
            },
            plans: self.plan_rules(),
            billing: self.billing(),
            link_ttl_days: self.link_ttl_days as u32,
            created_at: rfc3339_from_millis(self.created_at),
        }
    }
}
