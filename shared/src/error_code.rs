//! The `code` of every error the API answers (`{"error": {"code": …}}`), as one enum shared
//! by the worker, which raises them, and the widget, which reads them. Plain data: no
//! `domain` feature needed.
//!
//! A code is a stable, machine-readable name; the `message` beside it is for people. A code
//! this build does not know (a newer server) reads as [`ErrorCode::Unknown`], so clients
//! keep working and fall back to their generic handling.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// On the wire, a code is its [`ErrorCode::as_str`] name: that match is the one table of
/// names (serde's derive would add two more copies to the widget's bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // The request itself.
    /// The body is not JSON, not UTF-8, or not an object.
    InvalidJson,
    /// The body is over the size limit.
    BodyTooLarge,
    /// A parameter has the wrong type, form or value.
    ParameterInvalid,
    /// A required parameter is absent.
    ParameterMissing,
    /// A parameter this endpoint does not take.
    ParameterUnknown,
    /// A parameter that cannot change once set.
    ParameterImmutable,
    /// An amount that is not a decimal string of the currency's precision.
    AmountInvalid,
    /// An amount sent as a JSON number rather than a string.
    AmountNotString,
    /// An amount, price or total outside the accepted range.
    AmountOutOfRange,
    /// A currency the deployment does not price.
    CurrencyUnsupported,
    /// A customer email that is not an address.
    EmailInvalid,
    /// Metadata with too many keys, or keys or values too long.
    MetadataInvalid,
    /// A checkout mode other than a one-off payment.
    ModeUnsupported,
    /// A URL that is not absolute `https` (or `http` on localhost).
    UrlInvalid,
    /// An allowed origin that is not a bare scheme and host.
    OriginInvalid,
    /// An object id that names nothing the caller can see.
    ResourceMissing,

    // Routing.
    /// No route has this path.
    RouteNotFound,
    /// The path exists, but not with this method (the `Allow` header lists those it takes).
    MethodNotAllowed,

    // Keys and modes.
    /// No key, an unknown key, or a revoked key.
    InvalidApiKey,
    /// The request needs a secret key; a publishable key was sent.
    SecretKeyRequired,
    /// A publishable key sent a field only a secret key may send.
    PublishableKeyRestricted,
    /// The object belongs to the other mode (live or test) than the key.
    LivemodeMismatch,
    /// A test-only route was called with a live key.
    LivemodeNotAllowed,
    /// The account has no xpub for the key's mode yet.
    AccountModeUnconfigured,
    /// Revoking this key would leave the mode without a secret key.
    LastSecretKey,
    /// The console's sign-in cookie is missing, unknown, idle too long, or its key was
    /// revoked: sign in again.
    ConsoleSessionEnded,
    /// A request that acts with the console's cookie came from another site.
    CrossSiteRequest,
    /// Not a valid extended public key for the network.
    XpubInvalid,
    /// The mode already has an xpub, and xpubs do not change.
    XpubImmutable,
    /// Another account already registered this xpub.
    XpubInUse,

    // Idempotency.
    /// The `Idempotency-Key` header is malformed.
    IdempotencyKeyInvalid,
    /// The key was used for a different request.
    IdempotencyKeyReused,
    /// A request with this key is still running.
    IdempotencyInProgress,
    /// The key's first answer can no longer be replayed.
    IdempotencyReplayUnavailable,

    // Limits.
    /// Too many requests; retry after the `Retry-After` delay.
    RateLimited,

    // Checkout sessions.
    /// No chain and token the account accepts is served in this mode.
    NoPaymentOptions,
    /// The chosen chain or token is not on offer for this session.
    OptionUnavailable,
    /// A payment was seen: the option that counts can no longer change.
    SelectionLocked,
    /// The session is in a final or expired state.
    SessionClosed,
    /// The session changed while a selection was being written; retry.
    SessionChanged,
    /// The session changed while another write was in flight; retry.
    SessionBusy,
    /// The session received a payment and cannot be canceled.
    SessionHasPayments,
    /// No fresh price for the currency or the native coin.
    PriceUnavailable,

    // Payment links.
    /// The payment link is deactivated.
    PaymentLinkInactive,

    // Webhooks.
    /// The account has as many webhook endpoints as it may have.
    EndpointLimit,
    /// The webhook endpoint is disabled.
    EndpointDisabled,

    // Sweeps.
    /// The chain is not served in the key's mode.
    ChainUnsupported,

    // Refunds.
    /// A refund of more than is left to refund in its token (or of anything when nothing is).
    RefundExceedsRefundable,
    /// A refund of zero.
    AmountTooSmall,
    /// Other refunds of the session were created at the same time; try again.
    RefundConflict,
    /// The refund succeeded, failed or was canceled already.
    RefundNotCancelable,
    /// The refund is not waiting for its transfer.
    RefundNotPending,
    /// The reported transaction does not pay the refund.
    RefundTransferMismatch,
    /// The refund's address was given already.
    RefundAddressSet,
    /// Not an address of the refund's network.
    AddressInvalid,
    /// The shopper may not request a refund of the session now (requests are off, nothing
    /// is left to refund, or one was requested already).
    RefundNotAvailable,

    // The server.
    /// A chain could not be read just now.
    ChainUnavailable,
    /// Something failed on the server; the cause is in its log.
    InternalError,

    /// A code this build does not know (a newer server). Never sent.
    Unknown,
}

impl ErrorCode {
    /// Every code the API answers, in declaration order ([`Self::Unknown`] is not one).
    pub const ALL: &'static [Self] = &[
        Self::InvalidJson,
        Self::BodyTooLarge,
        Self::ParameterInvalid,
        Self::ParameterMissing,
        Self::ParameterUnknown,
        Self::ParameterImmutable,
        Self::AmountInvalid,
        Self::AmountNotString,
        Self::AmountOutOfRange,
        Self::CurrencyUnsupported,
        Self::EmailInvalid,
        Self::MetadataInvalid,
        Self::ModeUnsupported,
        Self::UrlInvalid,
        Self::OriginInvalid,
        Self::ResourceMissing,
        Self::RouteNotFound,
        Self::MethodNotAllowed,
        Self::InvalidApiKey,
        Self::SecretKeyRequired,
        Self::PublishableKeyRestricted,
        Self::LivemodeMismatch,
        Self::LivemodeNotAllowed,
        Self::AccountModeUnconfigured,
        Self::LastSecretKey,
        Self::ConsoleSessionEnded,
        Self::CrossSiteRequest,
        Self::XpubInvalid,
        Self::XpubImmutable,
        Self::XpubInUse,
        Self::IdempotencyKeyInvalid,
        Self::IdempotencyKeyReused,
        Self::IdempotencyInProgress,
        Self::IdempotencyReplayUnavailable,
        Self::RateLimited,
        Self::NoPaymentOptions,
        Self::OptionUnavailable,
        Self::SelectionLocked,
        Self::SessionClosed,
        Self::SessionChanged,
        Self::SessionBusy,
        Self::SessionHasPayments,
        Self::PriceUnavailable,
        Self::PaymentLinkInactive,
        Self::EndpointLimit,
        Self::EndpointDisabled,
        Self::ChainUnsupported,
        Self::RefundExceedsRefundable,
        Self::AmountTooSmall,
        Self::RefundConflict,
        Self::RefundNotCancelable,
        Self::RefundNotPending,
        Self::RefundTransferMismatch,
        Self::RefundAddressSet,
        Self::AddressInvalid,
        Self::RefundNotAvailable,
        Self::ChainUnavailable,
        Self::InternalError,
    ];

    /// The wire name, e.g. `"selection_locked"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::BodyTooLarge => "body_too_large",
            Self::ParameterInvalid => "parameter_invalid",
            Self::ParameterMissing => "parameter_missing",
            Self::ParameterUnknown => "parameter_unknown",
            Self::ParameterImmutable => "parameter_immutable",
            Self::AmountInvalid => "amount_invalid",
            Self::AmountNotString => "amount_not_string",
            Self::AmountOutOfRange => "amount_out_of_range",
            Self::CurrencyUnsupported => "currency_unsupported",
            Self::EmailInvalid => "email_invalid",
            Self::MetadataInvalid => "metadata_invalid",
            Self::ModeUnsupported => "mode_unsupported",
            Self::UrlInvalid => "url_invalid",
            Self::OriginInvalid => "origin_invalid",
            Self::ResourceMissing => "resource_missing",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidApiKey => "invalid_api_key",
            Self::SecretKeyRequired => "secret_key_required",
            Self::PublishableKeyRestricted => "publishable_key_restricted",
            Self::LivemodeMismatch => "livemode_mismatch",
            Self::LivemodeNotAllowed => "livemode_not_allowed",
            Self::AccountModeUnconfigured => "account_mode_unconfigured",
            Self::LastSecretKey => "last_secret_key",
            Self::ConsoleSessionEnded => "console_session_ended",
            Self::CrossSiteRequest => "cross_site_request",
            Self::XpubInvalid => "xpub_invalid",
            Self::XpubImmutable => "xpub_immutable",
            Self::XpubInUse => "xpub_in_use",
            Self::IdempotencyKeyInvalid => "idempotency_key_invalid",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::IdempotencyReplayUnavailable => "idempotency_replay_unavailable",
            Self::RateLimited => "rate_limited",
            Self::NoPaymentOptions => "no_payment_options",
            Self::OptionUnavailable => "option_unavailable",
            Self::SelectionLocked => "selection_locked",
            Self::SessionClosed => "session_closed",
            Self::SessionChanged => "session_changed",
            Self::SessionBusy => "session_busy",
            Self::SessionHasPayments => "session_has_payments",
            Self::PriceUnavailable => "price_unavailable",
            Self::PaymentLinkInactive => "payment_link_inactive",
            Self::EndpointLimit => "endpoint_limit",
            Self::EndpointDisabled => "endpoint_disabled",
            Self::ChainUnsupported => "chain_unsupported",
            Self::RefundExceedsRefundable => "refund_exceeds_refundable",
            Self::AmountTooSmall => "amount_too_small",
            Self::RefundConflict => "refund_conflict",
            Self::RefundNotCancelable => "refund_not_cancelable",
            Self::RefundNotPending => "refund_not_pending",
            Self::RefundTransferMismatch => "refund_transfer_mismatch",
            Self::RefundAddressSet => "refund_address_set",
            Self::AddressInvalid => "address_invalid",
            Self::RefundNotAvailable => "refund_not_available",
            Self::ChainUnavailable => "chain_unavailable",
            Self::InternalError => "internal_error",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Never fails: a string that names no code is [`ErrorCode::Unknown`], as when deserialising.
impl FromStr for ErrorCode {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
            .unwrap_or(Self::Unknown))
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = ErrorCode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error code")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ErrorCode, E> {
                let Ok(code) = name.parse();
                Ok(code)
            }
        }
        deserializer.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, StrDeserializer};

    use super::*;

    fn deserialize(s: &str) -> ErrorCode {
        let deserializer: StrDeserializer<'_, Error> = s.into_deserializer();
        ErrorCode::deserialize(deserializer).expect("a string deserialises")
    }

    /// Every code the API answers. Adding, renaming or removing one changes this table.
    const CODES: &[&str] = &[
        "invalid_json",
        "body_too_large",
        "parameter_invalid",
        "parameter_missing",
        "parameter_unknown",
        "parameter_immutable",
        "amount_invalid",
        "amount_not_string",
        "amount_out_of_range",
        "currency_unsupported",
        "email_invalid",
        "metadata_invalid",
        "mode_unsupported",
        "url_invalid",
        "origin_invalid",
        "resource_missing",
        "route_not_found",
        "method_not_allowed",
        "invalid_api_key",
        "secret_key_required",
        "publishable_key_restricted",
        "livemode_mismatch",
        "livemode_not_allowed",
        "account_mode_unconfigured",
        "last_secret_key",
        "console_session_ended",
        "cross_site_request",
        "xpub_invalid",
        "xpub_immutable",
        "xpub_in_use",
        "idempotency_key_invalid",
        "idempotency_key_reused",
        "idempotency_in_progress",
        "idempotency_replay_unavailable",
        "rate_limited",
        "no_payment_options",
        "option_unavailable",
        "selection_locked",
        "session_closed",
        "session_changed",
        "session_busy",
        "session_has_payments",
        "price_unavailable",
        "payment_link_inactive",
        "endpoint_limit",
        "endpoint_disabled",
        "chain_unsupported",
        "refund_exceeds_refundable",
        "amount_too_small",
        "refund_conflict",
        "refund_not_cancelable",
        "refund_not_pending",
        "refund_transfer_mismatch",
        "refund_address_set",
        "address_invalid",
        "refund_not_available",
        "chain_unavailable",
        "internal_error",
    ];

    #[test]
    fn the_codes_are_exactly_these() {
        let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, CODES);
    }

    #[test]
    fn every_code_round_trips_through_its_string() {
        for &code in ErrorCode::ALL {
            let name = code.as_str();
            assert_eq!(code.to_string(), name);
            assert_eq!(name.parse::<ErrorCode>(), Ok(code), "{name}");
            assert_eq!(deserialize(name), code, "{name}");
        }
    }

    #[cfg(feature = "domain")]
    #[test]
    fn serde_writes_and_reads_the_wire_name() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).expect("a code serialises");
            assert_eq!(json, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).ok(), Some(code));
        }
    }

    #[test]
    fn a_code_this_build_does_not_know_reads_as_unknown() {
        assert_eq!(deserialize("refund_pending"), ErrorCode::Unknown);
        assert_eq!("refund_pending".parse(), Ok(ErrorCode::Unknown));
        assert_eq!(deserialize(""), ErrorCode::Unknown);
        assert!(!ErrorCode::ALL.contains(&ErrorCode::Unknown));
    }

    #[test]
    fn every_code_is_listed_once() {
        let mut names: Vec<&str> = CODES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CODES.len());
    }
}
