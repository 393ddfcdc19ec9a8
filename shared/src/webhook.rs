//! Webhooks: Standard Webhooks signatures, endpoint parameters and objects, and the retry
//! schedule. The worker sends; everything it decides comes from here.

use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::error_code::ErrorCode;
use crate::ids::{DeliveryId, EndpointId, Entropy, EventId};
use crate::params::{ParamError, object, optional_bool, optional_string, reject_unknown};
use crate::session::EventType;
use crate::time::Timestamp;

pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret (Standard Webhooks asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;
/// After a rotation the previous secret signs too, for this long.
pub const PREVIOUS_SECRET_SECS: u64 = 24 * 3600;
/// An attempt that has no answer after this long is cut off and counts as failed.
pub const ATTEMPT_TIMEOUT_SECS: u64 = 10;
/// How long after failed attempt `n` (1-based) attempt `n + 1` is due. The first two
/// attempts run inside the request (`wait_until`); the cron makes the others. After the
/// last, the delivery is failed.
pub const RETRY_DELAYS_SECS: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// Endpoints per account and mode (Stripe's limit too).
pub const MAX_ENDPOINTS: usize = 16;
pub const URL_MAX: usize = 2048;

/// A signing secret: `whsec_` and the base64 of its key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        let mut key = vec![0u8; SECRET_BYTES];
        entropy.fill(&mut key);
        Self(key)
    }

    /// Reads `whsec_<base64>` with 24 to 64 key bytes.
    pub fn parse(s: &str) -> Option<Self> {
        let key = BASE64.decode(s.strip_prefix(SECRET_PREFIX)?).ok()?;
        (24..=64).contains(&key.len()).then_some(Self(key))
    }

    pub fn encoded(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.0))
    }

    /// `v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated (during a
/// rotation the previous secret signs as well, so receivers can switch at their pace).
pub fn signature_header(secrets: &[Secret], id: &str, timestamp: u64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How one attempt ended, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Status(u16),
    /// No HTTP answer: refused, reset, DNS, TLS.
    Transport(String),
    /// No answer within [`ATTEMPT_TIMEOUT_SECS`].
    TimedOut,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again at this time.
    Retry(Timestamp),
    /// The schedule is spent.
    Failed,
    /// 410 Gone: the receiver asked us to stop; the endpoint is disabled.
    Gone,
}

impl Verdict {
    /// Where the delivery stands after this attempt.
    pub fn status(self) -> DeliveryStatus {
        match self {
            Self::Delivered => DeliveryStatus::Delivered,
            Self::Retry(_) => DeliveryStatus::Pending,
            Self::Failed | Self::Gone => DeliveryStatus::Failed,
        }
    }
}

/// Judges attempt number `attempt` (1-based) made at `at`.
pub fn judge(attempt: u32, response: &Response, at: Timestamp) -> Verdict {
    match response {
        Response::Status(code) if (200..300).contains(code) => Verdict::Delivered,
        Response::Status(410) => Verdict::Gone,
        _ => usize::try_from(attempt)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| RETRY_DELAYS_SECS.get(i))
            .map_or(Verdict::Failed, |delay| {
                Verdict::Retry(at.plus_secs(*delay))
            }),
    }
}

/// What an attempt's record says went wrong, if anything.
pub fn attempt_error(response: &Response) -> Option<String> {
    match response {
        Response::Status(code) if (200..300).contains(code) => None,
        Response::Status(410) => Some("410 Gone: the endpoint was disabled".to_owned()),
        Response::Status(code) if (300..400).contains(code) => {
            Some(format!("redirect ({code}) not followed"))
        }
        Response::Status(code) => Some(format!("HTTP {code}")),
        Response::Transport(message) => Some(message.clone()),
        Response::TimedOut => Some(format!("timed out after {ATTEMPT_TIMEOUT_SECS} s")),
    }
}

// ----- endpoints ----------------------------------------------------------------------------

/// The `webhook_endpoint` object. `secret` is present only in the answers to create and
/// rotate, the one time the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub object: String,
    pub url: String,
    pub events: EventFilter,
    pub description: Option<String>,
    pub enabled: bool,
    pub livemode: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
    /// Until then the rotated-out secret signs too.
    pub previous_secret_expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The parameters of `POST /v1/webhook_endpoints`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub url: String,
    pub events: EventFilter,
    pub description: Option<String>,
    pub enabled: bool,
}

/// What `POST /v1/webhook_endpoints/{id}` changes; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub events: Option<EventFilter>,
    /// `Some(None)`: cleared with `null`.
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

const FIELDS: [&str; 4] = ["url", "events", "description", "enabled"];

pub fn parse_create(body: &str, livemode: bool) -> Result<NewEndpoint, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &FIELDS)?;
    let url = match map.get("url") {
        None | Some(Value::Null) => {
            return Err(ParamError::new(
                ErrorCode::ParameterMissing,
                "url",
                "url is required: where Kasse should POST events.",
            ));
        }
        Some(_) => parse_url(&map, livemode)?,
    };
    let events = match map.get("events") {
        None | Some(Value::Null) => {
            return Err(ParamError::new(
                ErrorCode::ParameterMissing,
                "events",
                r#"events is required: the event types to send, or ["*"] for all."#,
            ));
        }
        Some(v) => parse_events(v)?,
    };
    Ok(NewEndpoint {
        url,
        events,
        description: optional_string(&map, "description", 500)?,
        enabled: optional_bool(&map, "enabled")?.unwrap_or(true),
    })
}

pub fn parse_update(body: &str, livemode: bool) -> Result<EndpointUpdate, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &FIELDS)?;
    let url = match map.get("url") {
        None => None,
        Some(_) => Some(parse_url(&map, livemode)?),
    };
    let events = map.get("events").map(parse_events).transpose()?;
    let description = match map.get("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => Some(optional_string(&map, "description", 500)?),
    };
    Ok(EndpointUpdate {
        url,
        events,
        description,
        enabled: optional_bool(&map, "enabled")?,
    })
}

impl EndpointUpdate {
    /// The endpoint after the update (`updated_at` moves only if something changed).
    pub fn apply(self, endpoint: &Endpoint, now: Timestamp) -> Endpoint {
        let mut next = endpoint.clone();
        if let Some(url) = self.url {
            next.url = url;
        }
        if let Some(events) = self.events {
            next.events = events;
        }
        if let Some(description) = self.description {
            next.description = description;
        }
        if let Some(enabled) = self.enabled {
            next.enabled = enabled;
        }
        if next != *endpoint {
            next.updated_at = now;
        }
        next
    }
}

/// The event types an endpoint receives: every type (`["*"]`), or these, in the
/// catalogue's order without duplicates. Stored and answered as that JSON array of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    All,
    Only(Vec<EventType>),
}

impl Serialize for EventFilter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::All => ["*"].serialize(s),
            Self::Only(kinds) => kinds.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for EventFilter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        if names.iter().any(|n| n == "*") {
            return Ok(Self::All);
        }
        names
            .iter()
            .map(|name| {
                EventType::parse(name)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown event type {name:?}")))
            })
            .collect::<Result<_, _>>()
            .map(Self::Only)
    }
}

/// The event types an endpoint may ask for: every `session.*` type, or `*` for all.
/// `*` absorbs the rest; duplicates are dropped; the order is the catalogue's.
fn parse_events(value: &Value) -> Result<EventFilter, ParamError> {
    let invalid = |message: String| ParamError::new(ErrorCode::ParameterInvalid, "events", message);
    let Value::Array(items) = value else {
        return Err(invalid(
            r#"events must be an array of event types, such as ["session.paid"] or ["*"]."#
                .to_owned(),
        ));
    };
    if items.is_empty() {
        return Err(invalid(
            r#"events must name at least one event type, or ["*"] for all."#.to_owned(),
        ));
    }
    let mut wanted = Vec::new();
    for item in items {
        let Some(name) = item.as_str() else {
            return Err(invalid("events must contain strings.".to_owned()));
        };
        if name == "*" {
            return Ok(EventFilter::All);
        }
        match EventType::parse(name) {
            Some(kind) => wanted.push(kind),
            None => {
                let mut shown = name.chars().take(64).collect::<String>();
                if shown.len() < name.len() {
                    shown.push('…');
                }
                return Err(invalid(format!(
                    "Unknown event type {shown:?}; the types are {} (or \"*\").",
                    EventType::ALL.map(EventType::as_str).join(", ")
                )));
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    Ok(EventFilter::Only(wanted))
}

fn parse_url(map: &Map<String, Value>, livemode: bool) -> Result<String, ParamError> {
    let url = optional_string(map, "url", URL_MAX)?.unwrap_or_default();
    check_url(&url, livemode)?;
    Ok(url)
}

/// Live endpoints must be https and must not name a loopback, private, link-local or
/// otherwise internal address. Test mode also takes http and any host (for a receiver on
/// `127.0.0.1` during development). The URL is parsed the way `fetch` will parse it (WHATWG:
/// backslashes, percent-encoded and full-width hosts, numeric IPv4 forms), and the check
/// applies to that result.
pub fn check_url(url: &str, livemode: bool) -> Result<(), ParamError> {
    let invalid = |why: &str| ParamError::new(ErrorCode::UrlInvalid, "url", why.to_owned());
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "url must not contain spaces or control characters.",
        ));
    }
    let parsed =
        url::Url::parse(url).map_err(|_| invalid("url must be an http(s) URL with a host."))?;
    match parsed.scheme() {
        "https" => {}
        "http" if !livemode => {}
        "http" => return Err(invalid("A live-mode webhook url must use https.")),
        _ => return Err(invalid("url must be an http(s) URL.")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // workerd drops credentials from fetch URLs: such an endpoint could never succeed.
        return Err(invalid(
            "url must not carry a user name or password; authenticate with the signature instead.",
        ));
    }
    let internal = match parsed.host() {
        None => return Err(invalid("url must have a host.")),
        Some(url::Host::Ipv4(ip)) => internal_v4(ip),
        Some(url::Host::Ipv6(ip)) => internal_v6(ip),
        Some(url::Host::Domain(name)) => is_internal_name(name),
    };
    if livemode && internal {
        return Err(invalid(
            "A live-mode webhook url must not point at a loopback, private, link-local or other internal address.",
        ));
    }
    Ok(())
}

/// Names that always mean this machine or the local network.
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "localhost" || name.ends_with(".localhost") || name.ends_with(".local")
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// An IPv6 host is internal when it is itself local (loopback, unspecified, multicast,
/// unique local, link-local, the deprecated site-local, the discard prefix) or when it is one of the forms
/// that carry or reach an IPv4 address: a v4 packet may come out the other end, inside
/// the operator's network. Mapped and translated forms are judged by the IPv4 address they
/// hold. The transition forms whose gateways decide where a packet ends up
/// (IPv4-compatible, 6to4, Teredo, NAT64 and its local-use prefix) are refused whole:
/// they are deprecated or operator-specific, and no public receiver needs them.
fn internal_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let [.., a, b, c, d] = ip.octets();
    let embedded = Ipv4Addr::new(a, b, c, d);
    match s[..6] {
        // `::ffff:a.b.c.d` (mapped) and `::ffff:0:a.b.c.d` (translated).
        [0, 0, 0, 0, 0, 0xffff] | [0, 0, 0, 0, 0xffff, 0] => return internal_v4(embedded),
        // `::a.b.c.d` (compatible, deprecated), which also holds `::` and `::1`.
        [0, 0, 0, 0, 0, 0] => return true,
        _ => {}
    }
    ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || s[0] == 0x2002 // 6to4 2002::/16
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32
        || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64: 64:ff9b::/96 and 64:ff9b:1::/48
        || (s[0] == 0x100 && s[1..4] == [0; 3]) // discard-only 100::/64
}

// ----- deliveries ---------------------------------------------------------------------------

/// Where a delivery stands: due for an attempt, delivered, or failed for good (its
/// schedule spent, or its endpoint gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    /// The name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// The `webhook_delivery` object: one event to one endpoint, with every attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub object: String,
    pub event: EventId,
    pub event_type: EventType,
    pub endpoint: EndpointId,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
    pub attempts: Vec<Attempt>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub attempt: u32,
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: Option<u64>,
    pub error: Option<String>,
}

/// `POST /v1/events/{id}/redeliver`: optionally only to one endpoint.
pub fn parse_redeliver(body: &str) -> Result<Option<String>, ParamError> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let map = object(body)?;
    reject_unknown(&map, &["endpoint"])?;
    optional_string(&map, "endpoint", 64)
}

#[cfg(test)]
mod tests;
