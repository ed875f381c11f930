//! Outgoing webhooks on the wire: endpoints and their delivery log.

use serde::{Deserialize, Serialize};

/// The event types an endpoint may ask for (docs/API.md describes each).
pub const WEBHOOK_EVENT_TYPES: [&str; 9] = [
    "invoice.created",
    "invoice.paid",
    "invoice.voided",
    "payment.refunded",
    "dispute.opened",
    "dispute.resolved",
    "promise.broken",
    "subscription.created",
    "subscription.changed",
];

/// `POST /api/v1/webhook-endpoints`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookEndpointRequest {
    /// `https://…`
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Event types, or `["*"]` (the default) for all.
    #[serde(default)]
    pub events: Vec<String>,
}

/// An endpoint as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookEndpointResponse {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
    pub enabled: bool,
    /// The signing secret (`whsec_…`), in the answer to creating the
    /// endpoint and to `GET /webhook-endpoints/{id}` (admins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: String,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookAttemptResponse {
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookDeliveryResponse {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: String,
    pub url: String,
    /// `pending`, `sending`, `retrying`, `delivered` or `gave_up`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
    /// Every attempt, oldest first (on a single delivery and in lists).
    pub log: Vec<WebhookAttemptResponse>,
}
