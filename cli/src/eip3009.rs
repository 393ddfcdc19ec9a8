//! EIP-3009 relays, for chains without EIP-7702: a token that takes `transferWithAuthorization`
//! (USDC does) moves on an authorization its deposit key signs here, in a transaction the gas
//! wallet sends and pays, so the deposit address never needs native coin. The authorizations of
//! many addresses ride in one Multicall3 `aggregate3`: anyone may submit them, and the token
//! emits its `Transfer` from the deposit address whoever sent the transaction.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{Eip712Domain, SolCall, SolStruct};

use crate::Result;
use crate::chain::{IMulticall3, rpc_error};

sol! {
    /// The message a holder signs; the token checks it under its EIP-712 domain.
    struct TransferWithAuthorization {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
    }

    interface IEip3009 {
        function name() external view returns (string memory);
        function version() external view returns (string memory);
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function authorizationState(address authorizer, bytes32 nonce) external view returns (bool);
        function transferWithAuthorization(
            address from,
            address to,
            uint256 value,
            uint256 validAfter,
            uint256 validBefore,
            bytes32 nonce,
            uint8 v,
            bytes32 r,
            bytes32 s
        ) external;
    }
}

/// How long a signed authorization stays valid: long enough to be mined, short enough that a
/// leaked one is soon worthless.
const VALID_FOR_SECONDS: u64 = 3_600;
/// Relays estimated together to learn the gas of one, before the batches are sized.
const PROBE: usize = 10;

/// The EIP-712 domain `token` checks authorizations under, or `None` when it takes none.
///
/// Support is read from the contract, not guessed from the symbol: a bridged "USDC" on some
/// chains has no EIP-3009, and other tokens do. A token counts when it answers
/// `authorizationState`, `name` and `version`, and its `DOMAIN_SEPARATOR` equals the domain
/// built from them: only then does a signature made here verify on chain.
pub(crate) async fn domain(
    provider: &DynProvider,
    chain: u64,
    token: Address,
) -> Option<Eip712Domain> {
    let call = |input: Vec<u8>| {
        let request = TransactionRequest::default().to(token).input(input.into());
        async move { provider.call(request).await.ok() }
    };
    let state = call(
        IEip3009::authorizationStateCall {
            authorizer: Address::ZERO,
            nonce: B256::ZERO,
        }
        .abi_encode(),
    )
    .await?;
    IEip3009::authorizationStateCall::abi_decode_returns(&state).ok()?;
    let name = call(IEip3009::nameCall {}.abi_encode()).await?;
    let name = IEip3009::nameCall::abi_decode_returns(&name).ok()?;
    let version = call(IEip3009::versionCall {}.abi_encode()).await?;
    let version = IEip3009::versionCall::abi_decode_returns(&version).ok()?;
    let separator = call(IEip3009::DOMAIN_SEPARATORCall {}.abi_encode()).await?;
    let separator = IEip3009::DOMAIN_SEPARATORCall::abi_decode_returns(&separator).ok()?;
    let domain = Eip712Domain::new(
        Some(name.into()),
        Some(version.into()),
        Some(U256::from(chain)),
        Some(token),
        None,
    );
    (domain.separator() == separator).then_some(domain)
}

/// One token balance to relay: the whole of it, from `key`'s address to the treasury.
pub(crate) struct Transfer<'a> {
    pub(crate) key: &'a PrivateKeySigner,
    pub(crate) token: Address,
    pub(crate) domain: &'a Eip712Domain,
    pub(crate) amount: U256,
}

/// One relay transaction: the addresses whose authorizations it carries (one per transfer)
/// and the `aggregate3` call, with the chain's estimate of its gas.
pub(crate) struct Batch {
    pub(crate) from: Vec<Address>,
    pub(crate) request: TransactionRequest,
    pub(crate) gas: u64,
}

/// Signs each transfer's authorization (random nonce, valid for an hour) and packs them into
/// batches of at most half a block's gas, each estimated by the chain.
pub(crate) async fn prepare(
    provider: &DynProvider,
    chain: u64,
    multicall: Address,
    gas_wallet: Address,
    treasury: Address,
    transfers: &[Transfer<'_>],
    block_gas_limit: u64,
) -> Result<Vec<Batch>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970")?
        .as_secs();
    let calls = transfers
        .iter()
        .map(|t| signed_call(t, treasury, now + VALID_FOR_SECONDS))
        .collect::<Result<Vec<_>>>()?;
    let probe = estimated(
        provider,
        chain,
        multicall,
        gas_wallet,
        &calls[..calls.len().min(PROBE)],
    )
    .await?;
    let per_relay = (probe.gas / probe.from.len().max(1) as u64).max(1);
    let per_batch = usize::try_from(block_gas_limit / 2 / (per_relay + per_relay / 5))
        .unwrap_or(usize::MAX)
        .max(1);
    if calls.len() <= PROBE && calls.len() <= per_batch {
        return Ok(vec![probe]);
    }
    let mut batches = Vec::new();
    for part in calls.chunks(per_batch) {
        batches.push(estimated(provider, chain, multicall, gas_wallet, part).await?);
    }
    Ok(batches)
}

fn signed_call(
    transfer: &Transfer<'_>,
    treasury: Address,
    valid_before: u64,
) -> Result<(Address, IMulticall3::Call3)> {
    let from = transfer.key.address();
    let message = TransferWithAuthorization {
        from,
        to: treasury,
        value: transfer.amount,
        validAfter: U256::ZERO,
        validBefore: U256::from(valid_before),
        // Random rather than counted: EIP-3009 nonces are unordered, and a random one never
        // collides with an authorization signed elsewhere.
        nonce: B256::random(),
    };
    let signature = transfer
        .key
        .sign_hash_sync(&message.eip712_signing_hash(transfer.domain))
        .map_err(|_| format!("cannot sign the transfer authorization of {from}"))?;
    let call = IEip3009::transferWithAuthorizationCall {
        from,
        to: treasury,
        value: transfer.amount,
        validAfter: message.validAfter,
        validBefore: message.validBefore,
        nonce: message.nonce,
        v: 27 + u8::from(signature.v()),
        r: signature.r().into(),
        s: signature.s().into(),
    };
    Ok((
        from,
        IMulticall3::Call3 {
            target: transfer.token,
            allowFailure: false,
            callData: call.abi_encode().into(),
        },
    ))
}

async fn estimated(
    provider: &DynProvider,
    chain: u64,
    multicall: Address,
    gas_wallet: Address,
    part: &[(Address, IMulticall3::Call3)],
) -> Result<Batch> {
    let calls: Vec<IMulticall3::Call3> = part.iter().map(|(_, c)| c.clone()).collect();
    let request = TransactionRequest::default()
        .with_from(gas_wallet)
        .with_to(multicall)
        .with_input(IMulticall3::aggregate3Call { calls }.abi_encode());
    let gas = provider
        .estimate_gas(request.clone())
        .await
        .map_err(|e| rpc_error(chain, "estimating the EIP-3009 relay's gas", &e))?;
    Ok(Batch {
        from: part.iter().map(|(a, _)| *a).collect(),
        request,
        gas,
    })
}
