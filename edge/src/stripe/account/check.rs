//! "Check connection": what Settle needs to know from Stripe about a key,
//! concluded from Stripe's answers (a scripted client in the tests).

use super::NEEDED_EVENTS;
use crate::outbound::HttpClient;
#[cfg(test)]
use crate::outbound::HttpRequest;
use crate::stripe::api::get;

pub use settle_shared::api::{StripeCheck as CheckReport, StripeProblem as Problem};

fn problem(code: &str, message: impl Into<String>) -> Problem {
    Problem {
        code: code.into(),
        message: message.into(),
    }
}

fn stripe_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(160).collect())
}

/// Asks Stripe, with `key`, what Settle needs to know: that the key is
/// accepted and may use Checkout (`GET /v1/checkout/sessions?limit=1`), whose
/// account it is (`GET /v1/account`), and whether an enabled endpoint sends
/// the events Settle needs to `webhook_url` (`GET /v1/webhook_endpoints`).
/// Restricted keys may lack the last two permissions: that is said, not
/// failed.
pub async fn check(
    client: &impl HttpClient,
    base: &str,
    key: &str,
    webhook_url: &str,
) -> CheckReport {
    let mut r = CheckReport::default();
    match client
        .send(get(base, key, "/v1/checkout/sessions?limit=1"))
        .await
    {
        Err(e) => {
            r.unreachable = true;
            r.problems.push(problem(
                "stripe_unreachable",
                format!("Stripe could not be reached ({e}); nothing was concluded. Try again in a moment."),
            ));
            return r;
        }
        Ok(a) if a.status == 429 || a.status >= 500 => {
            r.unreachable = true;
            r.problems.push(problem(
                "stripe_unreachable",
                format!(
                    "Stripe answered HTTP {}; nothing was concluded. Try again in a moment.",
                    a.status
                ),
            ));
            return r;
        }
        Ok(a) if a.status == 401 => {
            r.problems.push(problem(
                "key_rejected",
                format!(
                    "Stripe refused the key: {} Paste a current key from Stripe's Developers › API keys.",
                    stripe_message(&a.body)
                ),
            ));
            return r;
        }
        Ok(a) if a.status == 403 => {
            r.problems.push(problem(
                "checkout_not_permitted",
                "The restricted key may not use Checkout Sessions; give it write access to Checkout Sessions and read access to PaymentIntents.",
            ));
            return r;
        }
        Ok(a) if !(200..300).contains(&a.status) => {
            r.problems.push(problem(
                "key_rejected",
                format!(
                    "Stripe answered HTTP {}: {}",
                    a.status,
                    stripe_message(&a.body)
                ),
            ));
            return r;
        }
        Ok(_) => r.ok = true,
    }
    if let Ok(a) = client.send(get(base, key, "/v1/account")).await
        && (200..300).contains(&a.status)
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&a.body)
    {
        r.account_id = v["id"].as_str().map(str::to_owned);
        r.account_name = v["settings"]["dashboard"]["display_name"]
            .as_str()
            .or(v["business_profile"]["name"].as_str())
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
    }
    match client
        .send(get(base, key, "/v1/webhook_endpoints?limit=100"))
        .await
    {
        Ok(a) if (200..300).contains(&a.status) => {
            let endpoints = serde_json::from_str::<serde_json::Value>(&a.body)
                .ok()
                .and_then(|v| v["data"].as_array().cloned())
                .unwrap_or_default();
            let ours: Vec<&serde_json::Value> = endpoints
                .iter()
                .filter(|e| e["url"].as_str() == Some(webhook_url) && e["status"] != "disabled")
                .collect();
            r.endpoint_found = Some(!ours.is_empty());
            if ours.is_empty() {
                r.problems.push(problem(
                    "endpoint_missing",
                    format!("No enabled webhook endpoint at Stripe sends events to {webhook_url}; add one (Developers › Webhooks) and paste its signing secret here. Until then payments are found only by the sweep, every five minutes."),
                ));
            } else {
                let sends = |kind: &str| {
                    ours.iter().any(|e| {
                        e["enabled_events"].as_array().is_some_and(|list| {
                            list.iter().any(|x| x == "*" || x.as_str() == Some(kind))
                        })
                    })
                };
                r.missing_events = NEEDED_EVENTS
                    .iter()
                    .filter(|k| !sends(k))
                    .map(|k| (*k).to_owned())
                    .collect();
                if !r.missing_events.is_empty() {
                    r.problems.push(problem(
                        "events_missing",
                        format!(
                            "The webhook endpoint does not send {}; add them to it at Stripe.",
                            r.missing_events.join(", ")
                        ),
                    ));
                }
            }
        }
        // A restricted key without access to endpoints: not a failure.
        _ => r.endpoint_found = None,
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::HttpResponse;
    use crate::outbound::testing::Scripted;

    fn answer(status: u16, body: serde_json::Value) -> Result<HttpResponse, String> {
        Ok(HttpResponse {
            status,
            body: body.to_string(),
        })
    }

    fn run(answers: Vec<Result<HttpResponse, String>>) -> (CheckReport, Vec<HttpRequest>) {
        let client = Scripted::new(answers);
        let report = crate::outbound::testing::ready(check(
            &client,
            "https://api.stripe.com",
            "sk_test_key",
            "https://settle.example/api/stripe/webhook/org_a",
        ));
        (report, client.sent.into_inner())
    }

    #[test]
    fn a_working_key_with_its_endpoint_is_ok_and_names_the_account() {
        let (r, sent) = run(vec![
            answer(200, serde_json::json!({ "object": "list", "data": [] })),
            answer(
                200,
                serde_json::json!({ "id": "acct_1", "settings": { "dashboard": { "display_name": "Globex" } } }),
            ),
            answer(
                200,
                serde_json::json!({ "data": [{ "url": "https://settle.example/api/stripe/webhook/org_a", "status": "enabled", "enabled_events": ["*"] }] }),
            ),
        ]);
        assert!(r.ok && r.problems.is_empty(), "{r:?}");
        assert_eq!(r.account_id.as_deref(), Some("acct_1"));
        assert_eq!(r.account_name.as_deref(), Some("Globex"));
        assert_eq!(r.endpoint_found, Some(true));
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|s| {
            s.headers
                .contains(&("Authorization".into(), "Bearer sk_test_key".into()))
        }));
    }

    #[test]
    fn a_refused_key_stops_the_check() {
        let (r, sent) = run(vec![answer(
            401,
            serde_json::json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****key" } }),
        )]);
        assert!(!r.ok && !r.unreachable);
        assert_eq!(r.problems[0].code, "key_rejected");
        assert!(r.problems[0].message.contains("Invalid API Key provided"));
        assert_eq!(sent.len(), 1);
    }

    #[test]
    fn an_unreachable_stripe_concludes_nothing() {
        let (r, _) = run(vec![Err("timed out".into())]);
        assert!(!r.ok && r.unreachable);
        let (r, _) = run(vec![answer(503, serde_json::json!({}))]);
        assert!(!r.ok && r.unreachable);
    }

    #[test]
    fn missing_endpoint_or_events_are_said_without_failing_the_key() {
        let (r, _) = run(vec![
            answer(200, serde_json::json!({ "data": [] })),
            answer(
                403,
                serde_json::json!({ "error": { "message": "no permission" } }),
            ),
            answer(
                200,
                serde_json::json!({ "data": [
                    { "url": "https://settle.example/api/stripe/webhook/org_a", "status": "enabled",
                      "enabled_events": ["checkout.session.completed", "payment_intent.succeeded"] },
                    { "url": "https://settle.example/api/stripe/webhook/org_b", "status": "enabled", "enabled_events": ["*"] }
                ] }),
            ),
        ]);
        assert!(r.ok);
        assert_eq!(r.account_id, None);
        assert_eq!(r.endpoint_found, Some(true));
        assert!(r.missing_events.contains(&"charge.refunded".to_owned()));
        assert!(
            !r.missing_events
                .contains(&"payment_intent.succeeded".to_owned())
        );
        assert_eq!(r.problems[0].code, "events_missing");

        let (r, _) = run(vec![
            answer(200, serde_json::json!({ "data": [] })),
            answer(200, serde_json::json!({ "id": "acct_1" })),
            answer(
                200,
                serde_json::json!({ "data": [{ "url": "https://settle.example/api/stripe/webhook/org_a", "status": "disabled", "enabled_events": ["*"] }] }),
            ),
        ]);
        assert!(r.ok);
        assert_eq!(r.endpoint_found, Some(false));
        assert_eq!(r.problems[0].code, "endpoint_missing");

        let (r, _) = run(vec![
            answer(200, serde_json::json!({ "data": [] })),
            answer(200, serde_json::json!({ "id": "acct_1" })),
            answer(
                403,
                serde_json::json!({ "error": { "message": "no permission" } }),
            ),
        ]);
        assert!(r.ok && r.problems.is_empty());
        assert_eq!(r.endpoint_found, None);
    }
}
