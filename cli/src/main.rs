//! `kasse`: the merchant's own CLI. It runs on the merchant's machine, holds the mnemonic the
//! worker never sees, moves what landed at deposit addresses to the treasury, and pays
//! refunds from the treasury.

mod api;
mod batch;
mod chain;
mod config;
mod eip3009;
mod execute;
mod keys;
mod plan;
mod refund;
mod sweeper;
mod topup;
mod transfers;

use std::process::ExitCode;

use alloy::primitives::Address;
use clap::{Args, Parser, Subcommand};

/// Every failure is one line for the merchant: what went wrong and, where it helps, what to do.
pub(crate) type Result<T> = std::result::Result<T, String>;

#[derive(Parser)]
#[command(
    name = "kasse",
    version,
    about = "Kasse for merchants: sweep what your checkout sessions received to your treasury, and pay refunds from it",
    long_about = "Kasse for merchants: sweep what your checkout sessions received to your treasury, and pay refunds from it.\n\n\
        Configuration (environment; it wins over the config file):\n  \
        KASSE_URL               the Kasse deployment, e.g. https://pay.example.com\n  \
        KASSE_API_KEY           a secret key (sk_test_… or sk_live_…)\n  \
        KASSE_RPC_<chain id>    your own RPC URL for that chain (Kasse's are never used)\n  \
        KASSE_MNEMONIC_FILE     a file holding the wallet's mnemonic; else it is asked for without echo\n  \
        KASSE_DEPOSIT_PATH      the deposit addresses' parent path (default m/44'/60'/0'/0)\n  \
        KASSE_GAS_WALLET_PATH   the gas wallet's path in the same mnemonic (default m/44'/60'/1'/0/0)\n  \
        KASSE_GAS_KEY_FILE      or a file holding the gas wallet's hex private key\n  \
        KASSE_TREASURY          where swept money goes (or --treasury)\n  \
        KASSE_TREASURY_KEY_FILE a file holding the hex private key that pays refunds\n  \
        KASSE_TREASURY_PATH     or that key's path in the mnemonic (default m/44'/60'/2'/0/0)"
)]
struct Cli {
    /// A TOML file with per-chain settings: `[chains.8453] rpc = "https://…"`, `eip7702 = false`.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plans (and with --execute, sends) the sweep of a chain's deposit addresses to the treasury.
    Sweep(SweepArgs),
    /// The sweeper contract that deposit addresses delegate to.
    #[command(subcommand)]
    Sweeper(SweeperCommand),
    /// Prints a refund and what paying it sends; with --execute, pays it from the treasury.
    Refund(refund::RefundArgs),
    /// Prints the gas wallet's address and balance on a chain: the account to fund.
    Wallet {
        /// The chain id (e.g. 8453 for Base).
        #[arg(long, value_name = "ID")]
        chain: u64,
    },
}

#[derive(Args)]
pub(crate) struct SweepArgs {
    /// The chain id to sweep (e.g. 8453 for Base).
    #[arg(long, value_name = "ID")]
    pub(crate) chain: u64,
    /// Only these catalogue tokens (repeatable, e.g. --token USDC). The native coin at an
    /// address that is swept always moves with it; name it (e.g. ETH) to sweep addresses
    /// that hold only the native coin.
    #[arg(long = "token", value_name = "SYMBOL")]
    pub(crate) tokens: Vec<String>,
    /// Skip addresses holding less than this many US dollars (e.g. 5 or 0.50).
    #[arg(long, value_name = "USD")]
    pub(crate) min_usd: Option<String>,
    /// Send the sweep transactions (without it, only the plan is printed).
    #[arg(long)]
    pub(crate) execute: bool,
    /// With --execute: do not ask for confirmation.
    #[arg(long)]
    pub(crate) yes: bool,
    /// Where the money goes (default: KASSE_TREASURY).
    #[arg(long, env = "KASSE_TREASURY", value_name = "ADDRESS")]
    pub(crate) treasury: Address,
}

#[derive(Subcommand)]
enum SweeperCommand {
    /// Prints the sweeper's address for this treasury and gas wallet (the same on every chain).
    Address {
        /// Where the money goes (default: KASSE_TREASURY).
        #[arg(long, env = "KASSE_TREASURY", value_name = "ADDRESS")]
        treasury: Address,
    },
    /// Deploys the sweeper on a chain through the standard CREATE2 deployer, paid by the gas wallet.
    Deploy {
        /// The chain id to deploy on.
        #[arg(long, value_name = "ID")]
        chain: u64,
        /// Where the money goes (default: KASSE_TREASURY).
        #[arg(long, env = "KASSE_TREASURY", value_name = "ADDRESS")]
        treasury: Address,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // reqwest is built without a default TLS provider: rustls on `ring`, chosen here once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    let line = message.lines().next().unwrap_or("failed");
    eprintln!("kasse: {line}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<()> {
    let settings = config::Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Sweep(args) => execute::sweep(&settings, &args).await,
        Command::Sweeper(SweeperCommand::Address { treasury }) => {
            let gas = keys::gas_wallet()?;
            println!("{}", sweeper::address(treasury, gas.address())?);
            Ok(())
        }
        Command::Sweeper(SweeperCommand::Deploy { chain, treasury }) => {
            sweeper::deploy(&settings, chain, treasury).await
        }
        Command::Wallet { chain } => execute::wallet(&settings, chain).await,
        Command::Refund(args) => refund::run(&settings, &args).await,
    }
}
