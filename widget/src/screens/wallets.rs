//! The browser wallets the shopper may pay with: one button each, by name and icon.

use js_sys::Object;
use kasse_shared::shopper::WalletTransaction;
use yew::prelude::*;

use crate::model::Wallet;
use crate::strings as s;
use crate::wallet::Choice;

/// A button per wallet of `wallets` that pays `tx` with it, until a wallet sent it; disabled
/// while a wallet is asking the shopper.
pub fn buttons(
    wallets: &[Choice],
    tx: &WalletTransaction,
    state: &Wallet,
    pay: &Callback<(Object, WalletTransaction)>,
) -> Html {
    if wallets.is_empty() || matches!(state, Wallet::Sent(_)) {
        return html! {};
    }
    let asking = *state == Wallet::Asking;
    html! {
        <ul class="kasse-wallets" aria-label={s::WALLETS_LABEL}>
            { for wallets.iter().map(|wallet| html! { <li>{ button(wallet, tx, asking, pay) }</li> }) }
        </ul>
    }
}

fn button(
    wallet: &Choice,
    tx: &WalletTransaction,
    asking: bool,
    pay: &Callback<(Object, WalletTransaction)>,
) -> Html {
    let label = match &wallet.name {
        Some(name) => s::PAY_WITH.fill(&[("wallet", name)]),
        None => s::PAY_WITH_WALLET.text(),
    };
    let rdns = Some(wallet.rdns.clone()).filter(|r| !r.is_empty());
    let onclick = {
        let (provider, tx) = (wallet.provider.clone(), tx.clone());
        pay.reform(move |_| (provider.clone(), tx.clone()))
    };
    html! {
        <button type="button" class="kasse-wallet" data-wallet-rdns={rdns} disabled={asking} {onclick}>
            if let Some(icon) = &wallet.icon {
                // The wallet's own image, never its markup: an image cannot run script.
                <img src={icon.clone()} alt="" width="20" height="20" />
            }
            { label }
        </button>
    }
}
