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

/// A matched route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    // Platform operator
    CreateOrganization,
    // Company API (API key)
    GetOrganization,
    UpdateOrganization,
    ListCustomers,
    CreateCustomer,
    GetCustomer(String),
    CreatePortalLink(String),
    RevokePortalLink(String),
    ListInvoices,
    CreateInvoice,
    GetInvoice(String),
    VoidInvoice(String),
    SendInvoice(String),
    ListPayments(String),
    RecordPayment(String),
    ListAuditEvents,
    ListStripeEvents,
    ListApiKeys,
    CreateApiKey,
    RevokeApiKey(String),
    RotateApiKey(String),
    // Reminder configuration (API key)
    ListReminderPolicies,
    CreateReminderPolicy,
    GetReminderPolicy(String),
    ReplaceReminderPolicy(String),
    SetDefaultReminderPolicy(String),
    ListSegments,
    CreateSegment,
    ReplaceSegment(String),
    DeleteSegment(String),
    ListTemplates,
    SaveTemplate(String),
    PreviewTemplate,
    // Stripe
    StripeWebhook(String),
    // Customer links and the portal API (session cookie)
    OpenLink(String),
    PortalSession,
    PortalSignOut,
    PortalInvoices,
    PortalInvoice(String),
    PortalCheckout(String),
    PortalCombinedCheckout,
    PortalLinkRequest,
    // Reminders at work (API key)
    UpdateCustomer(String),
    CustomerTimeline(String),
    ListEmails,
    ListAlerts,
    ListReminders,
    UpcomingReminders,
    CreatePromise(String),
    OpenDispute(String),
    ResolveDispute(String),
    // The email provider's delivery events
    EmailWebhook,
    // A customer's reminder preferences: `/u/<customer>/<mac>`
    Preferences(String, String),
    // Local development only (operator token, CLOCK_TRAVEL=1)
    GetClock,
    MoveClock,
    RunCron,
}

impl Route {
    /// A name for logs: never the path, which may carry a link token.
    pub fn name(&self) -> &'static str {
        match self {
            Route::Health => "health",
            Route::CreateOrganization => "organizations.create",
            Route::GetOrganization => "organization.get",
            Route::UpdateOrganization => "organization.update",
            Route::ListCustomers => "customers.list",
            Route::CreateCustomer => "customers.create",
            Route::GetCustomer(_) => "customers.get",
            Route::CreatePortalLink(_) => "portal_links.create",
            Route::RevokePortalLink(_) => "portal_links.revoke",
            Route::ListInvoices => "invoices.list",
            Route::CreateInvoice => "invoices.create",
            Route::GetInvoice(_) => "invoices.get",
            Route::VoidInvoice(_) => "invoices.void",
            Route::SendInvoice(_) => "invoices.send",
            Route::ListPayments(_) => "payments.list",
            Route::RecordPayment(_) => "payments.record",
            Route::ListAuditEvents => "audit_events.list",
            Route::ListStripeEvents => "stripe_events.list",
            Route::ListApiKeys => "api_keys.list",
            Route::CreateApiKey => "api_keys.create",
            Route::RevokeApiKey(_) => "api_keys.revoke",
            Route::RotateApiKey(_) => "api_keys.rotate",
            Route::ListReminderPolicies => "reminder_policies.list",
            Route::CreateReminderPolicy => "reminder_policies.create",
            Route::GetReminderPolicy(_) => "reminder_policies.get",
            Route::ReplaceReminderPolicy(_) => "reminder_policies.replace",
            Route::SetDefaultReminderPolicy(_) => "reminder_policies.set_default",
            Route::ListSegments => "segments.list",
            Route::CreateSegment => "segments.create",
            Route::ReplaceSegment(_) => "segments.replace",
            Route::DeleteSegment(_) => "segments.delete",
            Route::ListTemplates => "templates.list",
            Route::SaveTemplate(_) => "templates.save",
            Route::PreviewTemplate => "templates.preview",
            Route::StripeWebhook(_) => "stripe.webhook",
            Route::OpenLink(_) => "links.open",
            Route::PortalSession => "portal.session",
            Route::PortalSignOut => "portal.sign_out",
            Route::PortalInvoices => "portal.invoices",
            Route::PortalInvoice(_) => "portal.invoice",
            Route::PortalCheckout(_) => "portal.checkout",
            Route::PortalCombinedCheckout => "portal.checkout_combined",
            Route::PortalLinkRequest => "portal.link_requests",
            Route::UpdateCustomer(_) => "customers.update",
            Route::CustomerTimeline(_) => "customers.timeline",
            Route::ListEmails => "emails.list",
            Route::ListAlerts => "alerts.list",
            Route::ListReminders => "reminders.list",
            Route::UpcomingReminders => "reminders.upcoming",
            Route::CreatePromise(_) => "promises.create",
            Route::OpenDispute(_) => "disputes.open",
            Route::ResolveDispute(_) => "disputes.resolve",
            Route::EmailWebhook => "email.webhook",
            Route::Preferences(..) => "preferences",
            Route::GetClock => "operator.clock.get",
            Route::MoveClock => "operator.clock.move",
            Route::RunCron => "operator.cron",
        }
    }
}

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
            ["customers"] => return pick(method, Route::ListCustomers, Route::CreateCustomer),
            ["customers", id] => {
                return match method {
                    Get => Ok(Route::GetCustomer(s(id))),
                    Method::Patch => Ok(Route::UpdateCustomer(s(id))),
                    _ => Err(NoRoute::MethodNotAllowed),
                };
            }
            ["customers", id, "timeline"] => (Get, Route::CustomerTimeline(s(id))),
            ["emails"] => (Get, Route::ListEmails),
            ["alerts"] => (Get, Route::ListAlerts),
            ["reminders"] => (Get, Route::ListReminders),
            ["reminders", "upcoming"] => (Get, Route::UpcomingReminders),
            ["invoices", id, "promises"] => (Post, Route::CreatePromise(s(id))),
            ["invoices", id, "disputes"] => (Post, Route::OpenDispute(s(id))),
            ["disputes", id, "resolve"] => (Post, Route::ResolveDispute(s(id))),
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
            ["portal", "session"] => (Get, Route::PortalSession),
            ["portal", "sign-out"] => (Post, Route::PortalSignOut),
            ["portal", "invoices"] => (Get, Route::PortalInvoices),
            ["portal", "invoices", id] => (Get, Route::PortalInvoice(s(id))),
            ["portal", "invoices", id, "checkout"] => (Post, Route::PortalCheckout(s(id))),
            ["portal", "checkout"] => (Post, Route::PortalCombinedCheckout),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_resources() {
        assert_eq!(
            match_route(Method::Get, "/api/v1/invoices"),
            Ok(Route::ListInvoices)
        );
        assert_eq!(
            match_route(Method::Post, "/api/v1/invoices/"),
            Ok(Route::CreateInvoice)
        );
        assert_eq!(
            match_route(Method::Get, "/api/v1/invoices/inv_1"),
            Ok(Route::GetInvoice("inv_1".into()))
        );
        assert_eq!(
            match_route(Method::Post, "/api/v1/invoices/inv_1/void"),
            Ok(Route::VoidInvoice("inv_1".into()))
        );
        assert_eq!(
            match_route(Method::Get, "/c/abc"),
            Ok(Route::OpenLink("abc".into()))
        );
    }

    #[test]
    fn reminder_work_routes() {
        assert_eq!(
            match_route(Method::Patch, "/api/v1/customers/cus_1"),
            Ok(Route::UpdateCustomer("cus_1".into()))
        );
        assert_eq!(
            match_route(Method::Get, "/api/v1/customers/cus_1/timeline"),
            Ok(Route::CustomerTimeline("cus_1".into()))
        );
        assert_eq!(
            match_route(Method::Post, "/u/cus_1/abc"),
            Ok(Route::Preferences("cus_1".into(), "abc".into()))
        );
        assert_eq!(
            match_route(Method::Put, "/u/cus_1/abc"),
            Err(NoRoute::MethodNotAllowed)
        );
        assert_eq!(
            match_route(Method::Post, "/api/v1/operator/clock"),
            Ok(Route::MoveClock)
        );
        assert_eq!(
            match_route(Method::Post, "/api/v1/webhooks/email"),
            Ok(Route::EmailWebhook)
        );
        assert_eq!(
            match_route(Method::Get, "/api/v1/api-keys"),
            Ok(Route::ListApiKeys)
        );
        assert_eq!(
            match_route(Method::Post, "/api/v1/api-keys/key_1/rotate"),
            Ok(Route::RotateApiKey("key_1".into()))
        );
        assert_eq!(
            match_route(Method::Delete, "/api/v1/api-keys"),
            Err(NoRoute::MethodNotAllowed)
        );
    }

    #[test]
    fn wrong_method_and_unknown_paths() {
        assert_eq!(
            match_route(Method::Post, "/api/v1/invoices/inv_1"),
            Err(NoRoute::MethodNotAllowed)
        );
        assert_eq!(
            match_route(Method::Other, "/api/v1/customers"),
            Err(NoRoute::MethodNotAllowed)
        );
        assert_eq!(
            match_route(Method::Get, "/api/v1/nothing"),
            Err(NoRoute::NotFound)
        );
        assert_eq!(
            match_route(Method::Get, "/api/v2/invoices"),
            Err(NoRoute::NotFound)
        );
        assert_eq!(match_route(Method::Get, "/c/a/b"), Err(NoRoute::NotFound));
    }

    #[test]
    fn put_and_delete_are_methods_of_their_own() {
        assert_eq!(Method::parse("PUT"), Method::Put);
        assert_eq!(Method::parse("DELETE"), Method::Delete);
        assert_eq!(Method::parse("OPTIONS"), Method::Other);
        assert_eq!(
            match_route(Method::Put, "/api/v1/invoices/inv_1"),
            Err(NoRoute::MethodNotAllowed)
        );
        assert_eq!(
            match_route(Method::Delete, "/api/v1/customers"),
            Err(NoRoute::MethodNotAllowed)
        );
    }

    #[test]
    fn reminder_configuration_routes() {
        let ok = |m, p: &str, r: Route| assert_eq!(match_route(m, p), Ok(r), "{m:?} {p}");
        let id = || "pol_1".to_owned();
        ok(
            Method::Get,
            "/api/v1/reminder-policies",
            Route::ListReminderPolicies,
        );
        ok(
            Method::Post,
            "/api/v1/reminder-policies",
            Route::CreateReminderPolicy,
        );
        ok(
            Method::Get,
            "/api/v1/reminder-policies/pol_1",
            Route::GetReminderPolicy(id()),
        );
        ok(
            Method::Put,
            "/api/v1/reminder-policies/pol_1",
            Route::ReplaceReminderPolicy(id()),
        );
        ok(
            Method::Post,
            "/api/v1/reminder-policies/pol_1/default",
            Route::SetDefaultReminderPolicy(id()),
        );
        ok(Method::Get, "/api/v1/segments", Route::ListSegments);
        ok(Method::Post, "/api/v1/segments", Route::CreateSegment);
        ok(
            Method::Put,
            "/api/v1/segments/seg_1",
            Route::ReplaceSegment("seg_1".into()),
        );
        ok(
            Method::Delete,
            "/api/v1/segments/seg_1",
            Route::DeleteSegment("seg_1".into()),
        );
        ok(Method::Get, "/api/v1/templates", Route::ListTemplates);
        ok(
            Method::Put,
            "/api/v1/templates/friendly",
            Route::SaveTemplate("friendly".into()),
        );
        ok(
            Method::Post,
            "/api/v1/templates/preview",
            Route::PreviewTemplate,
        );
        ok(
            Method::Put,
            "/api/v1/templates/preview",
            Route::SaveTemplate("preview".into()),
        );
        for (m, p) in [
            (Method::Delete, "/api/v1/reminder-policies/pol_1"),
            (Method::Patch, "/api/v1/reminder-policies/pol_1"),
            (Method::Get, "/api/v1/reminder-policies/pol_1/default"),
            (Method::Get, "/api/v1/segments/seg_1"),
            (Method::Put, "/api/v1/segments"),
            (Method::Post, "/api/v1/templates"),
            (Method::Get, "/api/v1/templates/friendly"),
            (Method::Post, "/api/v1/templates/friendly"),
            (Method::Get, "/api/v1/templates/preview"),
        ] {
            assert_eq!(
                match_route(m, p),
                Err(NoRoute::MethodNotAllowed),
                "{m:?} {p}"
            );
        }
        assert_eq!(
            match_route(Method::Get, "/api/v1/templates/a/b"),
            Err(NoRoute::NotFound)
        );
        assert_eq!(
            Route::SetDefaultReminderPolicy(id()).name(),
            "reminder_policies.set_default"
        );
    }
}
