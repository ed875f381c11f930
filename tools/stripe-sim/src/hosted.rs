//! The hosted checkout page, where a tester pays with Stripe's test cards
//! or a bank debit that settles or fails later.

use super::*;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn page(s: &Value, error: Option<&str>) -> String {
    if s["mode"] == "setup" {
        return setup_page(s, error);
    }
    let id = s["id"].as_str().unwrap_or_default();
    let amount = s["amount_total"].as_i64().unwrap_or(0);
    let currency = s["currency"].as_str().unwrap_or_default().to_uppercase();
    let done = s["status"] != "open";
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"err\">{}</p>", esc(e)))
        .unwrap_or_default();
    let debit = s["payment_method_types"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x != "card"));
    let debit_form = if debit {
        format!(
            "<h2>Bank debit</h2><form method=\"post\" action=\"/pay/{id}\"><input type=\"hidden\" name=\"method\" value=\"debit\">\
             <button name=\"result\" value=\"succeed\">Pay by bank debit (settles later)</button> \
             <button name=\"result\" value=\"fail\" class=\"alt\">Pay by bank debit (fails later)</button></form>"
        )
    } else {
        String::new()
    };
    let body = if done {
        "<p>This checkout is already finished.</p>".to_owned()
    } else {
        format!(
            "{error}<form method=\"post\" action=\"/pay/{id}\"><input type=\"hidden\" name=\"method\" value=\"card\">\
             <label for=\"card\">Card number</label><input id=\"card\" name=\"card\" inputmode=\"numeric\" autocomplete=\"cc-number\" placeholder=\"4242 4242 4242 4242\" required>\
             <button type=\"submit\">Pay {amount} {currency} (minor units)</button></form>{debit_form}"
        )
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Checkout (Stripe stand-in)</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}\
         label{{display:block;font-weight:600;margin-top:1rem}}input{{font:inherit;width:100%;padding:.6rem;margin:.3rem 0 1rem;box-sizing:border-box}}\
         button{{font:inherit;padding:.7rem 1rem;background:#635bff;color:#fff;border:0;border-radius:6px;margin:.2rem 0}}button.alt{{background:#444}}\
         .err{{color:#a40e26;background:#ffebe9;padding:.5rem;border-radius:6px}}.note{{color:#555;font-size:.9rem}}</style></head><body>\
         <p class=\"note\">Local Stripe stand-in — test mode. Nothing is charged.</p><h1>Pay {} {currency}</h1>\
         <p>Amount in minor units: <strong>{amount}</strong></p>{body}</body></html>",
        esc(&format!("{:.2}", amount as f64 / 100.0)),
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}\
     label{display:block;font-weight:600;margin-top:1rem}input{font:inherit;width:100%;padding:.6rem;margin:.3rem 0 1rem;box-sizing:border-box}\
     button{font:inherit;padding:.7rem 1rem;background:#635bff;color:#fff;border:0;border-radius:6px;margin:.2rem 0}button.alt{background:#444}\
     .err{color:#a40e26;background:#ffebe9;padding:.5rem;border-radius:6px}.note{color:#555;font-size:.9rem}";

/// Checkout in setup mode: save a test card or IBAN for later charges.
fn setup_page(s: &Value, error: Option<&str>) -> String {
    let id = s["id"].as_str().unwrap_or_default();
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"err\">{}</p>", esc(e)))
        .unwrap_or_default();
    let sepa = s["payment_method_types"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x == "sepa_debit"));
    let sepa_form = if sepa {
        format!(
            "<h2>Bank account (SEPA Direct Debit)</h2><form method=\"post\" action=\"/pay/{id}\"><input type=\"hidden\" name=\"method\" value=\"sepa_debit\">\
             <label for=\"iban\">IBAN</label><input id=\"iban\" name=\"iban\" placeholder=\"DE89 3704 0044 0532 0130 00\" required>\
             <button type=\"submit\">Save bank account</button></form>"
        )
    } else {
        String::new()
    };
    let body = if s["status"] != "open" {
        "<p>This setup is already finished.</p>".to_owned()
    } else {
        format!(
            "{error}<form method=\"post\" action=\"/pay/{id}\"><input type=\"hidden\" name=\"method\" value=\"card\">\
             <label for=\"card\">Card number</label><input id=\"card\" name=\"card\" inputmode=\"numeric\" autocomplete=\"cc-number\" placeholder=\"4242 4242 4242 4242\" required>\
             <button type=\"submit\">Save card</button></form>{sepa_form}"
        )
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Save a payment method (Stripe stand-in)</title><style>{STYLE}</style></head><body>\
         <p class=\"note\">Local Stripe stand-in — test mode. Nothing is charged now; the card or account is saved for later payments.</p>\
         <h1>Save a card or bank account</h1>{body}</body></html>"
    )
}

pub(crate) fn pay(req: Request, shared: &Shared, id: &str, body: &str) {
    let form = decode_form(body);
    let Some(mut s) = shared.0.lock().expect("state").sessions.get(id).cloned() else {
        return reply(req, 404, "text/plain", "no such checkout".into());
    };
    if s["status"] != "open" {
        return reply(
            req,
            409,
            "text/html; charset=utf-8",
            page(&s, Some("This checkout is already finished.")),
        );
    }
    if s["mode"] == "setup" {
        return super::saved::complete_setup(req, shared, s, &form);
    }
    s["payment_intent"] = json!(format!("pi_sim{}", &id[id.len().saturating_sub(12)..]));
    if let Some(d) = get(&form, "delivery") {
        s["x_delivery"] = json!(d);
    }
    let method = get(&form, "method").unwrap_or("card");
    let opts = &shared.1;
    if method == "card" {
        let card: String = get(&form, "card")
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let problem = match card.as_str() {
            "4242424242424242" => None,
            "4000000000000002" => Some("Your card was declined."),
            "4000000000009995" => Some("Your card has insufficient funds."),
            _ => {
                return reply(
                    req,
                    200,
                    "text/html; charset=utf-8",
                    page(
                        &s,
                        Some("Your card number is invalid. Use a Stripe test card."),
                    ),
                );
            }
        };
        if let Some(p) = problem {
            deliver(
                shared,
                &s,
                vec![event(
                    "payment_intent.payment_failed",
                    payment_intent(&s, "requires_payment_method"),
                )],
            );
            return reply(req, 402, "text/html; charset=utf-8", page(&s, Some(p)));
        }
        s["status"] = json!("complete");
        s["payment_status"] = json!("paid");
        let events = vec![
            event("checkout.session.completed", s.clone()),
            event("payment_intent.succeeded", payment_intent(&s, "succeeded")),
        ];
        shared
            .0
            .lock()
            .expect("state")
            .sessions
            .insert(id.to_owned(), s.clone());
        deliver(shared, &s, events);
    } else {
        let succeed = get(&form, "result") != Some("fail");
        s["status"] = json!("complete");
        s["payment_status"] = json!("unpaid");
        shared
            .0
            .lock()
            .expect("state")
            .sessions
            .insert(id.to_owned(), s.clone());
        deliver(
            shared,
            &s,
            vec![event("checkout.session.completed", s.clone())],
        );
        let (shared2, mut later, id2) = (shared.clone(), s.clone(), id.to_owned());
        let delay = if opts.debit_delay_ms == 0 {
            3000
        } else {
            opts.debit_delay_ms
        };
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            let events = if succeed {
                later["payment_status"] = json!("paid");
                vec![
                    event("checkout.session.async_payment_succeeded", later.clone()),
                    event(
                        "payment_intent.succeeded",
                        payment_intent(&later, "succeeded"),
                    ),
                ]
            } else {
                vec![
                    event("checkout.session.async_payment_failed", later.clone()),
                    event(
                        "payment_intent.payment_failed",
                        payment_intent(&later, "requires_payment_method"),
                    ),
                ]
            };
            shared2
                .0
                .lock()
                .expect("state")
                .sessions
                .insert(id2, later.clone());
            deliver(&shared2, &later, events);
        });
    }
    let target = s["success_url"]
        .as_str()
        .unwrap_or("/")
        .replace("{CHECKOUT_SESSION_ID}", id);
    let h = Header::from_bytes("Location", target.as_bytes()).expect("location header");
    let _ = req.respond(Response::empty(303).with_header(h));
}
