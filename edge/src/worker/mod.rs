//! Cloudflare Workers glue: entry points, D1, Queues and outbound fetch.
//! Decisions live in the plain modules of this crate; this only translates.

mod api;
mod auth;
mod cron;
mod ctx;
mod db;
pub(crate) mod fetch;
mod http;
mod ledger;
mod limits;
pub mod live;
mod outbox;
mod queue;
mod reminders;
mod stripe_events;

use crate::error::ApiError;
use crate::routes::{Method, NoRoute, Route, match_route};
use ctx::Ctx;
use settle_shared::ErrorCode;
use settle_shared::billing::Kind;
use worker::{
    Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent, event,
};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, context: Context) -> worker::Result<Response> {
    let method = Method::parse(req.method().as_ref());
    let path = req.path();
    let route = match match_route(method, &path) {
        Ok(r) => r,
        Err(NoRoute::NotFound) => {
            return http::error(&ApiError::new(
                ErrorCode::NotFound,
                "There is nothing at this address.",
            ));
        }
        Err(NoRoute::MethodNotAllowed) => {
            return http::error(&ApiError::new(
                ErrorCode::MethodNotAllowed,
                "This method is not allowed here.",
            ));
        }
    };
    // Link scanners and previews send HEAD: they must not open a session.
    if matches!(route, Route::OpenLink(_)) && req.method() == worker::Method::Head {
        return Response::empty();
    }
    if route == Route::Console {
        return app(&env, &path, "/console/").await;
    }
    if route == Route::DisputePages {
        return app(&env, &path, "/disputes/").await;
    }
    if let Route::Logo(org, file) = &route {
        return api::logos::serve(&env, org, file).await;
    }
    let name = route.name();
    let result = match Ctx::new(&env, &req).map(|mut c| {
        c.background = Some(context);
        c
    }) {
        Ok(ctx) => {
            let r = dispatch(&ctx, route, req).await;
            api::webhooks::kick_emitted(&ctx).await;
            r
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(resp) => Ok(resp),
        Err(e) => {
            if let ApiError::Internal(context) = &e {
                worker::console_error!("{} {name}: {context}", method_name(method));
            }
            http::error(&e)
        }
    }
}

/// A client-side app's files from the assets (the console, the dispute
/// pages); any other path under its `root` is one of its pages, which its
/// own index.html draws.
async fn app(env: &Env, path: &str, root: &str) -> worker::Result<Response> {
    let file = path.rsplit('/').next().unwrap_or("");
    let target = if file.contains('.') { path } else { root };
    let resp = env
        .assets("ASSETS")?
        .fetch(format!("https://assets.invalid{target}"), None)
        .await?;
    // Never framed (clickjacking) nor sniffed, whatever the asset rules say.
    let headers: worker::Headers = resp.headers().entries().collect();
    headers.set("X-Frame-Options", "DENY")?;
    headers.set("Content-Security-Policy", "frame-ancestors 'none'")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    Ok(resp.with_headers(headers))
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Patch => "PATCH",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Other => "OTHER",
    }
}

async fn dispatch(ctx: &Ctx, route: Route, req: Request) -> Result<Response, ApiError> {
    use api::{audit, checkout, customers, invoices, links, organizations, portal};
    match route {
        Route::Health => http::json(
            200,
            &settle_shared::api::HealthResponse {
                status: "ok".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
        ),
        // Answered from the assets before a context is made (see `fetch`).
        Route::Console | Route::DisputePages | Route::Logo(..) => Err(ApiError::not_found("page")),
        Route::UploadLogo => api::logos::upload(ctx, req).await,
        Route::PreviewBranding => organizations::preview_branding(ctx, req).await,
        Route::GetStripeAccount => api::stripe_account::get(ctx, &req).await,
        Route::ConnectStripeAccount => api::stripe_account::connect(ctx, req).await,
        Route::DisconnectStripeAccount => api::stripe_account::disconnect(ctx, &req).await,
        Route::CheckStripeAccount => api::stripe_account::check(ctx, &req).await,
        Route::CreateOrganization => organizations::create(ctx, req).await,
        Route::GetOrganization => organizations::get(ctx, &req).await,
        Route::UpdateOrganization => organizations::update(ctx, req).await,
        Route::ListCustomers => customers::list(ctx, &req).await,
        Route::CreateCustomer => customers::create(ctx, req).await,
        Route::GetCustomer(id) => customers::get(ctx, &req, &id).await,
        Route::CreatePortalLink(id) => links::create(ctx, req, &id).await,
        Route::RevokePortalLink(id) => links::revoke(ctx, &req, &id).await,
        Route::ListInvoices => invoices::list(ctx, &req).await,
        Route::CreateInvoice => invoices::create(ctx, req).await,
        Route::GetInvoice(id) => invoices::get(ctx, &req, &id).await,
        Route::VoidInvoice(id) => invoices::void(ctx, &req, &id).await,
        Route::SendInvoice(id) => invoices::send(ctx, &req, &id).await,
        Route::ListPayments(id) => api::payments::list_payments(ctx, &req, &id).await,
        Route::RecordPayment(id) => api::payments::record_payment(ctx, req, &id).await,
        Route::ListAuditEvents => audit::list(ctx, &req).await,
        Route::VerifyAuditChain => api::evidence::verify(ctx, &req).await,
        Route::ListApiKeys => api::api_keys::list(ctx, &req).await,
        Route::CreateApiKey => api::api_keys::create(ctx, req).await,
        Route::RevokeApiKey(id) => api::api_keys::revoke(ctx, &req, &id).await,
        Route::RotateApiKey(id) => api::api_keys::rotate(ctx, &req, &id).await,
        Route::ListStripeEvents => stripe_events::list(ctx, &req).await,
        Route::StripeWebhook(org) => stripe_events::receive(ctx, req, &org).await,
        Route::ListReminderPolicies => api::reminder_config::list_policies(ctx, &req).await,
        Route::CreateReminderPolicy => api::reminder_config::create_policy(ctx, req).await,
        Route::GetReminderPolicy(id) => api::reminder_config::get_policy(ctx, &req, &id).await,
        Route::ReplaceReminderPolicy(id) => {
            api::reminder_config::replace_policy(ctx, req, &id).await
        }
        Route::SetDefaultReminderPolicy(id) => {
            api::reminder_config::set_default_policy(ctx, &req, &id).await
        }
        Route::ListSegments => api::reminder_config::list_segments(ctx, &req).await,
        Route::CreateSegment => api::reminder_config::create_segment(ctx, req).await,
        Route::ReplaceSegment(id) => api::reminder_config::replace_segment(ctx, req, &id).await,
        Route::DeleteSegment(id) => api::reminder_config::delete_segment(ctx, &req, &id).await,
        Route::ListTemplates => api::reminder_config::list_templates(ctx, &req).await,
        Route::SaveTemplate(key) => api::reminder_config::save_template(ctx, req, &key).await,
        Route::PreviewTemplate => api::reminder_config::preview_template(ctx, req).await,
        Route::OpenLink(token) => {
            links::open(ctx, &token, http::query(&req, "thread").as_deref()).await
        }
        Route::PortalLinkRequest => links::request_fresh(ctx, req).await,
        Route::ListDisputes => api::disputes::list(ctx, &req).await,
        Route::GetDispute(id) => api::disputes::get(ctx, &req, &id).await,
        Route::DisputeMessage(id) => api::disputes::message(ctx, req, &id).await,
        Route::AssignDispute(id) => api::disputes::assign(ctx, req, &id).await,
        Route::RejectDispute(id) => api::disputes::reject(ctx, req, &id).await,
        Route::DisputeLive(id) => api::disputes::live(ctx, &req, &id).await,
        Route::DisputeTranscript(id) => api::disputes::transcript(ctx, &req, &id).await,
        Route::DisputeAttach(id) => api::disputes::attach(ctx, req, &id).await,
        Route::DisputeFile(id, f) => api::disputes::file(ctx, &req, &id, &f).await,
        Route::PortalDisputeAttach(id) => api::disputes::portal::attach(ctx, req, &id).await,
        Route::PortalDisputeFile(id, f) => api::disputes::portal::file(ctx, &req, &id, &f).await,
        Route::PortalDisputeLive(id) => api::disputes::portal::live(ctx, &req, &id).await,
        Route::PortalOpenDispute(id) => api::disputes::portal::open(ctx, req, &id).await,
        Route::PortalDisputes => api::disputes::portal::list(ctx, &req).await,
        Route::PortalDispute(id) => api::disputes::portal::get(ctx, &req, &id).await,
        Route::PortalDisputeMessage(id) => api::disputes::portal::message(ctx, req, &id).await,
        Route::PortalReopenDispute(id) => api::disputes::portal::reopen(ctx, req, &id).await,
        Route::PortalSession => portal::session(ctx, &req).await,
        Route::PortalSignOut => portal::sign_out(ctx, &req).await,
        Route::PortalInvoices => portal::invoices(ctx, &req).await,
        Route::PortalInvoice(id) => portal::invoice(ctx, &req, &id).await,
        Route::PortalCheckout(id) => checkout::create(ctx, req, &id).await,
        Route::PortalCombinedCheckout => checkout::create_combined(ctx, req).await,
        Route::UpdateCustomer(id) => customers::update(ctx, req, &id).await,
        Route::AssignCustomer(id) => customers::assign(ctx, req, &id).await,
        Route::CustomerTimeline(id) => api::timeline::timeline(ctx, &req, &id).await,
        Route::CustomerEvidence(id) => api::evidence::customer(ctx, &req, &id).await,
        Route::ListActivities(id) => api::worklist::activities::list(ctx, &req, &id).await,
        Route::CreateActivity(id) => api::worklist::activities::create(ctx, req, &id).await,
        Route::Worklist => api::worklist::list(ctx, &req).await,
        Route::Metrics => api::metrics::get(ctx, &req).await,
        Route::Forecast => api::forecast::get(ctx, &req).await,
        Route::ExchangeRates => api::exchange_rates::list(ctx, &req).await,
        Route::SetExchangeRate(c) => api::exchange_rates::set(ctx, req, &c).await,
        Route::CustomerRisk(id) => api::risk::customer(ctx, &req, &id).await,
        Route::TrainRisk => api::risk::train_now(ctx, &req).await,
        Route::CustomerLetter(id) => api::worklist::letters::letter(ctx, &req, &id).await,
        Route::AssignWorklist => api::worklist::assign(ctx, req).await,
        Route::ListTasks => api::worklist::tasks::list(ctx, &req).await,
        Route::CreateTask => api::worklist::tasks::create(ctx, req).await,
        Route::TaskDone(id) => api::worklist::tasks::done(ctx, &req, &id).await,
        Route::InvoiceEvidence(id) => api::evidence::invoice(ctx, &req, &id).await,
        Route::ListEmails => api::emails::list_emails(ctx, &req).await,
        Route::ListAlerts => api::alerts::list_alerts(ctx, &req).await,
        Route::ListReminders => api::reminders::list_reminders(ctx, &req).await,
        Route::UpcomingReminders => api::reminders::upcoming(ctx, &req).await,
        Route::CreatePromise(id) => api::promises::create_promise(ctx, req, &id).await,
        Route::ListPromises => api::promises::list(ctx, &req).await,
        Route::CancelPromise(id) => api::promises::cancel(ctx, &req, &id).await,
        Route::ApprovePromise(id) => api::promises::approve(ctx, &req, &id).await,
        Route::GetPortalPromise(id) => api::promises::portal::get(ctx, &req, &id).await,
        Route::ListPlans => api::plans::list(ctx, &req).await,
        Route::ApprovePlan(id) => api::plans::decide(ctx, req, &id, true).await,
        Route::RejectPlan(id) => api::plans::decide(ctx, req, &id, false).await,
        Route::CancelPlan(id) => api::plans::cancel(ctx, &req, &id).await,
        Route::GetPortalPlan(id) => api::plans::portal::get(ctx, &req, &id).await,
        Route::ProposePortalPlan(id) => api::plans::portal::post(ctx, req, &id).await,
        Route::MakePortalPromise(id) => api::promises::portal::post(ctx, req, &id).await,
        Route::PortalPaymentMethods => api::autopay::methods::list(ctx, &req).await,
        Route::PortalSetupMethod => api::autopay::setup::setup(ctx, req).await,
        Route::PortalConfirmMethod => api::autopay::setup::confirm(ctx, req).await,
        Route::PortalRemoveMethod(id) => api::autopay::methods::remove(ctx, &req, &id).await,
        Route::PortalAutopay => api::autopay::methods::set_autopay(ctx, req).await,
        Route::GetPortalSchedule(id) => api::autopay::schedules::get(ctx, &req, &id).await,
        Route::MakePortalSchedule(id) => api::autopay::schedules::post(ctx, req, &id).await,
        Route::CancelPortalSchedule(id) => {
            api::autopay::schedules::cancel_own(ctx, &req, &id).await
        }
        Route::ListSchedules => api::autopay::schedules::list(ctx, &req).await,
        Route::CancelSchedule(id) => api::autopay::schedules::cancel(ctx, &req, &id).await,
        Route::ListCatalogPlans => api::catalog::list(ctx, &req, Kind::Plan).await,
        Route::CreateCatalogPlan => api::catalog::create_plan(ctx, req).await,
        Route::ReplaceCatalogPlan(code) => api::catalog::replace_plan(ctx, req, &code).await,
        Route::ListCatalogAddOns => api::catalog::list(ctx, &req, Kind::AddOn).await,
        Route::CreateCatalogAddOn => api::catalog::create_add_on(ctx, req).await,
        Route::ListSubscriptions => api::subscriptions::list(ctx, &req).await,
        Route::CreateSubscription => api::subscriptions::create(ctx, req).await,
        Route::GetSubscription(id) => api::subscriptions::get(ctx, &req, &id).await,
        Route::QuoteSubscriptionChange(id) => api::subscriptions::quote(ctx, req, &id).await,
        Route::ChangeSubscription(id) => api::subscriptions::change(ctx, req, &id).await,
        Route::PortalSubscriptions => api::subscriptions::portal_list(ctx, &req).await,
        Route::CreateImport(kind) => api::imports::create(ctx, req, &kind).await,
        Route::ListImports => api::imports::list(ctx, &req).await,
        Route::GetImport(id) => api::imports::get(ctx, &req, &id).await,
        Route::PortalQuoteSubscriptionChange(id) => {
            api::subscriptions::portal_quote(ctx, req, &id).await
        }
        Route::PortalChangeSubscription(id) => {
            api::subscriptions::portal_change(ctx, req, &id).await
        }
        Route::ListBillingRuns => api::subscriptions::runs::list(ctx, &req).await,
        Route::StartBillingRun => api::subscriptions::runs::start(ctx, &req).await,
        Route::Export(file) => api::exports::export(ctx, &req, &file).await,
        Route::ListWebhookEndpoints => api::webhooks::list(ctx, &req).await,
        Route::CreateWebhookEndpoint => api::webhooks::create(ctx, req).await,
        Route::GetWebhookEndpoint(id) => api::webhooks::get(ctx, &req, &id).await,
        Route::DeleteWebhookEndpoint(id) => api::webhooks::delete(ctx, &req, &id).await,
        Route::ListWebhookDeliveries => api::webhooks::deliveries::list(ctx, &req).await,
        Route::ResendWebhookDelivery(id) => api::webhooks::deliveries::resend(ctx, &req, &id).await,
        Route::OpenDispute(id) => api::disputes::open_dispute(ctx, req, &id).await,
        Route::ResolveDispute(id) => api::disputes::resolve_dispute(ctx, req, &id).await,
        Route::EmailWebhook => api::emails::email_webhook(ctx, req).await,
        Route::Preferences(customer, mac) => {
            api::preferences::preferences(ctx, req, &customer, &mac).await
        }
        Route::StaffSignIn => api::team::request(ctx, req).await,
        Route::StaffSignInRedeem => api::team::redeem(ctx, req).await,
        Route::StaffSessions => api::team::list_sessions(ctx, &req).await,
        Route::EndStaffSession(id) => api::team::end_session(ctx, &req, &id).await,
        Route::StaffSignOut => api::team::sign_out(ctx, &req).await,
        Route::StaffSignOutEverywhere => api::team::sign_out_everywhere(ctx, &req).await,
        Route::StaffMe => api::team::me(ctx, &req).await,
        Route::ListMembers => api::team::list(ctx, &req).await,
        Route::InviteMember => api::team::invite(ctx, req).await,
        Route::UpdateMember(id) => api::team::update(ctx, req, &id).await,
        Route::RemoveMember(id) => api::team::remove(ctx, &req, &id).await,
        Route::GetClock => api::operator::get_clock(ctx, &req).await,
        Route::MoveClock => api::operator::move_clock(ctx, req).await,
        Route::RunCron => api::operator::run_cron(ctx, req).await,
    }
}

#[event(queue)]
async fn queue(batch: MessageBatch<queue::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    // Returning Err would discard the whole instance; each message is acked
    // or retried on its own instead.
    queue::consume(batch, env).await;
    Ok(())
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = cron::sweep(&env).await {
        worker::console_error!("scheduled sweep failed: {e:?}");
    }
}
