//! Merchant account settings and API keys.

use crate::error_code::ErrorCode;
use std::collections::BTreeMap;

use alloy_primitives::ChainId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::catalogue::Catalogue;
use crate::params::{ParamError, object, reject_unknown, whole_number};
use crate::shopper::Branding;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub session_ttl_secs: u64,
    pub late_grace_secs: u64,
    pub underpayment_tolerance_bps: u32,
    /// Confirmations on top of the catalogue's minimum, per chain id.
    pub extra_confirmations: BTreeMap<ChainId, u32>,
    /// `chain_id:TOKEN` pairs the account accepts; empty means every catalogue option.
    pub enabled_options: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub branding: Branding,
    /// How long a locked native-coin quote is honoured for payments, in seconds.
    pub native_quote_secs: u64,
    /// Whether shoppers may ask for a refund from the checkout (over- or underpaid, expired
    /// with a payment, or paid with another token): the merchant then pays or cancels it.
    pub refund_requests: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl_secs: 30 * 60,
            late_grace_secs: 24 * 3600,
            underpayment_tolerance_bps: 0,
            extra_confirmations: BTreeMap::new(),
            enabled_options: Vec::new(),
            allowed_origins: Vec::new(),
            branding: Branding {
                display_name: "Kasse merchant".into(),
                logo_url: None,
                accent_color: None,
            },
            native_quote_secs: 30 * 60,
            refund_requests: false,
        }
    }
}

impl Settings {
    pub fn accepts(&self, chain_id: ChainId, token: &str) -> bool {
        self.enabled_options.is_empty()
            || self
                .enabled_options
                .iter()
                .any(|o| o.eq_ignore_ascii_case(&format!("{chain_id}:{token}")))
    }
}

pub const MIN_TTL_SECS: u64 = 300;
pub const MAX_TTL_SECS: u64 = 86_400;
pub const MAX_GRACE_SECS: u64 = 7 * 86_400;
pub const MAX_TOLERANCE_BPS: u32 = 1_000;
pub const MAX_EXTRA_CONFIRMATIONS: u32 = 100;
pub const MAX_ORIGINS: usize = 20;
pub const MIN_NATIVE_QUOTE_SECS: u64 = 60;
pub const MAX_NATIVE_QUOTE_SECS: u64 = 86_400;

/// `POST /v1/account`: the settings after the update, and an xpub for a mode that has none
/// (EVM, m/44'/60'/n', and Tron, m/44'/195'/n'). Settings belong to one mode: the caller's
/// key decides which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    pub settings: Settings,
    pub xpub_test: Option<String>,
    pub xpub_live: Option<String>,
    pub xpub_tron_test: Option<String>,
    pub xpub_tron_live: Option<String>,
}

impl AccountUpdate {
    /// The xpub sent for `livemode`'s own mode, with its parameter name.
    pub fn own_xpub(&self, livemode: bool) -> (Option<&str>, &'static str) {
        if livemode {
            (self.xpub_live.as_deref(), "xpub_live")
        } else {
            (self.xpub_test.as_deref(), "xpub_test")
        }
    }

    /// The Tron xpub sent for `livemode`'s own mode, with its parameter name.
    pub fn own_tron_xpub(&self, livemode: bool) -> (Option<&str>, &'static str) {
        if livemode {
            (self.xpub_tron_live.as_deref(), "xpub_tron_live")
        } else {
            (self.xpub_tron_test.as_deref(), "xpub_tron_test")
        }
    }

    /// The parameter naming the other mode's xpub (EVM or Tron), if one was sent: a key
    /// acts on its own mode only, so this is refused.
    pub fn other_mode_xpub(&self, livemode: bool) -> Option<&'static str> {
        if livemode {
            (self.xpub_test.as_ref().map(|_| "xpub_test"))
                .or(self.xpub_tron_test.as_ref().map(|_| "xpub_tron_test"))
        } else {
            (self.xpub_live.as_ref().map(|_| "xpub_live"))
                .or(self.xpub_tron_live.as_ref().map(|_| "xpub_tron_live"))
        }
    }
}

/// The fields a settings update may carry.
const UPDATE_FIELDS: [&str; 13] = [
    "session_ttl_secs",
    "late_grace_secs",
    "underpayment_tolerance_bps",
    "extra_confirmations",
    "enabled_options",
    "allowed_origins",
    "branding",
    "native_quote_secs",
    "refund_requests",
    "xpub_test",
    "xpub_live",
    "xpub_tron_test",
    "xpub_tron_live",
];

/// Parses a settings update: every field given replaces that setting (`branding` field by
/// field; `null` clears the logo or accent colour). The xpubs are returned as sent; the
/// worker checks them and that their mode has none yet.
pub fn parse_update(
    body: &str,
    current: &Settings,
    catalogue: &Catalogue,
) -> Result<AccountUpdate, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &UPDATE_FIELDS)?;
    let mut next = current.clone();
    if let Some(ttl) = bounded(&map, "session_ttl_secs", MIN_TTL_SECS, MAX_TTL_SECS)? {
        next.session_ttl_secs = ttl;
    }
    if let Some(grace) = bounded(&map, "late_grace_secs", 0, MAX_GRACE_SECS)? {
        next.late_grace_secs = grace;
    }
    let max_bps = u64::from(MAX_TOLERANCE_BPS);
    if let Some(bps) = bounded(&map, "underpayment_tolerance_bps", 0, max_bps)? {
        next.underpayment_tolerance_bps = u32::try_from(bps).unwrap_or(MAX_TOLERANCE_BPS);
    }
    let quote_secs = (MIN_NATIVE_QUOTE_SECS, MAX_NATIVE_QUOTE_SECS);
    if let Some(secs) = bounded(&map, "native_quote_secs", quote_secs.0, quote_secs.1)? {
        next.native_quote_secs = secs;
    }
    if let Some(value) = map.get("extra_confirmations") {
        next.extra_confirmations = extra_confirmations(value, catalogue)?;
    }
    if let Some(value) = map.get("enabled_options") {
        next.enabled_options = enabled_options(value, catalogue)?;
    }
    if let Some(value) = map.get("allowed_origins") {
        next.allowed_origins = allowed_origins(value)?;
    }
    if let Some(value) = map.get("branding") {
        next.branding = branding(value, &current.branding)?;
    }
    if let Some(value) = map.get("refund_requests") {
        next.refund_requests = value.as_bool().ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "refund_requests",
                "refund_requests must be true or false.",
            )
        })?;
    }
    Ok(AccountUpdate {
        settings: next,
        xpub_test: optional_xpub(&map, "xpub_test")?,
        xpub_live: optional_xpub(&map, "xpub_live")?,
        xpub_tron_test: optional_xpub(&map, "xpub_tron_test")?,
        xpub_tron_live: optional_xpub(&map, "xpub_tron_live")?,
    })
}

/// The integer `key` of `map` if given, within `min..=max`.
fn bounded(
    map: &serde_json::Map<String, Value>,
    key: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ParamError> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => whole_number(v)
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ParameterInvalid,
                    key,
                    format!("{key} must be an integer from {min} to {max}."),
                )
            }),
    }
}

/// The xpub `key` of `map` if given, trimmed.
fn optional_xpub(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ParamError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(x)) => Ok(Some(x.trim().to_owned())),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            key,
            format!("{key} must be a string."),
        )),
    }
}

fn extra_confirmations(
    value: &Value,
    catalogue: &Catalogue,
) -> Result<BTreeMap<ChainId, u32>, ParamError> {
    let param = "extra_confirmations";
    let Value::Object(map) = value else {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            "extra_confirmations must be an object of chain id to a count, e.g. {\"8453\": 5}.",
        ));
    };
    let mut out = BTreeMap::new();
    for (chain, count) in map {
        let at = format!("{param}[{chain}]");
        let chain_id = chain
            .parse::<u64>()
            .ok()
            .filter(|id| catalogue.chain(*id).is_some())
            .ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ParameterInvalid,
                    &at,
                    format!("{chain} is not a chain id of the catalogue."),
                )
            })?;
        let count = whole_number(count)
            .filter(|n| *n <= u64::from(MAX_EXTRA_CONFIRMATIONS))
            .ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ParameterInvalid,
                    &at,
                    format!("Extra confirmations must be an integer from 0 to {MAX_EXTRA_CONFIRMATIONS}."),
                )
            })?;
        out.insert(
            chain_id,
            u32::try_from(count).unwrap_or(MAX_EXTRA_CONFIRMATIONS),
        );
    }
    Ok(out)
}

/// `["8453:USDC", "1:ETH"]`: each a catalogue chain and one of its tokens or its native coin.
fn enabled_options(value: &Value, catalogue: &Catalogue) -> Result<Vec<String>, ParamError> {
    let param = "enabled_options";
    let list = strings(value, param, 100)?;
    let mut out = Vec::new();
    for (i, option) in list.iter().enumerate() {
        let at = format!("{param}[{i}]");
        let found = option.split_once(':').and_then(|(chain, token)| {
            let chain = catalogue.chain(chain.parse().ok()?)?;
            let symbol = if chain.native_symbol.eq_ignore_ascii_case(token) {
                chain.native_symbol.clone()
            } else {
                chain.token(token)?.symbol.clone()
            };
            Some(format!("{}:{symbol}", chain.chain_id))
        });
        let option = found.ok_or_else(|| {
            ParamError::new(
                ErrorCode::OptionUnavailable,
                &at,
                format!("\"{option}\" is not a catalogue option; write chain id and token, e.g. \"8453:USDC\"."),
            )
        })?;
        if !out.contains(&option) {
            out.push(option);
        }
    }
    Ok(out)
}

/// Browser origins allowed to call the public endpoints: `scheme://host[:port]`, no path.
fn allowed_origins(value: &Value) -> Result<Vec<String>, ParamError> {
    let param = "allowed_origins";
    let list = strings(value, param, MAX_ORIGINS)?;
    let mut out = Vec::new();
    for (i, origin) in list.iter().enumerate() {
        let lower = origin.to_ascii_lowercase();
        let host = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let valid = host.is_some_and(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
                && !h.starts_with([':', '.'])
        });
        if !valid {
            return Err(ParamError::new(
                ErrorCode::OriginInvalid,
                &format!("{param}[{i}]"),
                format!(
                    "\"{origin}\" is not an origin; write scheme, host and optional port, e.g. \"https://shop.example\" (no path or trailing slash)."
                ),
            ));
        }
        if !out.contains(&lower) {
            out.push(lower);
        }
    }
    Ok(out)
}

fn branding(value: &Value, current: &Branding) -> Result<Branding, ParamError> {
    let Value::Object(map) = value else {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "branding",
            "branding must be an object: {display_name, logo_url, accent_color}.",
        ));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !["display_name", "logo_url", "accent_color"].contains(&k.as_str()))
    {
        return Err(ParamError::new(
            ErrorCode::ParameterUnknown,
            &format!("branding.{unknown}"),
            format!("Received unknown parameter: branding.{unknown}."),
        ));
    }
    let mut next = current.clone();
    match map.get("display_name") {
        None => {}
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= 100 => {
            next.display_name = name.trim().to_owned();
        }
        Some(_) => {
            return Err(ParamError::new(
                ErrorCode::ParameterInvalid,
                "branding.display_name",
                "branding.display_name must be 1–100 characters.",
            ));
        }
    }
    match map.get("logo_url") {
        None => {}
        Some(Value::Null) => next.logo_url = None,
        Some(Value::String(url))
            if url.len() <= 2048
                && url
                    .strip_prefix("https://")
                    .is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '"') =>
        {
            next.logo_url = Some(url.clone());
        }
        Some(_) => {
            return Err(ParamError::new(
                ErrorCode::UrlInvalid,
                "branding.logo_url",
                "branding.logo_url must be an https URL (or null).",
            ));
        }
    }
    match map.get("accent_color") {
        None => {}
        Some(Value::Null) => next.accent_color = None,
        Some(Value::String(c))
            if c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            next.accent_color = Some(c.to_ascii_lowercase());
        }
        Some(_) => {
            return Err(ParamError::new(
                ErrorCode::ParameterInvalid,
                "branding.accent_color",
                "branding.accent_color must be a hex colour like \"#4f46e5\" (or null).",
            ));
        }
    }
    Ok(next)
}

fn strings(value: &Value, param: &str, max: usize) -> Result<Vec<String>, ParamError> {
    let invalid = || {
        ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be an array of at most {max} strings."),
        )
    };
    let Value::Array(items) = value else {
        return Err(invalid());
    };
    if items.len() > max {
        return Err(invalid());
    }
    items
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Secret,
    Publishable,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Publishable => "publishable",
        }
    }

    pub fn prefix(self, livemode: bool) -> &'static str {
        match (self, livemode) {
            (Self::Secret, false) => "sk_test_",
            (Self::Secret, true) => "sk_live_",
            (Self::Publishable, false) => "pk_test_",
            (Self::Publishable, true) => "pk_live_",
        }
    }

    /// The kind and mode a key claims by its prefix (the database decides whether it is valid).
    pub fn of_key(key: &str) -> Option<(Self, bool)> {
        [
            (Self::Secret, false),
            (Self::Secret, true),
            (Self::Publishable, false),
            (Self::Publishable, true),
        ]
        .into_iter()
        .find(|(kind, live)| key.starts_with(kind.prefix(*live)))
    }
}

/// Keys are stored as this hash only: a database leak does not leak keys. Keys carry
/// ~190 bits of randomness, so a plain SHA-256 (no salt, no stretching) is enough.
pub fn key_hash(key: &str) -> String {
    alloy_primitives::hex::encode(Sha256::digest(key.as_bytes()))
}

/// `sk_test_…a1b2`: enough to recognise a key in a listing, useless to an attacker.
pub fn redact(key: &str) -> String {
    let prefix_len = key
        .find('_')
        .and_then(|i| key[i + 1..].find('_').map(|j| i + j + 2))
        .unwrap_or(0);
    let tail = key.get(key.len().saturating_sub(4)..).unwrap_or("");
    format!("{}…{tail}", &key[..prefix_len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefixes_and_redaction() {
        assert_eq!(
            KeyKind::of_key("sk_test_abc"),
            Some((KeyKind::Secret, false))
        );
        assert_eq!(
            KeyKind::of_key("pk_live_abc"),
            Some((KeyKind::Publishable, true))
        );
        assert_eq!(KeyKind::of_key("whsec_abc"), None);
        assert_eq!(redact("sk_test_0123456789abcdef"), "sk_test_…cdef");
        assert_eq!(key_hash("sk_test_x").len(), 64);
        assert_ne!(key_hash("sk_test_x"), key_hash("sk_test_y"));
    }

    #[test]
    fn settings_default_and_option_filter() {
        let s: Settings = serde_json::from_str("{}").expect("defaults");
        assert_eq!(s.session_ttl_secs, 1800);
        assert_eq!(s.native_quote_secs, 1800);
        assert!(
            !s.refund_requests,
            "stored settings from before the field read as off"
        );
        assert!(s.accepts(31337, "USDC"));
        let only = Settings {
            enabled_options: vec!["8453:USDC".into()],
            ..Settings::default()
        };
        assert!(only.accepts(8453, "usdc"));
        assert!(!only.accepts(8453, "USDT"));
    }

    fn catalogue() -> Catalogue {
        Catalogue::parse(crate::catalogue::BUILTIN_JSON).expect("built-in catalogue")
    }

    #[test]
    fn settings_updates_replace_what_they_name() {
        let current = Settings::default();
        let u = parse_update(
            r##"{"session_ttl_secs":900,"enabled_options":["31337:usdc","31337:eth","31337:USDC"],
                "allowed_origins":["https://Shop.example","http://localhost:3000"],
                "extra_confirmations":{"8453":3},"branding":{"accent_color":"#AA00FF"},
                "native_quote_secs":600,"refund_requests":true}"##,
            &current,
            &catalogue(),
        )
        .expect("valid");
        let s = u.settings;
        assert_eq!(s.session_ttl_secs, 900);
        assert_eq!(s.late_grace_secs, current.late_grace_secs);
        assert_eq!(s.native_quote_secs, 600);
        assert!(s.refund_requests);
        assert_eq!(s.enabled_options, ["31337:USDC", "31337:ETH"]);
        assert_eq!(
            s.allowed_origins,
            ["https://shop.example", "http://localhost:3000"]
        );
        assert_eq!(s.extra_confirmations.get(&8453), Some(&3));
        assert_eq!(s.branding.accent_color.as_deref(), Some("#aa00ff"));
        assert_eq!(s.branding.display_name, current.branding.display_name);
        assert_eq!(u.xpub_test, None);
    }

    #[test]
    fn an_update_names_the_other_modes_xpub_so_it_can_be_refused() {
        let u = parse_update(
            r#"{"xpub_live":"xpubL","native_quote_secs":60}"#,
            &Settings::default(),
            &catalogue(),
        )
        .expect("valid");
        assert_eq!(u.settings.native_quote_secs, 60);
        assert_eq!(u.other_mode_xpub(false), Some("xpub_live"));
        assert_eq!(u.other_mode_xpub(true), None);
        assert_eq!(u.own_xpub(true), (Some("xpubL"), "xpub_live"));
        assert_eq!(u.own_xpub(false), (None, "xpub_test"));
        let t = parse_update(
            r#"{"xpub_test":"xpubT"}"#,
            &Settings::default(),
            &catalogue(),
        )
        .expect("valid");
        assert_eq!(t.other_mode_xpub(true), Some("xpub_test"));
        assert_eq!(t.other_mode_xpub(false), None);
    }

    #[test]
    fn an_update_takes_each_modes_tron_xpub_and_names_the_other_modes() {
        let parse =
            |body: &str| parse_update(body, &Settings::default(), &catalogue()).expect("valid");
        let test = parse(r#"{"xpub_tron_test":" xpubTron "}"#);
        assert_eq!(
            test.own_tron_xpub(false),
            (Some("xpubTron"), "xpub_tron_test")
        );
        assert_eq!(test.own_tron_xpub(true), (None, "xpub_tron_live"));
        assert_eq!(test.own_xpub(false), (None, "xpub_test"));
        assert_eq!(test.other_mode_xpub(false), None);
        assert_eq!(test.other_mode_xpub(true), Some("xpub_tron_test"));
        let live = parse(r#"{"xpub_tron_live":"xpubL"}"#);
        assert_eq!(live.other_mode_xpub(false), Some("xpub_tron_live"));
        assert_eq!(live.other_mode_xpub(true), None);
        // The EVM xpub is named first when both of the other mode's are sent.
        let both = parse(r#"{"xpub_live":"a","xpub_tron_live":"b"}"#);
        assert_eq!(both.other_mode_xpub(false), Some("xpub_live"));
        for body in [r#"{"xpub_tron_test":1}"#, r#"{"xpub_tron_live":null}"#] {
            let e = parse_update(body, &Settings::default(), &catalogue()).expect_err(body);
            assert_eq!(e.param.as_deref(), body.get(2..16), "{body}");
        }
    }

    #[test]
    fn settings_refusals_name_the_parameter() {
        for (body, param) in [
            (r#"{"session_ttl_secs":10}"#, "session_ttl_secs"),
            (r#"{"late_grace_secs":-1}"#, "late_grace_secs"),
            (r#"{"native_quote_secs":59}"#, "native_quote_secs"),
            (r#"{"native_quote_secs":86401}"#, "native_quote_secs"),
            (r#"{"native_quote_secs":"600"}"#, "native_quote_secs"),
            (r#"{"native_quote_secs":600.5}"#, "native_quote_secs"),
            (
                r#"{"underpayment_tolerance_bps":5000}"#,
                "underpayment_tolerance_bps",
            ),
            (
                r#"{"extra_confirmations":{"999999":1}}"#,
                "extra_confirmations[999999]",
            ),
            (r#"{"enabled_options":["1:DOGE"]}"#, "enabled_options[0]"),
            (
                r#"{"allowed_origins":["https://shop.example/path"]}"#,
                "allowed_origins[0]",
            ),
            (
                r#"{"allowed_origins":"https://shop.example"}"#,
                "allowed_origins",
            ),
            (
                r#"{"branding":{"logo_url":"http://x.example/l.png"}}"#,
                "branding.logo_url",
            ),
            (
                r#"{"branding":{"accent_color":"red"}}"#,
                "branding.accent_color",
            ),
            (r#"{"branding":{"font":"x"}}"#, "branding.font"),
            (r#"{"xpub_test":1}"#, "xpub_test"),
            (r#"{"refund_requests":"true"}"#, "refund_requests"),
            (r#"{"refund_requests":1}"#, "refund_requests"),
            (r#"{"refund_requests":null}"#, "refund_requests"),
            (r#"{"owner":"x"}"#, "owner"),
        ] {
            let e = parse_update(body, &Settings::default(), &catalogue()).expect_err(body);
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
    }
}
