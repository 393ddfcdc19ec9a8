//! EIP-681 payment URIs, the content of the QR code.
//!
//! ERC-20: `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<amount>`;
//! native coin: `ethereum:<to>@<chainId>?value=<amount>`. Amounts are plain base-unit
//! integers (never scientific notation) and the chain id is always present, so a wallet
//! cannot send on the wrong network by default.

use alloy_primitives::{Address, U256};

pub fn payment_uri(
    chain_id: u64,
    token_contract: Option<Address>,
    to: Address,
    amount: U256,
) -> String {
    match token_contract {
        Some(token) => format!(
            "ethereum:{}@{chain_id}/transfer?address={}&uint256={amount}",
            token.to_checksum(None),
            to.to_checksum(None)
        ),
        None => format!(
            "ethereum:{}@{chain_id}?value={amount}",
            to.to_checksum(None)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_native_forms() {
        let usdc: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
            .parse()
            .expect("address");
        let to: Address = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
            .parse()
            .expect("address");
        assert_eq!(
            payment_uri(31337, Some(usdc), to, U256::from(49_990_000u64)),
            "ethereum:0x5FbDB2315678afecb367f032d93F642f64180aa3@31337/transfer?address=0x9858EfFD232B4033E47d90003D41EC34EcaEda94&uint256=49990000"
        );
        let wei = U256::from(10u8).pow(U256::from(24u8));
        assert_eq!(
            payment_uri(8453, None, to, wei),
            "ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94@8453?value=1000000000000000000000000"
        );
    }
}
