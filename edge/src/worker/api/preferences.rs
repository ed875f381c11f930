//! `/u/{customer}/{mac}`: the customer's reminder preferences page, with
//! RFC 8058 one-click unsubscribe. The page speaks the customer's language;
//! user text is escaped.

use crate::error::ApiError;
use crate::params;
use crate::security;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::text::{self};
use worker::{Request, Response};

/// The words of the preferences page, per language.
struct PrefText {
    title: &'static str,
    hello: &'static str,
    on: &'static str,
    stop: &'static str,
    off: &'static str,
    resume: &'static str,
    stopped: &'static str,
    resumed: &'static str,
    invalid: &'static str,
}

fn pref_text(lang: crate::i18n::Lang) -> PrefText {
    use crate::i18n::Lang;
    match lang {
        Lang::Fr => PrefText {
            title: "Préférences de relance",
            hello: "Bonjour {name}.",
            on: "{company} vous envoie des rappels de paiement avant et après les échéances, ainsi qu'un relevé mensuel.",
            stop: "Arrêter les rappels et les relevés",
            off: "Vous ne recevez plus de rappels de paiement ni de relevés mensuels de {company}. Les factures et les reçus vous parviennent toujours.",
            resume: "Recevoir à nouveau les rappels",
            stopped: "C'est fait : vous ne recevrez plus de rappels ni de relevés.",
            resumed: "C'est fait : les rappels sont réactivés.",
            invalid: "Ce lien n'est pas valide. Utilisez le lien de votre dernier e-mail.",
        },
        Lang::Ar => PrefText {
            title: "تفضيلات التذكير",
            hello: "مرحبًا {name}.",
            on: "ترسل لك {company} تذكيرات بالدفع قبل مواعيد الاستحقاق وبعدها، وكشف حساب شهريًا.",
            stop: "إيقاف التذكيرات وكشوف الحساب",
            off: "لن تصلك تذكيرات دفع أو كشوف حساب شهرية من {company}. ستصلك الفواتير والإيصالات كالمعتاد.",
            resume: "أرسلوا لي التذكيرات مجددًا",
            stopped: "تم: لن تصلك تذكيرات أو كشوف حساب بعد الآن.",
            resumed: "تم: أُعيد تفعيل التذكيرات.",
            invalid: "هذا الرابط غير صالح. استخدم الرابط الموجود في أحدث رسالة وصلتك.",
        },
        _ => PrefText {
            title: "Reminder preferences",
            hello: "Hello {name}.",
            on: "{company} sends you payment reminders before and after due dates, and a monthly statement.",
            stop: "Stop reminders and statements",
            off: "You get no payment reminders or monthly statements from {company}. Invoices and receipts still reach you.",
            resume: "Send me reminders again",
            stopped: "Done: you will get no more reminders or statements.",
            resumed: "Done: reminders are on again.",
            invalid: "This link is not valid. Use the link in your latest email.",
        },
    }
}

/// `GET` shows the page; `POST` with `action=stop|resume` (a form) or with
/// `List-Unsubscribe=One-Click` (RFC 8058, sent by mail clients) changes it.
/// The page speaks the customer's language; user text is escaped.
pub async fn preferences(
    ctx: &Ctx,
    req: Request,
    customer_id: &str,
    mac: &str,
) -> Result<Response, ApiError> {
    use crate::i18n::Lang;
    use crate::reminders::preferences;
    let secret = ctx.config.token_secret.expose();
    let valid = security::preferences_customer(secret, customer_id, mac).is_some();
    #[derive(Deserialize)]
    struct C {
        organization_id: String,
        name: String,
        locale: String,
        reminders_opt_out: i64,
        opt_out_by: Option<String>,
        display_name: String,
        primary_color: Option<String>,
    }
    let customer = if valid {
        let s = db::stmt(
            &ctx.db,
            "SELECT c.organization_id, c.name, c.locale, c.reminders_opt_out, c.opt_out_by, o.display_name, o.primary_color \
             FROM customers c JOIN organizations o ON o.id = c.organization_id WHERE c.id = ?1",
            params![customer_id],
        )?;
        db::one::<C>(s).await?
    } else {
        None
    };
    let Some(c) = customer else {
        let t = pref_text(Lang::En);
        return page(
            404,
            &Page {
                lang: Lang::En.code(),
                dir: "ltr",
                title: t.title,
                colour: "#1a56db",
                company: "",
                form: None,
                invalid: t.invalid,
            },
        );
    };
    ctx.use_clock_of(&c.organization_id).await?;
    let lang = Lang::from_locale(&c.locale);
    let t = pref_text(lang);
    let mut opted_out = c.reminders_opt_out != 0;
    let mut done = None;
    if req.method() == worker::Method::Post {
        // The List-Unsubscribe URL carries `?one-click=1`: a POST to it is
        // a one-click unsubscribe whatever its body's encoding (RFC 8058
        // senders may post multipart/form-data).
        let one_click_url = http::query(&req, "one-click").is_some_and(|v| v == "1");
        let content_type = http::header(&req, "Content-Type");
        let body = http::raw_body(req, 4096).await?;
        let change = preferences::read(&body, content_type.as_deref(), one_click_url);
        let current = preferences::OptOut::stored(opted_out, c.opt_out_by.as_deref());
        let after = preferences::customer_sets(change, current);
        let (stop, one_click) = match change {
            preferences::Change::Stop { one_click } => (true, one_click),
            _ => (false, false),
        };
        if change != preferences::Change::Nothing {
            db::batch(
                &ctx.db,
                vec![
                    db::stmt(
                        &ctx.db,
                        "UPDATE customers SET reminders_opt_out = ?1, opt_out_by = ?2 WHERE id = ?3",
                        params![i64::from(after.opted_out()), after.by(), customer_id],
                    )?,
                    ctx.audit(Audit {
                        org: Some(&c.organization_id),
                        actor: &format!("customer:{customer_id}"),
                        action: if stop {
                            "customer.reminders_stopped"
                        } else {
                            "customer.reminders_resumed"
                        },
                        subject: customer_id,
                        detail: json!({ "customer_id": customer_id, "one_click": one_click }),
                    })?,
                ],
            )
            .await?;
            opted_out = after.opted_out();
            done = Some(if stop { t.stopped } else { t.resumed });
        }
    }
    let (state, action, button) = if opted_out {
        (t.off, "resume", t.resume)
    } else {
        (t.on, "stop", t.stop)
    };
    let colour = c
        .primary_color
        .as_deref()
        .filter(|c| text::hex_colour("colour", c).is_ok())
        .unwrap_or("#1a56db");
    page(
        200,
        &Page {
            lang: lang.code(),
            dir: if lang.rtl() { "rtl" } else { "ltr" },
            title: t.title,
            colour,
            company: &c.display_name,
            form: Some(Form {
                hello: t.hello.replace("{name}", &c.name),
                done,
                state: state.replace("{company}", &c.display_name),
                action,
                button,
            }),
            invalid: t.invalid,
        },
    )
}

/// The page, from `templates/preferences.html`: every value escaped.
#[derive(askama::Template)]
#[template(path = "preferences.html")]
struct Page<'a> {
    lang: &'a str,
    dir: &'a str,
    title: &'a str,
    /// A checked `#rrggbb`.
    colour: &'a str,
    company: &'a str,
    /// The stop or resume form; none for a link that is not valid.
    form: Option<Form<'a>>,
    invalid: &'a str,
}

struct Form<'a> {
    hello: String,
    /// What was just done, said back.
    done: Option<&'a str>,
    state: String,
    action: &'a str,
    button: &'a str,
}

fn page(status: u16, p: &Page<'_>) -> Result<Response, ApiError> {
    use askama::Template;
    let html = p
        .render()
        .map_err(|e| ApiError::internal(format!("preferences page: {e}")))?;
    let mut resp = Response::from_html(html).map_err(|e| ApiError::internal(e.to_string()))?;
    resp = resp.with_status(status);
    let h = resp.headers_mut();
    let _ = h.set("Cache-Control", "no-store");
    let _ = h.set("Referrer-Policy", "no-referrer");
    let _ = h.set("X-Frame-Options", "DENY");
    let _ = h.set(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    );
    Ok(resp)
}
