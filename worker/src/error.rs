//! The one error type at the HTTP edge. Every failure a client can see is an [`ApiError`]:
//! a status, a stable `type` and `code`, a human message and the offending parameter.

use kasse_shared::error_code::ErrorCode;
use serde::Serialize;
use worker::{Headers, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[expect(
    clippy::enum_variant_names,
    reason = "the variants are the error types' wire names"
)]
pub(crate) enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    NotFoundError,
    IdempotencyError,
    RateLimitError,
    ApiError,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ApiError {
    #[serde(skip)]
    pub status: u16,
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub code: ErrorCode,
    pub message: String,
    pub param: Option<String>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// For 405s: the methods the path does answer (the `Allow` header).
    #[serde(skip)]
    pub allow: Option<String>,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn new(
        status: u16,
        kind: ErrorType,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
            retry_after: None,
            allow: None,
        }
    }

    pub(crate) fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub(crate) fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub(crate) fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(400, ErrorType::InvalidRequestError, code, message)
    }

    pub(crate) fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            401,
            ErrorType::AuthenticationError,
            ErrorCode::InvalidApiKey,
            message,
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            404,
            ErrorType::NotFoundError,
            ErrorCode::ResourceMissing,
            message,
        )
    }

    /// The 404 for an object that does not exist or is not the caller's (the same answer
    /// for both): `what` names its kind, e.g. "webhook endpoint".
    pub(crate) fn no_such(what: &str, id: &str) -> Self {
        Self::not_found(format!("No such {what}: '{id}'.")).with_param("id")
    }

    /// The 400 for a parameter naming an object that does not exist or is not the
    /// caller's (a cursor, an endpoint to redeliver to, a payment link to start from).
    pub(crate) fn no_such_param(what: &str, id: &str, param: &str) -> Self {
        Self::invalid(
            ErrorCode::ResourceMissing,
            format!("No such {what}: '{id}'."),
        )
        .with_param(param)
    }

    /// A 409: the request is valid but the object's state refuses it.
    pub(crate) fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(409, ErrorType::InvalidRequestError, code, message)
    }

    /// A 429 `rate_limited`, to retry after `retry_after_secs`.
    pub(crate) fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(
            429,
            ErrorType::RateLimitError,
            ErrorCode::RateLimited,
            message,
        )
        .with_retry_after(retry_after_secs)
    }

    /// A 403 for a credential that may not do this.
    pub(crate) fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(403, ErrorType::PermissionError, code, message)
    }

    pub(crate) fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(
            404,
            ErrorType::NotFoundError,
            ErrorCode::RouteNotFound,
            format!("No route for {method} {path}."),
        )
    }

    pub(crate) fn method_not_allowed(method: &str, path: &str, allow: &str) -> Self {
        Self {
            allow: Some(allow.to_owned()),
            ..Self::new(
                405,
                ErrorType::InvalidRequestError,
                ErrorCode::MethodNotAllowed,
                format!("{method} is not allowed on {path}; it answers {allow}."),
            )
        }
    }

    /// An internal failure. The cause goes to the log, never to the client.
    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        worker::console_error!("internal error: {cause}");
        Self::new(
            500,
            ErrorType::ApiError,
            ErrorCode::InternalError,
            "Something went wrong on our side; try again.",
        )
    }

    /// The JSON answer `{"error": {…}}`, with `Retry-After` and `Allow` where they apply.
    pub(crate) fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a ApiError,
        }
        // Serialising an ApiError cannot fail: its fields are strings and numbers.
        let text = serde_json::to_string(&Body { error: &self }).unwrap_or_default();
        let headers: Headers = [
            ("content-type", "application/json; charset=utf-8"),
            ("cache-control", "no-store"),
        ]
        .into_iter()
        .collect();
        if let Some(secs) = self.retry_after {
            let _ = headers.set("retry-after", &secs.to_string());
        }
        if let Some(allow) = &self.allow {
            let _ = headers.set("allow", allow);
        }
        Response::builder()
            .with_status(self.status)
            .with_headers(headers)
            .fixed(text.into_bytes())
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::internal(e)
    }
}

impl From<kasse_shared::params::ParamError> for ApiError {
    fn from(e: kasse_shared::params::ParamError) -> Self {
        // A field the key may not send is a question of permission, not of syntax.
        let (status, kind) = if e.code == ErrorCode::PublishableKeyRestricted {
            (403, ErrorType::PermissionError)
        } else {
            (400, ErrorType::InvalidRequestError)
        };
        Self {
            status,
            kind,
            code: e.code,
            message: e.message,
            param: e.param,
            retry_after: None,
            allow: None,
        }
    }
}

/// A chain could not be read. The detail goes to health's `last_error` (with the RPC host
/// only); routes that answer clients replace it with a generic message.
pub(crate) fn chain_error(detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        503,
        ErrorType::ApiError,
        ErrorCode::ChainUnavailable,
        detail.to_string(),
    )
}
