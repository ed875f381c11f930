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
    Other,
}

impl Method {
    pub fn parse(m: &str) -> Self {
        match m {
            "GET" | "HEAD" => Method::Get,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
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
            Route::StripeWebhook(_) => "stripe.webhook",
            Route::OpenLink(_) => "links.open",
            Route::PortalSession => "portal.session",
            Route::PortalSignOut => "portal.sign_out",
            Route::PortalInvoices => "portal.invoices",
            Route::PortalInvoice(_) => "portal.invoice",
            Route::PortalCheckout(_) => "portal.checkout",
            Route::PortalCombinedCheckout => "portal.checkout_combined",
            Route::PortalLinkRequest => "portal.link_requests",
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
            ["customers", id] => (Get, Route::GetCustomer(s(id))),
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
            ["stripe-events"] => (Get, Route::ListStripeEvents),
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
        Method::Patch | Method::Other => Err(NoRoute::MethodNotAllowed),
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
}
