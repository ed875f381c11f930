//! Every route matched, and what does not match.

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

#[test]
fn team_and_staff_session_routes() {
    let cases = [
        (
            Method::Post,
            "/api/v1/staff/sign-in",
            Ok(Route::StaffSignIn),
        ),
        (
            Method::Post,
            "/api/v1/staff/sessions",
            Ok(Route::StaffSignInRedeem),
        ),
        (
            Method::Get,
            "/api/v1/staff/sessions",
            Ok(Route::StaffSessions),
        ),
        (
            Method::Delete,
            "/api/v1/staff/sessions/ses_1",
            Ok(Route::EndStaffSession("ses_1".into())),
        ),
        (
            Method::Post,
            "/api/v1/staff/sign-out",
            Ok(Route::StaffSignOut),
        ),
        (
            Method::Post,
            "/api/v1/staff/sign-out-everywhere",
            Ok(Route::StaffSignOutEverywhere),
        ),
        (Method::Get, "/api/v1/staff/me", Ok(Route::StaffMe)),
        (Method::Get, "/api/v1/team", Ok(Route::ListMembers)),
        (Method::Post, "/api/v1/team", Ok(Route::InviteMember)),
        (
            Method::Patch,
            "/api/v1/team/mem_1",
            Ok(Route::UpdateMember("mem_1".into())),
        ),
        (
            Method::Delete,
            "/api/v1/team/mem_1",
            Ok(Route::RemoveMember("mem_1".into())),
        ),
        (
            Method::Get,
            "/api/v1/team/mem_1",
            Err(NoRoute::MethodNotAllowed),
        ),
        (
            Method::Get,
            "/api/v1/staff/sign-in",
            Err(NoRoute::MethodNotAllowed),
        ),
    ];
    for (method, path, want) in cases {
        assert_eq!(match_route(method, path), want, "{method:?} {path}");
    }
}

#[test]
fn assigning_a_customer() {
    assert_eq!(
        match_route(Method::Post, "/api/v1/customers/cus_1/assign"),
        Ok(Route::AssignCustomer("cus_1".into()))
    );
}

#[test]
fn dispute_pages_and_routes() {
    for path in [
        "/disputes",
        "/disputes/new/inv_1",
        "/disputes/dsp_1",
        "/disputes/settle-thread-1a.wasm",
    ] {
        assert_eq!(
            match_route(Method::Get, path),
            Ok(Route::DisputePages),
            "{path}"
        );
    }
    assert_eq!(
        match_route(Method::Get, "/api/v1/disputes"),
        Ok(Route::ListDisputes)
    );
    assert_eq!(
        match_route(Method::Post, "/api/v1/portal/invoices/inv_1/disputes"),
        Ok(Route::PortalOpenDispute("inv_1".into()))
    );
    assert_eq!(
        match_route(Method::Post, "/api/v1/portal/disputes/dsp_1/reopen"),
        Ok(Route::PortalReopenDispute("dsp_1".into()))
    );
    assert_eq!(
        match_route(Method::Post, "/api/v1/disputes/dsp_1/reject"),
        Ok(Route::RejectDispute("dsp_1".into()))
    );
}

#[test]
fn console_paths() {
    for path in [
        "/console",
        "/console/",
        "/console/customers/cus_1",
        "/console/settle-console-1a2b.wasm",
    ] {
        assert_eq!(match_route(Method::Get, path), Ok(Route::Console), "{path}");
    }
    assert_eq!(
        match_route(Method::Post, "/console/sign-in"),
        Err(NoRoute::MethodNotAllowed)
    );
}

#[test]
fn branding_routes() {
    assert_eq!(
        match_route(Method::Put, "/api/v1/organization/logo"),
        Ok(Route::UploadLogo)
    );
    assert_eq!(
        match_route(Method::Post, "/api/v1/organization/branding/preview"),
        Ok(Route::PreviewBranding)
    );
    for (m, route) in [
        (Method::Get, Route::GetStripeAccount),
        (Method::Put, Route::ConnectStripeAccount),
        (Method::Delete, Route::DisconnectStripeAccount),
    ] {
        assert_eq!(match_route(m, "/api/v1/organization/stripe"), Ok(route));
    }
    assert_eq!(
        match_route(Method::Patch, "/api/v1/organization/stripe"),
        Err(NoRoute::MethodNotAllowed)
    );
    assert_eq!(
        match_route(Method::Post, "/api/v1/organization/stripe/check"),
        Ok(Route::CheckStripeAccount)
    );
    assert_eq!(
        match_route(Method::Get, "/logos/org_1/ab.png"),
        Ok(Route::Logo("org_1".into(), "ab.png".into()))
    );
}

#[test]
fn plans_subscriptions_and_webhook_routes() {
    for (m, path, want) in [
        (
            Method::Post,
            "/api/v1/catalog/plans",
            Route::CreateCatalogPlan,
        ),
        (
            Method::Put,
            "/api/v1/catalog/plans/pro",
            Route::ReplaceCatalogPlan("pro".into()),
        ),
        (
            Method::Get,
            "/api/v1/catalog/add-ons",
            Route::ListCatalogAddOns,
        ),
        (
            Method::Post,
            "/api/v1/subscriptions",
            Route::CreateSubscription,
        ),
        (
            Method::Get,
            "/api/v1/subscriptions/sub_1",
            Route::GetSubscription("sub_1".into()),
        ),
        (Method::Post, "/api/v1/billing-runs", Route::StartBillingRun),
        (
            Method::Post,
            "/api/v1/webhook-endpoints",
            Route::CreateWebhookEndpoint,
        ),
        (
            Method::Delete,
            "/api/v1/webhook-endpoints/whe_1",
            Route::DeleteWebhookEndpoint("whe_1".into()),
        ),
        (
            Method::Get,
            "/api/v1/webhook-deliveries",
            Route::ListWebhookDeliveries,
        ),
        (
            Method::Post,
            "/api/v1/webhook-deliveries/whd_1/resend",
            Route::ResendWebhookDelivery("whd_1".into()),
        ),
    ] {
        assert_eq!(match_route(m, path), Ok(want), "{path}");
    }
    assert_eq!(
        match_route(Method::Put, "/api/v1/webhook-endpoints/whe_1"),
        Err(NoRoute::MethodNotAllowed)
    );
}
