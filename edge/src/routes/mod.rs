//! Every URL the worker answers, matched without any runtime.
//!
//! Ids in paths are kept as strings here; handlers parse them and answer 404
//! for anything that is not an id of theirs.

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
    Other,
}

impl Method {
    pub fn parse(m: &str) -> Self {
        match m {
            "GET" | "HEAD" => Method::Get,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

pub use route::Route;

/// Why no route matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoute {
    NotFound,
    MethodNotAllowed,
}

/// Matches a method and path (without query string).
pub fn match_route(method: Method, path: &str) -> Result<Route, NoRoute> {
    use Method::{Get, Post};
    let segs: Vec<&str> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    let s = |v: &str| v.to_owned();
    let (want, route) = match segs.as_slice() {
        ["c", token] => (Get, Route::OpenLink(s(token))),
        ["console", ..] => (Get, Route::Console),
        ["disputes", ..] | ["promise", ..] | ["plan", ..] | ["payment-methods"] | ["account"] => {
            (Get, Route::DisputePages)
        }
        ["logos", org, file] => (Get, Route::Logo(s(org), s(file))),
        ["u", customer, mac] => {
            return match method {
                Get | Post => Ok(Route::Preferences(s(customer), s(mac))),
                _ => Err(NoRoute::MethodNotAllowed),
            };
        }
        ["api", "stripe", "webhook", org] => (Post, Route::StripeWebhook(s(org))),
        ["api", "v1", rest @ ..] => match rest {
            ["health"] => (Get, Route::Health),
            ["organizations"] => (Post, Route::CreateOrganization),
            ["organization"] => {
                return match method {
                    Get => Ok(Route::GetOrganization),
                    Method::Patch => Ok(Route::UpdateOrganization),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["organization", "logo"] => (Method::Put, Route::UploadLogo),
            ["organization", "branding", "preview"] => (Post, Route::PreviewBranding),
            ["organization", "stripe"] => {
                return match method {
                    Get => Ok(Route::GetStripeAccount),
                    Method::Put => Ok(Route::ConnectStripeAccount),
                    Method::Delete => Ok(Route::DisconnectStripeAccount),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["organization", "stripe", "check"] => (Post, Route::CheckStripeAccount),
            ["customers"] => return pick(method, Route::ListCustomers, Route::CreateCustomer),
            ["customers", id] => {
                return match method {
                    Get => Ok(Route::GetCustomer(s(id))),
                    Method::Patch => Ok(Route::UpdateCustomer(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["customers", id, "timeline"] => (Get, Route::CustomerTimeline(s(id))),
            ["customers", id, "evidence"] => (Get, Route::CustomerEvidence(s(id))),
            ["customers", id, "activities"] => {
                return pick(
                    method,
                    Route::ListActivities(s(id)),
                    Route::CreateActivity(s(id)),
                );
            }
            ["customers", id, "letter"] => (Get, Route::CustomerLetter(s(id))),
            ["customers", id, "risk"] => (Get, Route::CustomerRisk(s(id))),
            ["risk", "train"] => (Post, Route::TrainRisk),
            ["metrics"] => (Get, Route::Metrics),
            ["forecast"] => (Get, Route::Forecast),
            ["exchange-rates"] => (Get, Route::ExchangeRates),
            ["exchange-rates", c] => (Method::Put, Route::SetExchangeRate(s(c))),
            ["worklist"] => (Get, Route::Worklist),
            ["worklist", "assign"] => (Post, Route::AssignWorklist),
            ["tasks"] => return pick(method, Route::ListTasks, Route::CreateTask),
            ["tasks", id, "done"] => (Post, Route::TaskDone(s(id))),
            ["invoices", id, "evidence"] => (Get, Route::InvoiceEvidence(s(id))),
            ["customers", id, "assign"] => (Post, Route::AssignCustomer(s(id))),
            ["emails"] => (Get, Route::ListEmails),
            ["alerts"] => (Get, Route::ListAlerts),
            ["reminders"] => (Get, Route::ListReminders),
            ["reminders", "upcoming"] => (Get, Route::UpcomingReminders),
            ["invoices", id, "promises"] => (Post, Route::CreatePromise(s(id))),
            ["invoices", id, "promises", "approval"] => (Post, Route::ApprovePromise(s(id))),
            ["promises"] => (Get, Route::ListPromises),
            ["plans"] => (Get, Route::ListPlans),
            ["plans", id, "approve"] => (Post, Route::ApprovePlan(s(id))),
            ["plans", id, "reject"] => (Post, Route::RejectPlan(s(id))),
            ["plans", id, "cancel"] => (Post, Route::CancelPlan(s(id))),
            ["promises", id, "cancel"] => (Post, Route::CancelPromise(s(id))),
            ["scheduled-payments"] => (Get, Route::ListSchedules),
            ["scheduled-payments", id, "cancel"] => (Post, Route::CancelSchedule(s(id))),
            ["catalog", "plans"] => {
                return pick(method, Route::ListCatalogPlans, Route::CreateCatalogPlan);
            }
            ["catalog", "plans", code] => (Method::Put, Route::ReplaceCatalogPlan(s(code))),
            ["catalog", "add-ons"] => {
                return pick(method, Route::ListCatalogAddOns, Route::CreateCatalogAddOn);
            }
            ["subscriptions"] => {
                return pick(method, Route::ListSubscriptions, Route::CreateSubscription);
            }
            ["subscriptions", id] => (Get, Route::GetSubscription(s(id))),
            ["imports"] => (Get, Route::ListImports),
            // `POST /imports/{kind}`, `GET /imports/{id}`.
            ["imports", x] => {
                return pick(method, Route::GetImport(s(x)), Route::CreateImport(s(x)));
            }
            ["subscriptions", id, "quote"] => (Post, Route::QuoteSubscriptionChange(s(id))),
            ["subscriptions", id, "change"] => (Post, Route::ChangeSubscription(s(id))),
            ["billing-runs"] => {
                return pick(method, Route::ListBillingRuns, Route::StartBillingRun);
            }
            ["exports", file] => (Get, Route::Export(s(file))),
            ["webhook-endpoints"] => {
                return pick(
                    method,
                    Route::ListWebhookEndpoints,
                    Route::CreateWebhookEndpoint,
                );
            }
            ["webhook-endpoints", id] => {
                return match method {
                    Get => Ok(Route::GetWebhookEndpoint(s(id))),
                    Method::Delete => Ok(Route::DeleteWebhookEndpoint(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["webhook-deliveries"] => (Get, Route::ListWebhookDeliveries),
            ["webhook-deliveries", id, "resend"] => (Post, Route::ResendWebhookDelivery(s(id))),
            ["invoices", id, "disputes"] => (Post, Route::OpenDispute(s(id))),
            ["disputes", id, "resolve"] => (Post, Route::ResolveDispute(s(id))),
            ["disputes"] => (Get, Route::ListDisputes),
            ["disputes", id] => (Get, Route::GetDispute(s(id))),
            ["disputes", id, "messages"] => (Post, Route::DisputeMessage(s(id))),
            ["disputes", id, "assign"] => (Post, Route::AssignDispute(s(id))),
            ["disputes", id, "reject"] => (Post, Route::RejectDispute(s(id))),
            ["disputes", id, "live"] => (Get, Route::DisputeLive(s(id))),
            ["disputes", id, "transcript"] => (Get, Route::DisputeTranscript(s(id))),
            ["disputes", id, "attachments"] => (Post, Route::DisputeAttach(s(id))),
            ["disputes", id, "attachments", f] => (Get, Route::DisputeFile(s(id), s(f))),
            ["webhooks", "email"] => (Post, Route::EmailWebhook),
            ["operator", "clock"] => return pick(method, Route::GetClock, Route::MoveClock),
            ["operator", "cron"] => (Post, Route::RunCron),
            ["customers", id, "portal-links"] => (Post, Route::CreatePortalLink(s(id))),
            ["portal-links", id, "revoke"] => (Post, Route::RevokePortalLink(s(id))),
            ["invoices"] => return pick(method, Route::ListInvoices, Route::CreateInvoice),
            ["invoices", id] => (Get, Route::GetInvoice(s(id))),
            ["invoices", id, "void"] => (Post, Route::VoidInvoice(s(id))),
            ["invoices", id, "send"] => (Post, Route::SendInvoice(s(id))),
            ["invoices", id, "payments"] => {
                return pick(
                    method,
                    Route::ListPayments(s(id)),
                    Route::RecordPayment(s(id)),
                );
            }
            ["audit-events"] => (Get, Route::ListAuditEvents),
            ["audit-events", "verify"] => (Get, Route::VerifyAuditChain),
            ["api-keys"] => return pick(method, Route::ListApiKeys, Route::CreateApiKey),
            ["api-keys", id, "revoke"] => (Post, Route::RevokeApiKey(s(id))),
            ["api-keys", id, "rotate"] => (Post, Route::RotateApiKey(s(id))),
            ["stripe-events"] => (Get, Route::ListStripeEvents),
            ["reminder-policies"] => {
                return pick(
                    method,
                    Route::ListReminderPolicies,
                    Route::CreateReminderPolicy,
                );
            }
            ["reminder-policies", id] => {
                return match method {
                    Get => Ok(Route::GetReminderPolicy(s(id))),
                    Method::Put => Ok(Route::ReplaceReminderPolicy(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["reminder-policies", id, "default"] => (Post, Route::SetDefaultReminderPolicy(s(id))),
            ["segments"] => return pick(method, Route::ListSegments, Route::CreateSegment),
            ["segments", id] => {
                return match method {
                    Method::Put => Ok(Route::ReplaceSegment(s(id))),
                    Method::Delete => Ok(Route::DeleteSegment(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["templates"] => (Get, Route::ListTemplates),
            // `preview` is only a POST: a template may still be named so.
            ["templates", key] => {
                return match method {
                    Method::Put => Ok(Route::SaveTemplate(s(key))),
                    Post if *key == "preview" => Ok(Route::PreviewTemplate),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["staff", "sign-in"] => (Post, Route::StaffSignIn),
            ["staff", "sessions"] => {
                return pick(method, Route::StaffSessions, Route::StaffSignInRedeem);
            }
            ["staff", "sessions", id] => (Method::Delete, Route::EndStaffSession(s(id))),
            ["staff", "sign-out"] => (Post, Route::StaffSignOut),
            ["staff", "sign-out-everywhere"] => (Post, Route::StaffSignOutEverywhere),
            ["staff", "me"] => (Get, Route::StaffMe),
            ["team"] => return pick(method, Route::ListMembers, Route::InviteMember),
            ["team", id] => {
                return match method {
                    Method::Patch => Ok(Route::UpdateMember(s(id))),
                    Method::Delete => Ok(Route::RemoveMember(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["portal", "session"] => (Get, Route::PortalSession),
            ["portal", "sign-out"] => (Post, Route::PortalSignOut),
            ["portal", "invoices"] => (Get, Route::PortalInvoices),
            ["portal", "invoices", id] => (Get, Route::PortalInvoice(s(id))),
            ["portal", "invoices", id, "plan"] => {
                return pick(
                    method,
                    Route::GetPortalPlan(s(id)),
                    Route::ProposePortalPlan(s(id)),
                );
            }
            ["portal", "invoices", id, "promise"] => {
                return pick(
                    method,
                    Route::GetPortalPromise(s(id)),
                    Route::MakePortalPromise(s(id)),
                );
            }
            ["portal", "invoices", id, "schedule"] => {
                return match method {
                    Get => Ok(Route::GetPortalSchedule(s(id))),
                    Post => Ok(Route::MakePortalSchedule(s(id))),
                    Method::Delete => Ok(Route::CancelPortalSchedule(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["portal", "payment-methods"] => (Get, Route::PortalPaymentMethods),
            ["portal", "payment-methods", "setup"] => (Post, Route::PortalSetupMethod),
            ["portal", "payment-methods", "confirm"] => (Post, Route::PortalConfirmMethod),
            ["portal", "payment-methods", id] => (Method::Delete, Route::PortalRemoveMethod(s(id))),
            ["portal", "autopay"] => (Method::Put, Route::PortalAutopay),
            ["portal", "subscriptions"] => (Get, Route::PortalSubscriptions),
            ["portal", "subscriptions", id, "quote"] => {
                (Post, Route::PortalQuoteSubscriptionChange(s(id)))
            }
            ["portal", "subscriptions", id, "change"] => {
                (Post, Route::PortalChangeSubscription(s(id)))
            }
            ["portal", "invoices", id, "checkout"] => (Post, Route::PortalCheckout(s(id))),
            ["portal", "checkout"] => (Post, Route::PortalCombinedCheckout),
            ["portal", "invoices", id, "disputes"] => (Post, Route::PortalOpenDispute(s(id))),
            ["portal", "disputes"] => (Get, Route::PortalDisputes),
            ["portal", "disputes", id] => (Get, Route::PortalDispute(s(id))),
            ["portal", "disputes", id, "messages"] => (Post, Route::PortalDisputeMessage(s(id))),
            ["portal", "disputes", id, "reopen"] => (Post, Route::PortalReopenDispute(s(id))),
            ["portal", "disputes", id, "live"] => (Get, Route::PortalDisputeLive(s(id))),
            ["portal", "disputes", id, "attachments"] => (Post, Route::PortalDisputeAttach(s(id))),
            ["portal", "disputes", id, "attachments", f] => {
                (Get, Route::PortalDisputeFile(s(id), s(f)))
            }
            ["portal", "link-requests"] => (Post, Route::PortalLinkRequest),
            _ => return Err(NoRoute::NotFound),
        },
        _ => return Err(NoRoute::NotFound),
    };
    if method == want {
        Ok(route)
    } else {
        Err(NoRoute::MethodNotAllowed)
    }
}

fn pick(method: Method, get: Route, post: Route) -> Result<Route, NoRoute> {
    match method {
        Method::Get => Ok(get),
        Method::Post => Ok(post),
        Method::Patch | Method::Put | Method::Delete | Method::Other => {
            Err(NoRoute::MethodNotAllowed)
        }
    }
}

mod names;
mod route;

#[cfg(test)]
mod tests;
