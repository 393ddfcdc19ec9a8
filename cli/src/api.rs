//! The Kasse API, with the merchant's secret key: the chains it serves, the sessions, the
//! report of each sweep transaction, and the refunds the merchant pays. Nothing sent here carries a key of the wallet.

use alloy::primitives::{Address, B256, U256};
use kasse_shared::api::refunds::RefundObject;
use kasse_shared::ids::RefundId;
use kasse_shared::status::Status;
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Result;
use crate::config;

pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Chain {
    pub(crate) chain_id: u64,
    pub(crate) name: String,
    pub(crate) native_symbol: String,
    pub(crate) native_decimals: u8,
    pub(crate) multicall3: Address,
    /// US dollars per whole native coin, a decimal string; `None` when the worker has no reading.
    pub(crate) native_usd_price: Option<String>,
    pub(crate) tokens: Vec<Token>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Token {
    pub(crate) symbol: String,
    pub(crate) contract_address: Address,
    pub(crate) decimals: u8,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) status: Status,
    pub(crate) address: Address,
    pub(crate) derivation_index: Option<u32>,
    pub(crate) late_until: Timestamp,
    /// The options the shopper was offered; the watcher keeps reading the native coin's
    /// balance of an address whose session offered it, until `late_until`.
    #[serde(default)]
    pub(crate) supported_tokens: Vec<Offered>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Offered {
    pub(crate) chain_id: u64,
    pub(crate) contract_address: Option<Address>,
}

impl Session {
    /// Whether Kasse still reads this address's native balance on `chain_id` at `now`:
    /// native coin arriving now (a gas top-up too) would be recorded as a payment.
    pub(crate) fn native_watched(&self, chain_id: u64, now: Timestamp) -> bool {
        now <= self.late_until
            && self
                .supported_tokens
                .iter()
                .any(|o| o.chain_id == chain_id && o.contract_address.is_none())
    }
}

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
    has_more: bool,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Sweep {
    pub(crate) id: String,
}

/// Prints what Kasse named a reported transaction; a report that failed stops the run, since
/// the transaction is mined and the merchant must report it again (`POST /v1/sweeps`).
pub(crate) fn announce_report(hash: B256, reported: Result<Sweep>) -> Result<()> {
    match reported {
        Ok(sweep) => {
            println!("Reported to Kasse as {}", sweep.id);
            Ok(())
        }
        Err(e) => Err(format!(
            "{hash} was sent and mined, but reporting it failed: {e}"
        )),
    }
}

impl Api {
    pub(crate) fn from_env() -> Result<Self> {
        let base = config::required("KASSE_URL", "the address of your Kasse deployment")?;
        let key = config::required("KASSE_API_KEY", "a secret key (sk_test_… or sk_live_…)")?;
        if !key.starts_with("sk_") {
            return Err("KASSE_API_KEY must be a secret key (sk_test_… or sk_live_…), not a publishable key".into());
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("kasse-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    async fn read<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T> {
        let response = request.bearer_auth(&self.key).send().await.map_err(|e| {
            format!(
                "{what}: the Kasse API at {} did not answer: {}",
                self.base,
                without_url(&e)
            )
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("{what}: reading the answer failed: {}", without_url(&e)))?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| b.error.message)
                .unwrap_or_else(|_| "no error message".into());
            return Err(format!(
                "{what}: the Kasse API answered {}: {detail}",
                status.as_u16()
            ));
        }
        serde_json::from_slice(&body).map_err(|e| format!("{what}: unexpected answer: {e}"))
    }

    /// The chains this deployment serves in the key's mode.
    pub(crate) async fn chains(&self) -> Result<Vec<Chain>> {
        let list: List<Chain> = self
            .read(
                self.http.get(format!("{}/v1/chains", self.base)),
                "GET /v1/chains",
            )
            .await?;
        Ok(list.data)
    }

    /// The chain `id`, which the key's mode must serve.
    pub(crate) async fn chain(&self, id: u64) -> Result<Chain> {
        let chains = self.chains().await?;
        let served: Vec<String> = chains.iter().map(|c| c.chain_id.to_string()).collect();
        chains.into_iter().find(|c| c.chain_id == id).ok_or_else(|| {
            format!(
                "chain {id} is not served by this Kasse deployment in this key's mode (served: {})",
                if served.is_empty() { "none".into() } else { served.join(", ") }
            )
        })
    }

    /// Every checkout session of the key's account and mode.
    pub(crate) async fn sessions(&self) -> Result<Vec<Session>> {
        let mut all: Vec<Session> = Vec::new();
        loop {
            let mut url = format!("{}/v1/checkout_sessions?limit=100", self.base);
            if let Some(last) = all.last() {
                url.push_str(&format!("&starting_after={}", last.id));
            }
            let page: List<Session> = self
                .read(self.http.get(url), "GET /v1/checkout_sessions")
                .await?;
            let more = page.has_more && !page.data.is_empty();
            all.extend(page.data);
            if !more {
                return Ok(all);
            }
        }
    }

    /// Tells Kasse about a sweep transaction; its watcher verifies it on chain.
    pub(crate) async fn report_sweep(&self, chain_id: u64, tx_hash: B256) -> Result<Sweep> {
        let body = serde_json::json!({ "chain_id": chain_id, "tx_hash": tx_hash.to_string() });
        let request = self
            .http
            .post(format!("{}/v1/sweeps", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.read(request, "POST /v1/sweeps").await
    }

    /// The refund `id` of the key's account and mode.
    pub(crate) async fn refund(&self, id: &RefundId) -> Result<RefundObject> {
        let path = format!("/v1/refunds/{}", id.as_str());
        self.read(
            self.http.get(format!("{}{path}", self.base)),
            &format!("GET {path}"),
        )
        .await
    }

    /// Reports the transaction that paid refund `id`; Kasse verifies it on chain at once and
    /// answers with the refund as it now stands.
    pub(crate) async fn submit_refund(&self, id: &RefundId, tx_hash: B256) -> Result<RefundObject> {
        let path = format!("/v1/refunds/{}/submit", id.as_str());
        let body = serde_json::json!({ "tx_hash": tx_hash.to_string() });
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.read(request, &format!("POST {path}")).await
    }
}

/// reqwest's message without the URL (a URL may carry credentials).
fn without_url(e: &reqwest::Error) -> String {
    let mut plain = e.to_string();
    if let Some(url) = e.url() {
        plain = plain.replace(url.as_str(), "…");
    }
    plain
}

/// A decimal string of whole units (`"2000.00000000"`) in base units of `decimals`, exactly;
/// more fractional digits than `decimals` are cut (prices only).
pub(crate) fn decimal_to_units(s: &str, decimals: u8) -> Option<U256> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let kept: String = frac.chars().take(usize::from(decimals)).collect();
    let text = if kept.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{kept}")
    };
    kasse_shared::money::parse_units(&text, decimals)
}
