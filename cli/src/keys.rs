//! The merchant's keys: deposit keys, the gas wallet and the treasury that pays refunds, from
//! the mnemonic Kasse's worker never holds (or, for the wallets, a key file). No message here ever carries the mnemonic, a word of it or a key.

use std::io::IsTerminal;

use alloy::primitives::B256;
use alloy::signers::local::{MnemonicBuilder, MnemonicKey, PrivateKeySigner};

use crate::Result;
use crate::config::{self, DEFAULT_DEPOSIT_PATH, DEFAULT_GAS_WALLET_PATH, DEFAULT_TREASURY_PATH};

/// The mnemonic, read once per run (file or prompt), never printed.
struct Phrase(String);

fn phrase() -> Result<Phrase> {
    if let Some(path) = config::var("KASSE_MNEMONIC_FILE") {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read KASSE_MNEMONIC_FILE {path}: {}", e.kind()))?;
        return Ok(Phrase(normalized(&text)));
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "no mnemonic: set KASSE_MNEMONIC_FILE (stdin is not a terminal, so it cannot be asked for)"
                .into(),
        );
    }
    let text = rpassword::prompt_password("Mnemonic (not shown): ")
        .map_err(|e| format!("cannot read the mnemonic: {}", e.kind()))?;
    Ok(Phrase(normalized(&text)))
}

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The deposit keys: the parent at the deposit path, whose child `i` is session index `i`.
pub(crate) struct DepositKeys {
    parent: MnemonicKey,
}

impl DepositKeys {
    pub(crate) fn key(&self, index: u32) -> Result<PrivateKeySigner> {
        self.parent
            .child(index)
            .map(|k| k.signer())
            .map_err(|_| format!("cannot derive the deposit key at index {index}"))
    }
}

/// Both key sets of a run from one reading of the mnemonic (a gas key file replaces the
/// mnemonic's gas wallet).
pub(crate) struct Keys {
    pub(crate) deposits: DepositKeys,
    pub(crate) gas: PrivateKeySigner,
}

pub(crate) fn load() -> Result<Keys> {
    let phrase = phrase()?;
    let deposit_path =
        config::var("KASSE_DEPOSIT_PATH").unwrap_or_else(|| DEFAULT_DEPOSIT_PATH.to_owned());
    let parent = builder(
        &phrase,
        &format!("{}/0", deposit_path.trim_end_matches('/')),
        "KASSE_DEPOSIT_PATH",
    )?
    .build_parent_key()
    .map_err(|_| invalid_mnemonic())?;
    let gas = match key_file(GAS_WALLET.key_file)? {
        Some(key) => key,
        None => wallet_from_phrase(&phrase, &GAS_WALLET)?,
    };
    Ok(Keys {
        deposits: DepositKeys { parent },
        gas,
    })
}

/// Where a wallet's key comes from: a hex key file, else the mnemonic at a path.
struct WalletSource {
    key_file: &'static str,
    path_var: &'static str,
    default_path: &'static str,
}

const GAS_WALLET: WalletSource = WalletSource {
    key_file: "KASSE_GAS_KEY_FILE",
    path_var: "KASSE_GAS_WALLET_PATH",
    default_path: DEFAULT_GAS_WALLET_PATH,
};

const TREASURY: WalletSource = WalletSource {
    key_file: "KASSE_TREASURY_KEY_FILE",
    path_var: "KASSE_TREASURY_PATH",
    default_path: DEFAULT_TREASURY_PATH,
};

/// The gas wallet alone (for commands that sign no deposit key): the key file if there is
/// one, else the mnemonic.
pub(crate) fn gas_wallet() -> Result<PrivateKeySigner> {
    wallet(&GAS_WALLET)
}

/// The treasury that pays refunds: `KASSE_TREASURY_KEY_FILE` if set, else the mnemonic at
/// `KASSE_TREASURY_PATH`.
pub(crate) fn treasury_wallet() -> Result<PrivateKeySigner> {
    wallet(&TREASURY)
}

fn wallet(source: &WalletSource) -> Result<PrivateKeySigner> {
    match key_file(source.key_file)? {
        Some(key) => Ok(key),
        None => wallet_from_phrase(&phrase()?, source),
    }
}

fn wallet_from_phrase(phrase: &Phrase, source: &WalletSource) -> Result<PrivateKeySigner> {
    let path = config::var(source.path_var).unwrap_or_else(|| source.default_path.to_owned());
    builder(phrase, &path, source.path_var)?
        .build()
        .map_err(|_| invalid_mnemonic())
}

fn key_file(var: &str) -> Result<Option<PrivateKeySigner>> {
    let Some(path) = config::var(var) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {var} {path}: {}", e.kind()))?;
    let hex = text.trim().trim_start_matches("0x");
    let bytes: B256 = hex
        .parse()
        .map_err(|_| format!("{var} {path} does not hold a 32-byte hex private key"))?;
    PrivateKeySigner::from_bytes(&bytes)
        .map(Some)
        .map_err(|_| format!("{var} {path} does not hold a valid private key"))
}

fn builder(
    phrase: &Phrase,
    path: &str,
    var: &str,
) -> Result<MnemonicBuilder<alloy::signers::local::coins_bip39::English>> {
    MnemonicBuilder::english()
        .phrase(phrase.0.as_str())
        .derivation_path(path)
        .map_err(|_| format!("{var} is not a derivation path like m/44'/60'/0'/0"))
}

fn invalid_mnemonic() -> String {
    "the mnemonic is not a valid English BIP-39 phrase".into()
}
