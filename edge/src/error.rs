//! The API layer's one error type. Each variant maps to a status and the JSON
//! envelope with a stable code; unexpected failures become an opaque 500 that
//! leaks nothing, after being logged with their context.

use settle_shared::error::{ErrorBody, ErrorCode, ErrorDetail};
use settle_shared::text::FieldError;

/// An error that ends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The client's fault: a 4xx with a code and a message for a person.
    Client {
        code: ErrorCode,
        message: String,
        field: Option<String>,
    },
    /// Too many requests: a 429 with `Retry-After`.
    Limited {
        message: String,
        retry_after_secs: i64,
    },
    /// Our fault: logged, then answered as a bare 500.
    Internal(String),
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Client {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            ErrorCode::NotFound,
            format!("No {what} with that id exists."),
        )
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            ErrorCode::Unauthorized,
            "Send a valid API key as `Authorization: Bearer <key>`.",
        )
    }

    pub fn internal(context: impl Into<String>) -> Self {
        ApiError::Internal(context.into())
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Client { code, .. } => code.status(),
            ApiError::Limited { .. } => ErrorCode::RateLimited.status(),
            ApiError::Internal(_) => 500,
        }
    }

    /// The response body. An internal error says only that nothing changed.
    pub fn body(&self) -> ErrorBody {
        match self {
            ApiError::Client {
                code,
                message,
                field,
            } => ErrorBody {
                error: ErrorDetail {
                    code: *code,
                    message: message.clone(),
                    field: field.clone(),
                },
            },
            ApiError::Limited { message, .. } => {
                ErrorBody::new(ErrorCode::RateLimited, message.clone())
            }
            ApiError::Internal(_) => ErrorBody::new(
                ErrorCode::Internal,
                "Something went wrong on our side and nothing was changed. Please try again.",
            ),
        }
    }

    /// Seconds for `Retry-After`, when the client should wait.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            ApiError::Limited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Classifies a `serde_json` failure on a request body.
    pub fn from_json(err: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let text = err.to_string();
        // serde's message ends with " at line L column C"; keep the meaning.
        let meaning = text
            .rsplit_once(" at line ")
            .map(|(m, _)| m)
            .unwrap_or(&text)
            .to_owned();
        match err.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError::new(
                ErrorCode::InvalidJson,
                format!("The body is not valid JSON ({meaning})."),
            ),
            Category::Data => {
                let (code, field) = if let Some(rest) = meaning.strip_prefix("unknown field `") {
                    (
                        ErrorCode::UnknownField,
                        rest.split('`').next().map(str::to_owned),
                    )
                } else if let Some(rest) = meaning.strip_prefix("missing field `") {
                    (
                        ErrorCode::MissingField,
                        rest.split('`').next().map(str::to_owned),
                    )
                } else if meaning.contains("not an ISO 4217") {
                    (ErrorCode::UnsupportedCurrency, None)
                } else if meaning.contains("out of range") || meaning.contains("too large") {
                    (ErrorCode::AmountOutOfRange, None)
                } else {
                    (ErrorCode::InvalidField, None)
                };
                ApiError::Client {
                    code,
                    message: format!("{}.", capitalise(&meaning)),
                    field,
                }
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Client {
            code: e.code,
            message: format!("`{}` {}.", e.field, e.message),
            field: Some(e.field),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_shared::api::CreateCustomerRequest;

    fn parse(body: &str) -> ApiError {
        ApiError::from_json(&serde_json::from_str::<CreateCustomerRequest>(body).unwrap_err())
    }

    #[test]
    fn classifies_body_errors() {
        assert!(matches!(
            parse("{"),
            ApiError::Client {
                code: ErrorCode::InvalidJson,
                ..
            }
        ));
        assert!(matches!(
            parse("nope"),
            ApiError::Client {
                code: ErrorCode::InvalidJson,
                ..
            }
        ));
        match parse(r#"{"name":"a","email":"a@b.co","colour":"x"}"#) {
            ApiError::Client { code, field, .. } => {
                assert_eq!(code, ErrorCode::UnknownField);
                assert_eq!(field.as_deref(), Some("colour"));
            }
            e => panic!("{e:?}"),
        }
        match parse(r#"{"name":"a"}"#) {
            ApiError::Client { code, field, .. } => {
                assert_eq!(code, ErrorCode::MissingField);
                assert_eq!(field.as_deref(), Some("email"));
            }
            e => panic!("{e:?}"),
        }
        assert!(matches!(
            parse(r#"{"name":1,"email":"a@b.co"}"#),
            ApiError::Client {
                code: ErrorCode::InvalidField,
                ..
            }
        ));
    }

    #[test]
    fn internal_errors_leak_nothing() {
        let e = ApiError::internal("D1_ERROR: table secrets has no column x");
        assert_eq!(e.status(), 500);
        assert!(
            !serde_json::to_string(&e.body())
                .unwrap()
                .contains("D1_ERROR")
        );
    }
}
