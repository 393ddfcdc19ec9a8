//! The sweeper contract: deployed through the standard CREATE2 deployer with a fixed salt, so
//! one treasury and gas wallet have the same sweeper address on every chain.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, address, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolValue;

use crate::chain::{self, rpc_error};
use crate::config::Settings;
use crate::{Result, keys};

/// The deterministic-deployment proxy present on most chains (and on anvil by default): it
/// deploys `calldata[32..]` with CREATE2 and salt `calldata[..32]`.
pub(crate) const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920cA78FbF26c0B4956C");

/// Compiled from `xtask/chain/contracts/Sweeper.sol` by `xtask/chain/artifact.mjs`.
const CREATION_CODE_HEX: &str = include_str!("../contracts/Sweeper.bytecode.hex");

fn salt() -> B256 {
    keccak256(b"kasse.sweeper.v1")
}

/// The creation code with its constructor arguments `(treasury, gasWallet)`.
fn init_code(treasury: Address, gas_wallet: Address) -> Result<Vec<u8>> {
    let mut code: Vec<u8> = alloy::hex::decode(CREATION_CODE_HEX.trim())
        .map_err(|_| "the embedded sweeper bytecode is not hex".to_owned())?;
    code.extend((treasury, gas_wallet).abi_encode_params());
    Ok(code)
}

/// Where the sweeper of `treasury` and `gas_wallet` is (or will be) on every chain.
pub(crate) fn address(treasury: Address, gas_wallet: Address) -> Result<Address> {
    Ok(CREATE2_DEPLOYER.create2_from_code(salt(), init_code(treasury, gas_wallet)?))
}

pub(crate) async fn deploy(settings: &Settings, chain: u64, treasury: Address) -> Result<()> {
    let gas = keys::gas_wallet()?;
    let target = address(treasury, gas.address())?;
    let provider = chain::sender(settings, chain, &gas).await?;
    let code_at = |a: Address| {
        let provider = provider.clone();
        async move {
            provider
                .get_code_at(a)
                .await
                .map_err(|e| rpc_error(chain, "eth_getCode", &e))
        }
    };
    if !code_at(target).await?.is_empty() {
        println!("The sweeper is already deployed on chain {chain} at {target}: nothing to do.");
        return Ok(());
    }
    if code_at(CREATE2_DEPLOYER).await?.is_empty() {
        return Err(format!(
            "chain {chain} has no CREATE2 deployer at {CREATE2_DEPLOYER}: the sweeper cannot get its same-on-every-chain address there"
        ));
    }
    let mut input = salt().to_vec();
    input.extend(init_code(treasury, gas.address())?);
    let request = TransactionRequest::default()
        .with_from(gas.address())
        .with_to(CREATE2_DEPLOYER)
        .with_input(Bytes::from(input));
    let pending = provider
        .send_transaction(request)
        .await
        .map_err(|e| rpc_error(chain, "deploying the sweeper", &e))?;
    let hash = *pending.tx_hash();
    println!("Deploying the sweeper on chain {chain}: transaction {hash}");
    let receipt = pending
        .get_receipt()
        .await
        .map_err(|e| rpc_error(chain, "waiting for the deployment", &e))?;
    if !receipt.status() || code_at(target).await?.is_empty() {
        return Err(format!(
            "the deployment transaction {hash} failed on chain {chain}"
        ));
    }
    println!(
        "Sweeper deployed at {target} (treasury {treasury}, gas wallet {}), gas used {}",
        gas.address(),
        receipt.gas_used
    );
    Ok(())
}
