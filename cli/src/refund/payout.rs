//! What paying a refund means, decided without I/O: whether a refund may be paid now, the
//! one transaction that pays it (an ERC-20 `transfer` of exactly its amount, or a native
//! transfer), whether the treasury can afford it, and whether a mined receipt moved it.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, Log, U256};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent};
use kasse_shared::api::refunds::RefundObject;
use kasse_shared::money::format_units;
use kasse_shared::refund::RefundStatus;

use crate::Result;

sol! {
    interface IRefundToken {
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address owner) external view returns (uint256 balance);
        event Transfer(address indexed from, address indexed to, uint256 value);
    }
}

/// What a pending refund sends: exactly its amount of its token, on its chain, to its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payout {
    pub(crate) chain_id: u64,
    pub(crate) chain: String,
    pub(crate) to: Address,
    pub(crate) amount: U256,
    /// The token's contract; `None` for the chain's native coin.
    pub(crate) contract: Option<Address>,
    pub(crate) token: String,
    pub(crate) decimals: u8,
}

/// The chain's native coin, which pays the gas.
pub(crate) struct Coin<'a> {
    pub(crate) symbol: &'a str,
    pub(crate) decimals: u8,
}

impl Payout {
    /// The payout of `refund`, or why it must not be paid now. A pending refund that already
    /// has a transfer recorded or a transaction reported is refused too: paying it again
    /// would send the money twice.
    pub(crate) fn of(refund: &RefundObject) -> Result<Self> {
        let id = refund.id.as_str();
        match refund.status {
            RefundStatus::Pending => {}
            RefundStatus::RequiresAddress => {
                return Err(format!(
                    "refund {id} has no address yet (requires_address): the shopper gives one through its claim link; nothing was sent"
                ));
            }
            RefundStatus::Succeeded => {
                let by = refund
                    .transaction
                    .as_ref()
                    .map_or_else(String::new, |t| format!(" by {}", t.tx_hash));
                return Err(format!(
                    "refund {id} is succeeded: it was paid already{by}; nothing was sent"
                ));
            }
            RefundStatus::Canceled => {
                return Err(format!(
                    "refund {id} is canceled: it must not be paid; nothing was sent"
                ));
            }
            RefundStatus::Failed => {
                return Err(format!(
                    "refund {id} is failed ({}): create a new refund to pay it; nothing was sent",
                    refund.failure_code.as_deref().unwrap_or("no reason given")
                ));
            }
        }
        if let Some(paid) = &refund.transaction {
            return Err(format!(
                "refund {id} already has its transfer {} recorded ({}): it succeeds once the transfer is deep enough; nothing was sent",
                paid.tx_hash,
                confirmations(paid.confirmations)
            ));
        }
        if let Some(hash) = &refund.submitted_hash {
            return Err(format!(
                "refund {id} already has the transaction {hash} reported and waits for it to be mined; if it was dropped, cancel the refund and create a new one; nothing was sent"
            ));
        }
        let address = refund
            .address
            .as_deref()
            .ok_or_else(|| format!("refund {id} is pending but has no address"))?;
        let to: Address = address
            .parse()
            .map_err(|_| format!("refund {id}: the API's address {address} is not an address"))?;
        let contract = match refund.contract_address.as_deref() {
            Some(text) => Some(text.parse::<Address>().map_err(|_| {
                format!("refund {id}: the API's contract_address {text} is not an address")
            })?),
            None => None,
        };
        let amount = base_units(&refund.amount).ok_or_else(|| {
            format!(
                "refund {id}: the API's amount {} is not a positive integer of base units",
                refund.amount
            )
        })?;
        Ok(Self {
            chain_id: refund.chain_id,
            chain: refund.chain.clone(),
            to,
            amount,
            contract,
            token: refund.token.clone(),
            decimals: refund.decimals,
        })
    }

    /// `1.5 USDC` (whole units, as the API formats them).
    fn formatted(&self, amount: U256) -> String {
        format!("{} {}", format_units(amount, self.decimals), self.token)
    }

    /// The ERC-20 `transfer(address, amount)` call data; `None` for a native transfer.
    pub(crate) fn calldata(&self) -> Option<Bytes> {
        self.contract.map(|_| {
            IRefundToken::transferCall {
                to: self.to,
                amount: self.amount,
            }
            .abi_encode()
            .into()
        })
    }

    /// The transaction that pays it from `from`, before gas is set.
    pub(crate) fn request(&self, from: Address) -> TransactionRequest {
        let request = TransactionRequest::default().with_from(from);
        match (self.contract, self.calldata()) {
            (Some(contract), Some(input)) => request.with_to(contract).with_input(input),
            _ => request.with_to(self.to).with_value(self.amount),
        }
    }

    /// What it would send, for the merchant to read before anything is sent.
    pub(crate) fn describe(&self) -> String {
        let how = match (self.contract, self.calldata()) {
            (Some(contract), Some(input)) => format!(
                "as transfer({}, {}) to the {} contract {contract}\n  call data {input}",
                self.to, self.amount, self.token
            ),
            _ => format!(
                "as a plain {} transfer (value {}) to that address",
                self.token, self.amount
            ),
        };
        format!(
            "To send: {} ({} base units) to {} on {} (chain {}),\n  {how}\n",
            self.formatted(self.amount),
            self.amount,
            self.to,
            self.chain,
            self.chain_id
        )
    }

    /// Refuses before anything is signed when the treasury is the refund's own address or
    /// holds less of the token than the amount (`held`: its balance of the refund's token,
    /// of the native coin for a native refund).
    pub(crate) fn check_balance(&self, treasury: Address, held: U256) -> Result<()> {
        if treasury == self.to {
            return Err(format!(
                "the refund's address {} is the treasury itself: paying it would move nothing; nothing was sent",
                self.to
            ));
        }
        if held < self.amount {
            return Err(format!(
                "the treasury {treasury} holds {} but the refund needs {}: {} ({} base units) short; fund the treasury; nothing was sent",
                self.formatted(held),
                self.formatted(self.amount),
                self.formatted(self.amount - held),
                self.amount - held
            ));
        }
        Ok(())
    }

    /// Refuses when the treasury's native coin cannot pay `max_fee` (and, for a native
    /// refund, the amount too).
    pub(crate) fn check_gas(
        &self,
        treasury: Address,
        native: U256,
        max_fee: U256,
        coin: &Coin<'_>,
    ) -> Result<()> {
        let (needed, what) = match self.contract {
            Some(_) => (max_fee, "the transfer's gas may cost up to".to_owned()),
            None => (
                self.amount.saturating_add(max_fee),
                format!(
                    "the refund ({}) and its gas (up to {} {}) need",
                    self.formatted(self.amount),
                    format_units(max_fee, coin.decimals),
                    coin.symbol
                ),
            ),
        };
        if native >= needed {
            return Ok(());
        }
        let units = |a| format!("{} {}", format_units(a, coin.decimals), coin.symbol);
        Err(format!(
            "the treasury {treasury} holds {} but {what} {}: {} short; fund the treasury; nothing was sent",
            units(native),
            units(needed),
            units(needed - native)
        ))
    }

    /// Whether the receipt's `logs` hold the token transfer of exactly the amount from
    /// `from` to the refund's address: a token may answer without moving anything.
    pub(crate) fn paid_by(&self, from: Address, logs: &[Log]) -> bool {
        let Some(contract) = self.contract else {
            return false;
        };
        logs.iter()
            .filter(|log| log.address == contract)
            .filter_map(|log| IRefundToken::Transfer::decode_log(log).ok())
            .any(|t| t.from == from && t.to == self.to && t.value == self.amount)
    }
}

/// A token's answer to the simulated `transfer`: nothing (tokens like USDT return no bool)
/// or `true`; `false` or anything else refuses.
pub(crate) fn check_answer(answer: &[u8], token: &str) -> Result<()> {
    if answer.is_empty() {
        return Ok(());
    }
    match answer.get(..32).map(U256::from_be_slice) {
        Some(v) if answer.len() == 32 && v == U256::from(1) => Ok(()),
        Some(v) if answer.len() == 32 && v.is_zero() => Err(format!(
            "the {token} contract answers false to the transfer from the treasury: it would move nothing; nothing was sent"
        )),
        _ => Err(format!(
            "the {token} contract answers the transfer with something that is not a bool; nothing was sent"
        )),
    }
}

/// The call that reads `owner`'s balance of `contract`.
pub(crate) fn balance_request(contract: Address, owner: Address) -> TransactionRequest {
    TransactionRequest::default()
        .with_to(contract)
        .with_input(IRefundToken::balanceOfCall { owner }.abi_encode())
}

/// The balance in a `balanceOf` answer.
pub(crate) fn balance_of(answer: &[u8]) -> Option<U256> {
    IRefundToken::balanceOfCall::abi_decode_returns(answer).ok()
}

/// Whether to ask before sending: never with `--yes`; with no terminal to ask on, a refusal.
pub(crate) fn must_ask(yes: bool, terminal: bool) -> Result<bool> {
    match (yes, terminal) {
        (true, _) => Ok(false),
        (false, true) => Ok(true),
        (false, false) => Err(
            "--execute asks for confirmation, and stdin is not a terminal: add --yes; nothing was sent"
                .into(),
        ),
    }
}

/// A gas limit for an estimate: room for a state change between estimate and inclusion;
/// unused gas is not paid.
pub(crate) fn gas_limit(estimate: u64) -> u64 {
    estimate.saturating_add(estimate / 5)
}

/// A positive integer of base units, as the API writes amounts.
fn base_units(text: &str) -> Option<U256> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    U256::from_str_radix(text, 10).ok().filter(|a| !a.is_zero())
}

fn confirmations(n: u64) -> String {
    match n {
        1 => "1 confirmation".into(),
        n => format!("{n} confirmations"),
    }
}

/// The refund as the merchant reads it before paying.
pub(crate) fn describe_refund(refund: &RefundObject) -> String {
    let token = match &refund.contract_address {
        Some(contract) => format!("{} at {contract}", refund.token),
        None => format!("{} (the chain's native coin)", refund.token),
    };
    let mut out = format!(
        "Refund {}\n  Status        {}\n  Amount        {} {} ({} base units)\n  Token         {token}\n  Chain         {} ({})\n  Address       {}\n  Requested by  {}\n  Reason        {}\n  Session       {}\n",
        refund.id.as_str(),
        refund.status.as_str(),
        refund.amount_formatted,
        refund.token,
        refund.amount,
        refund.chain,
        refund.chain_id,
        refund.address.as_deref().unwrap_or("none yet"),
        refund.requested_by.as_str(),
        refund.reason.as_deref().unwrap_or("-"),
        refund.session.as_str(),
    );
    if let Some(payment) = &refund.payment {
        out.push_str(&format!("  Payment       {}\n", payment.as_str()));
    }
    out
}

/// One line saying where the refund stands after a transaction was reported.
pub(crate) fn status_line(refund: &RefundObject) -> String {
    let id = refund.id.as_str();
    match (refund.status, &refund.transaction) {
        (RefundStatus::Succeeded, Some(t)) => format!(
            "Refund {id}: succeeded, paid by {} ({}).",
            t.tx_hash,
            confirmations(t.confirmations)
        ),
        (RefundStatus::Pending, Some(t)) => format!(
            "Refund {id}: pending, Kasse recorded {} ({}); it succeeds once the transfer is deep enough.",
            t.tx_hash,
            confirmations(t.confirmations)
        ),
        (RefundStatus::Pending, None) => format!(
            "Refund {id}: pending, Kasse keeps {} and verifies it once it is mined.",
            refund
                .submitted_hash
                .as_deref()
                .unwrap_or("the reported transaction")
        ),
        (RefundStatus::Failed, _) => format!(
            "Refund {id}: failed, {}",
            refund
                .failure_message
                .as_deref()
                .unwrap_or("the transaction did not pay it.")
        ),
        (status, _) => format!("Refund {id}: {}.", status.as_str()),
    }
}
