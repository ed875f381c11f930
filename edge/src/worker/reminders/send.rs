//! Just before a reminder or statement goes: the checks again, and rendering.

use super::*;

/// What the consumer does with a reminder or statement email.
pub enum Prepared {
    /// Send this.
    Send(Box<outbox::Ready>),
    /// Not now: outside the customer's window; try again at this time.
    Wait(i64),
    /// Nothing to send, for this reason.
    Skip(String),
}

#[derive(Deserialize)]
pub(super) struct OccurrenceRow {
    pub(super) id: String,
    pub(super) invoice_id: String,
    pub(super) offset_days: i64,
    pub(super) tone: String,
    pub(super) template: String,
    pub(super) actions: String,
}

#[derive(Deserialize)]
struct Hold {
    invoice_id: String,
    disputed: i64,
    promised: i64,
    planned: i64,
    scheduled: i64,
}

/// Checks a reminder or statement again just before sending and renders it.
pub async fn prepare(
    ctx: &Ctx,
    email: &outbox::EmailRow,
    org: &OrganizationRow,
    customer: &CustomerRow,
) -> Result<Prepared, ApiError> {
    let settings = org.reminders();
    let spec = window_spec(&settings);
    let w = Window::new(&spec, zone(&customer.time_zone));
    if !w.contains(ctx.now_ms()) {
        return Ok(match w.next_open(ctx.now_ms()) {
            Some(at) => Prepared::Wait(at),
            None => Prepared::Skip("the send window never opens".into()),
        });
    }
    let today = w.local(ctx.now_ms()).0;
    let statement = email.kind == "statement";
    let occurrences: Vec<OccurrenceRow> = if statement {
        Vec::new()
    } else {
        let s = db::stmt(
            &ctx.db,
            "SELECT id, invoice_id, offset_days, tone, template, actions FROM reminder_occurrences WHERE email_id = ?1 AND status = 'queued' ORDER BY id",
            params![&email.id],
        )?;
        db::all(s).await?
    };
    if !statement && occurrences.is_empty() {
        return Ok(Prepared::Skip("no reminder left in this email".into()));
    }
    // The customer's open invoices (what the email can list), and what
    // holds reminders back on each.
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{} WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status = 'open' ORDER BY i.due_date, i.id LIMIT 50",
            invoices::SELECT_INVOICE
        ),
        params![&org.id, &customer.id],
    )?;
    let open: Vec<InvoiceRow> = db::all(s).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT i.id AS invoice_id, \
         EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open' AND d.kind != 'conversation') AS disputed, \
         EXISTS (SELECT 1 FROM promises p WHERE p.invoice_id = i.id AND p.status = 'active') AS promised, \
         EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans pp ON pp.id = pi.plan_id WHERE pi.invoice_id = i.id AND pp.status = 'active') AS planned, \
         EXISTS (SELECT 1 FROM scheduled_payments sp WHERE sp.invoice_id = i.id \
           AND sp.status IN ('scheduled', 'charging', 'processing', 'retrying')) AS scheduled \
         FROM invoices i WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status = 'open'",
        params![&org.id, &customer.id],
    )?;
    let holds: HashMap<String, Hold> = db::all::<Hold>(s)
        .await?
        .into_iter()
        .map(|h| (h.invoice_id.clone(), h))
        .collect();
    let mut stmts = Vec::new();
    let mut kept: Vec<&OccurrenceRow> = Vec::new();
    let mut invoices_of: HashMap<String, InvoiceRow> = HashMap::new();
    for o in &occurrences {
        let inv = match open.iter().find(|i| i.id == o.invoice_id) {
            Some(i) => i.clone(),
            // Paid or voided since it was planned (or past the first 50).
            None => invoices::load(ctx, &org.id, &o.invoice_id).await?,
        };
        let hold = holds.get(&o.invoice_id);
        let check = Check {
            invoice_status: &inv.status,
            balance: inv.total - inv.amount_paid,
            open_dispute: hold.is_some_and(|h| h.disputed != 0),
            active_promise: hold.is_some_and(|h| h.promised != 0),
            active_plan: hold.is_some_and(|h| h.planned != 0),
            scheduled_payment: hold.is_some_and(|h| h.scheduled != 0),
            opted_out: customer.reminders_opt_out != 0,
            address_failing: customer.email_status != "ok",
        };
        match recheck(&check) {
            Ok(()) => kept.push(o),
            Err(why) => {
                stmts.push(db::stmt(
                    &ctx.db,
                    "UPDATE reminder_occurrences SET status = 'skipped', skip_reason = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'queued'",
                    params![why.as_str(), ctx.now_ms(), &o.id],
                )?);
                stmts.push(occurrence_audit(
                    ctx,
                    &org.id,
                    &o.id,
                    "reminder.skipped",
                    json!({ "invoice_id": o.invoice_id, "customer_id": customer.id, "offset_days": o.offset_days, "reason": why.as_str(), "email_id": email.id }),
                )?);
            }
        }
        invoices_of.insert(o.invoice_id.clone(), inv);
    }
    if !stmts.is_empty() {
        db::batch(&ctx.db, stmts).await?;
    }
    if statement && (customer.reminders_opt_out != 0 || customer.email_status != "ok") {
        return Ok(Prepared::Skip(if customer.reminders_opt_out != 0 {
            Skip::OptedOut.as_str().into()
        } else {
            Skip::AddressFailing.as_str().into()
        }));
    }
    if !statement && kept.is_empty() {
        return Ok(Prepared::Skip("every reminder in it was skipped".into()));
    }
    // What the email lists: the reminded invoices and every other overdue
    // one not held back (a statement: every open invoice).
    let reminded: Vec<&str> = kept.iter().map(|o| o.invoice_id.as_str()).collect();
    let listed: Vec<&InvoiceRow> = open
        .iter()
        .filter(|i| {
            statement
                || reminded.contains(&i.id.as_str())
                || (i.due_date < today.to_string()
                    && holds
                        .get(&i.id)
                        .is_none_or(|h| h.disputed == 0 && h.promised == 0 && h.planned == 0))
        })
        .collect();
    if listed.is_empty() {
        return Ok(Prepared::Skip("no open invoice to list".into()));
    }
    let tone = firmest(kept.iter().map(|o| tone_of(&o.tone)));
    let mut key = if statement {
        "statement".to_owned()
    } else {
        kept.iter()
            .find(|o| tone_of(&o.tone) == tone)
            .map(|o| o.template.clone())
            .unwrap_or_else(|| tone.as_str().to_owned())
    };
    // A friendly "is due on …" cannot speak for an overdue invoice listed
    // beside it: the built-in firm wording does.
    let overdue_listed = listed.iter().any(|i| i.due_date < today.to_string());
    if key == Tone::Friendly.as_str() && overdue_listed {
        key = Tone::Firm.as_str().to_owned();
    }
    let template = reminder_config::template_for(ctx, &org.id, &key, &customer.locale).await?;
    let locale = customer.locale.as_str();
    let amounts: Vec<String> = listed
        .iter()
        .map(|i| crate::i18n::amount(i.total - i.amount_paid, &i.currency, locale))
        .collect();
    let dates: Vec<String> = listed
        .iter()
        .map(|i| crate::i18n::date(&i.due_date, locale))
        .collect();
    // While an invoice's early-payment offer stands, its line says what
    // paying now saves; after it, the full amount is what the line shows.
    let t = crate::i18n::email_text(crate::i18n::Lang::from_locale(locale));
    let savings: Vec<Option<String>> = listed
        .iter()
        .map(|i| {
            i.early_offer(ctx.now_ms()).map(|(_, o)| {
                crate::i18n::fill(
                    t.early_saving,
                    &[
                        ("pay", &crate::i18n::amount(o.pay, &i.currency, locale)),
                        ("date", &crate::i18n::date(&o.until.to_string(), locale)),
                        (
                            "saving",
                            &crate::i18n::amount(o.discount, &i.currency, locale),
                        ),
                    ],
                )
            })
        })
        .collect();
    let lines: Vec<ReminderLine<'_>> = listed
        .iter()
        .enumerate()
        .map(|(n, i)| ReminderLine {
            saving: savings[n].as_deref(),
            number: &i.number,
            due_date: &dates[n],
            days_overdue: settle_shared::time::parse_date(&i.due_date)
                .map(|d| (today - d).num_days())
                .unwrap_or(0),
            amount_due: &amounts[n],
        })
        .collect();
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for i in &listed {
        *totals.entry(i.currency.as_str()).or_default() += i.total - i.amount_paid;
    }
    let total_due = totals
        .iter()
        .map(|(c, a)| crate::i18n::amount(*a, c, locale))
        .collect::<Vec<_>>()
        .join(" + ");
    // The Pay button lands on the most overdue invoice reminded.
    let target = if statement {
        listed[0].id.clone()
    } else {
        listed
            .iter()
            .find(|i| reminded.contains(&i.id.as_str()))
            .map(|i| i.id.clone())
            .unwrap_or_else(|| listed[0].id.clone())
    };
    let link = crate::worker::api::links::email_link(
        ctx,
        &email.id,
        email.created_at,
        &org.id,
        &customer.id,
        Some(&target),
        org.link_ttl_days,
    )?;
    let preferences = format!(
        "{}{}",
        ctx.config.public_base_url,
        crate::security::preferences_path(ctx.config.token_secret.expose(), &customer.id)
    );
    let rendered = ReminderEmail {
        brand: outbox::brand(org),
        locale,
        customer_name: &customer.name,
        template: &template,
        lines: &lines,
        total_due: &total_due,
        pay_link: &link.url,
        portal_link: &link.url,
        preferences_link: &preferences,
    }
    .render();
    let occurrences = kept
        .iter()
        .map(|o| {
            let inv = &invoices_of[&o.invoice_id];
            (o.id.clone(), inv.total - inv.amount_paid)
        })
        .collect();
    Ok(Prepared::Send(Box::new(outbox::Ready {
        rendered,
        link: outbox::SecretLink::customer(ctx, link),
        bcc: settings.bcc.clone(),
        headers: unsubscribe_headers(&preferences),
        occurrences,
    })))
}

/// RFC 8058 one-click unsubscribe, pointing at the preferences page.
pub fn unsubscribe_headers(preferences: &str) -> Vec<(String, String)> {
    vec![
        (
            "List-Unsubscribe".into(),
            format!("<{preferences}?one-click=1>"),
        ),
        (
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        ),
    ]
}

fn tone_of(s: &str) -> Tone {
    match s {
        "final" => Tone::Final,
        "firm" => Tone::Firm,
        _ => Tone::Friendly,
    }
}
