//! The JSON both sides speak: request parsing (with precise, parameter-named errors) and
//! the response objects. Field names are snake_case; money is always a string.

pub mod check;
pub mod create;
pub mod demo;
pub mod etag;
pub mod exports;
pub mod lines;
pub mod links;
pub mod list;
pub mod receipt;
pub mod refund_claim;
pub mod refunds;
pub mod search;
pub mod select;
pub mod sweeps;
pub mod view;

/// The fingerprint of a request for `Idempotency-Key`: SHA-256 over the caller's kind
/// (`secret`, `publishable`, `session`, `admin`), the method, the path and the raw body, so
/// a replay is only ever of the very same request by the same kind of caller. Each part is
/// length-prefixed, so no two different requests can run together into one input.
pub fn fingerprint(caller: &str, method: &str, path: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [caller.as_bytes(), method.as_bytes(), path.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    alloy_primitives::hex::encode(h.finalize())
}

#[cfg(test)]
mod fingerprint_tests {
    use super::fingerprint;

    #[test]
    fn the_same_request_by_another_kind_of_caller_has_another_fingerprint() {
        let body = br#"{"kind":"secret"}"#;
        let secret = fingerprint("secret", "POST", "/v1/api_keys", body);
        assert_eq!(secret, fingerprint("secret", "POST", "/v1/api_keys", body));
        assert_ne!(
            secret,
            fingerprint("publishable", "POST", "/v1/api_keys", body)
        );
        assert_ne!(secret, fingerprint("session", "POST", "/v1/api_keys", body));
        assert_ne!(secret, fingerprint("admin", "POST", "/v1/api_keys", body));
    }

    #[test]
    fn parts_cannot_run_together() {
        // Without the length prefixes these two would hash the same bytes.
        assert_ne!(
            fingerprint("secret", "POST", "/v1/a", b"\nb"),
            fingerprint("secret", "POST", "/v1/a\n", b"b"),
        );
    }
}

/// The `event` object: what webhooks deliver and `GET /v1/events/{id}` returns.
/// Its serialisation is frozen into the outbox at event time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EventObject<T> {
    pub id: crate::ids::EventId,
    pub object: String,
    #[serde(rename = "type")]
    pub kind: crate::session::EventType,
    pub created_at: crate::time::Timestamp,
    pub livemode: bool,
    pub data: EventData<T>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EventData<T> {
    pub object: T,
    /// For a payment event (`session.payment_unexpected`, `session.payment_after_close`):
    /// the transfer that caused it, since one change may raise several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<view::PaymentObject>,
}
