//! The one error type at the HTTP edge. Every failure a client can see is an [`ApiError`]:
//! a status, a stable `type` and `code`, a human message and the offending parameter.

use serde::Serialize;
use worker::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(
    dead_code,
    reason = "the full set of spec §7 types; later routes raise the rest"
)]
#[allow(
    clippy::enum_variant_names,
    reason = "the variants are the wire names of spec §7"
)]
pub enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    NotFoundError,
    IdempotencyError,
    RateLimitError,
    ApiError,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub code: &'static str,
    pub message: String,
    pub param: Option<String>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// For 405s: the methods the path does answer (the `Allow` header).
    #[serde(skip)]
    pub allow: Option<&'static str>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: u16,
        kind: ErrorType,
        code: &'static str,
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

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, ErrorType::InvalidRequestError, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            401,
            ErrorType::AuthenticationError,
            "invalid_api_key",
            message,
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, ErrorType::NotFoundError, "resource_missing", message)
    }

    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(
            404,
            ErrorType::NotFoundError,
            "route_not_found",
            format!("No route for {method} {path}."),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str, allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(
                405,
                ErrorType::InvalidRequestError,
                "method_not_allowed",
                format!("{method} is not allowed on {path}; it answers {allow}."),
            )
        }
    }

    /// An internal failure. The cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        worker::console_error!("internal error: {cause}");
        Self::new(
            500,
            ErrorType::ApiError,
            "internal_error",
            "Something went wrong on our side; try again.",
        )
    }

    pub fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a ApiError,
        }
        let response = crate::http::json_response(self.status, &Body { error: &self });
        if let Some(secs) = self.retry_after {
            let _ = response.headers().set("retry-after", &secs.to_string());
        }
        if let Some(allow) = self.allow {
            let _ = response.headers().set("allow", allow);
        }
        response
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
        let (status, kind) = if e.code == kasse_shared::api::create::PUBLISHABLE_RESTRICTED {
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
pub fn chain_error(detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        503,
        ErrorType::ApiError,
        "chain_unavailable",
        detail.to_string(),
    )
}
