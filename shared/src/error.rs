//! The one error envelope of the API: `{"error":{"code":"…","message":"…"}}`.
//!
//! Codes are stable: clients switch on them, and `docs/API.md` lists them.

use serde::{Deserialize, Serialize};

/// Every error code the API can answer with. Adding a code is fine;
/// renaming one breaks clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON, or not JSON of the expected shape.
    InvalidJson,
    /// The body has a field the endpoint does not know.
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// A field has a value of the wrong type or form.
    InvalidField,
    /// A currency code that is not ISO 4217.
    UnsupportedCurrency,
    /// Amounts in two currencies were combined.
    CurrencyMismatch,
    /// An amount, quantity or total is negative or too large.
    AmountOutOfRange,
    /// A string is longer than its limit.
    StringTooLong,
    /// The request body is larger than the limit.
    PayloadTooLarge,
    /// The body is not sent as `application/json`.
    UnsupportedMediaType,
    /// No credentials, or credentials that are not valid.
    Unauthorized,
    /// The caller may not do this.
    Forbidden,
    /// Nothing with that id exists for this caller.
    NotFound,
    /// The HTTP method is not allowed on this path.
    MethodNotAllowed,
    /// The request conflicts with the current state (duplicate number, void of a paid invoice).
    Conflict,
    /// The customer link is unknown, forged or revoked.
    LinkInvalid,
    /// The customer link has expired.
    LinkExpired,
    /// The customer session is missing or over.
    SessionExpired,
    /// Too many requests; retry later.
    RateLimited,
    /// A cross-site request was refused.
    CsrfRejected,
    /// A webhook's signature is missing, stale or wrong.
    SignatureInvalid,
    /// The payment provider could not be reached or refused; nothing was charged.
    PaymentProviderUnavailable,
    /// The email provider could not be reached; the provider retries.
    EmailProviderUnavailable,
    /// An email template does not parse or names an unknown variable.
    TemplateInvalid,
    /// A staff sign-in link is unknown or forged.
    SignInInvalid,
    /// A staff sign-in link is older than 15 minutes.
    SignInExpired,
    /// A staff sign-in link was used already.
    SignInUsed,
    /// The member was removed from the team.
    MemberRemoved,
    /// The change would leave the organization without an admin.
    LastAdmin,
    /// Stripe refused the key that was pasted (revoked, another mode,
    /// missing permissions); nothing was saved.
    StripeKeyRejected,
    /// The deployment lacks a setting this needs (named in the message).
    NotConfigured,
    /// The invoice is paid, void or has nothing due: nothing to promise or plan.
    InvoiceNotOpen,
    /// The invoice is in dispute: the dispute is settled first.
    InvoiceDisputed,
    /// The invoice is in an instalment plan, which sets its dates.
    InvoiceInPlan,
    /// A promise on the invoice was not kept: an agent must agree to another.
    PromiseNeedsApproval,
    /// The customer changed the promised date once already.
    PromiseChangedOnce,
    /// The company does not take instalment plans from this customer.
    PaymentPlansBlocked,
    /// The customer has not agreed to the plan's terms.
    TermsNotAccepted,
    /// An automatic payment is scheduled on the invoice: it sets the date.
    PaymentScheduled,
    /// The saved card or bank account was removed (or belongs to someone else).
    PaymentMethodRemoved,
    /// A scheduled payment can no longer be changed or cancelled: its day
    /// has come, or it is being charged.
    ScheduleLocked,
    /// Something failed on our side; nothing was changed.
    Internal,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidJson | SignatureInvalid => 400,
            UnknownField | MissingField | InvalidField | UnsupportedCurrency | CurrencyMismatch
            | AmountOutOfRange | StringTooLong | TemplateInvalid | StripeKeyRejected => 422,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            Unauthorized | SessionExpired => 401,
            Forbidden | CsrfRejected | MemberRemoved => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            Conflict | LastAdmin | InvoiceNotOpen | InvoiceDisputed | InvoiceInPlan
            | PromiseNeedsApproval | PromiseChangedOnce | PaymentPlansBlocked
            | PaymentScheduled | PaymentMethodRemoved | ScheduleLocked => 409,
            TermsNotAccepted => 422,
            LinkInvalid | LinkExpired | SignInInvalid | SignInExpired | SignInUsed => 410,
            RateLimited => 429,
            PaymentProviderUnavailable | EmailProviderUnavailable | NotConfigured => 503,
            Internal => 500,
        }
    }

    /// The wire name, as in the JSON body.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidJson => "invalid_json",
            UnknownField => "unknown_field",
            MissingField => "missing_field",
            InvalidField => "invalid_field",
            UnsupportedCurrency => "unsupported_currency",
            CurrencyMismatch => "currency_mismatch",
            AmountOutOfRange => "amount_out_of_range",
            StringTooLong => "string_too_long",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Conflict => "conflict",
            LinkInvalid => "link_invalid",
            LinkExpired => "link_expired",
            SessionExpired => "session_expired",
            RateLimited => "rate_limited",
            CsrfRejected => "csrf_rejected",
            SignatureInvalid => "signature_invalid",
            PaymentProviderUnavailable => "payment_provider_unavailable",
            EmailProviderUnavailable => "email_provider_unavailable",
            TemplateInvalid => "template_invalid",
            SignInInvalid => "sign_in_invalid",
            SignInExpired => "sign_in_expired",
            SignInUsed => "sign_in_used",
            MemberRemoved => "member_removed",
            LastAdmin => "last_admin",
            StripeKeyRejected => "stripe_key_rejected",
            NotConfigured => "not_configured",
            InvoiceNotOpen => "invoice_not_open",
            InvoiceDisputed => "invoice_disputed",
            InvoiceInPlan => "invoice_in_plan",
            PromiseNeedsApproval => "promise_needs_approval",
            PromiseChangedOnce => "promise_changed_once",
            PaymentPlansBlocked => "payment_plans_blocked",
            TermsNotAccepted => "terms_not_accepted",
            PaymentScheduled => "payment_scheduled",
            PaymentMethodRemoved => "payment_method_removed",
            ScheduleLocked => "schedule_locked",
            Internal => "internal",
        }
    }
}

/// The inside of the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The JSON path of the offending field, when one is to blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `{"error": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
                field: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in [
            ErrorCode::InvalidJson,
            ErrorCode::AmountOutOfRange,
            ErrorCode::LinkExpired,
            ErrorCode::CsrfRejected,
            ErrorCode::SignInInvalid,
            ErrorCode::SignInExpired,
            ErrorCode::SignInUsed,
            ErrorCode::MemberRemoved,
            ErrorCode::LastAdmin,
            ErrorCode::StripeKeyRejected,
            ErrorCode::NotConfigured,
            ErrorCode::PaymentScheduled,
            ErrorCode::PaymentMethodRemoved,
            ErrorCode::ScheduleLocked,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn client_errors_are_4xx() {
        assert_eq!(ErrorCode::NotFound.status(), 404);
        assert_eq!(ErrorCode::PayloadTooLarge.status(), 413);
        assert!(ErrorCode::UnknownField.status() >= 400 && ErrorCode::UnknownField.status() < 500);
    }
}
