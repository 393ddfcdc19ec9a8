//! Everything the worker reads from its environment: bindings, variables and secrets.

use std::sync::OnceLock;

use kasse_shared::catalogue::{BUILTIN_JSON, Catalogue, Chain};
use worker::{D1Database, Env};

pub(crate) const DB_BINDING: &str = "DB";
pub(crate) const ASSETS_BINDING: &str = "ASSETS";

/// The built-in catalogue, parsed once per isolate.
pub(crate) fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| match Catalogue::parse(BUILTIN_JSON) {
        Ok(catalogue) => catalogue,
        // chains.json is checked by `kasse-shared`'s tests; a broken one never ships.
        Err(e) => panic!("built-in chains.json is invalid: {e}"),
    })
}

pub(crate) fn db(env: &Env) -> worker::Result<D1Database> {
    env.d1(DB_BINDING)
}

fn string(env: &Env, name: &str) -> Option<String> {
    let value = env
        .secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()));
    value.ok().filter(|v| !v.is_empty())
}

pub(crate) fn admin_token(env: &Env) -> Option<String> {
    string(env, "ADMIN_TOKEN")
}

/// The RPC URL of a chain; `None` means the chain is not served by this deployment.
pub(crate) fn rpc_url(env: &Env, chain: &Chain) -> Option<String> {
    string(env, &chain.rpc_url_var)
}

/// Test helpers (clock shifting, clones, smoke probes) exist only when `KASSE_TEST_HELPERS`
/// turns them on (see [`test_helpers_flag`]). They must never be on in a deploy.
pub(crate) fn test_helpers_enabled(env: &Env) -> bool {
    let value = env
        .secret("KASSE_TEST_HELPERS")
        .map(|s| s.to_string())
        .or_else(|_| env.var("KASSE_TEST_HELPERS").map(|v| v.to_string()))
        .ok();
    test_helpers_flag(value.as_deref())
}

/// Whether a `KASSE_TEST_HELPERS` value turns the helpers on: only the exact strings `1`
/// and `true`. Anything else is off, including other spellings of yes (`TRUE`, `yes`,
/// `on`), surrounding spaces and an empty or missing value: a typo must fail closed.
pub(crate) fn test_helpers_flag(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "true"))
}

/// Sessions one client IP may start per minute without a secret key (payment link page,
/// publishable key): `STARTS_PER_MINUTE`, default 10.
pub(crate) fn starts_per_minute(env: &Env) -> u64 {
    string(env, "STARTS_PER_MINUTE")
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}

/// Chains this deployment watches: catalogue entries whose RPC URL is configured, and whose
/// API key too where the provider wants one (a chain without it would only fail each run).
pub(crate) fn served_chains(env: &Env) -> Vec<(&'static Chain, String)> {
    catalogue()
        .chains
        .iter()
        .filter(|chain| {
            chain
                .rpc_api_key
                .as_ref()
                .is_none_or(|key| string(env, &key.var).is_some())
        })
        .filter_map(|chain| Some((chain, rpc_url(env, chain)?)))
        .collect()
}

/// The public origin of this deployment, for URLs in responses and webhook snapshots:
/// `PUBLIC_BASE_URL` if set, else the origin the request reached.
pub(crate) fn base_url(env: &Env, request_origin: Option<&str>) -> String {
    string(env, "PUBLIC_BASE_URL")
        .or_else(|| request_origin.map(str::to_owned))
        .unwrap_or_default()
}

/// The RPC client of `chain` at `url`: `RPC_TIMEOUT_MS` (default 10 s), the provider's API
/// key header if the chain names one, one call per request where it takes no batches.
pub(crate) fn rpc(env: &Env, chain: &Chain, url: String) -> crate::chain::rpc::Rpc {
    let timeout = string(env, "RPC_TIMEOUT_MS")
        .and_then(|ms| ms.parse().ok())
        .map_or(
            crate::chain::rpc::DEFAULT_TIMEOUT,
            std::time::Duration::from_millis,
        );
    let api_key = chain
        .rpc_api_key
        .as_ref()
        .and_then(|key| Some((key.header.clone(), string(env, &key.var)?)));
    crate::chain::rpc::Rpc {
        url,
        timeout,
        sent: Default::default(),
        unbatched: chain.rpc_limits.max_batch <= 1,
        api_key,
        confirm_by: chain.confirm_by,
    }
}

#[cfg(test)]
mod tests {
    use super::test_helpers_flag;

    #[test]
    fn test_helpers_are_on_only_for_exactly_1_or_true() {
        for on in ["1", "true"] {
            assert!(test_helpers_flag(Some(on)), "{on:?} turns them on");
        }
        for off in [
            "",
            "0",
            "false",
            "no",
            "off",
            "yes",
            "on",
            "TRUE",
            "True",
            "true ",
            " true",
            "1 ",
            "01",
            "2",
            "y",
            "enabled",
            "\u{200b}1",
        ] {
            assert!(!test_helpers_flag(Some(off)), "{off:?} leaves them off");
        }
        assert!(!test_helpers_flag(None), "unset leaves them off");
    }
}
