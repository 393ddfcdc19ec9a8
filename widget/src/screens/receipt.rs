//! The receipt on the success screens: what was paid, where, by which transactions, when,
//! for which order and to whom. Printable: the print stylesheet shows it alone.

use kasse_shared::shopper::Receipt;
use yew::prelude::*;

use super::{labelled, marked};
use crate::icons;
use crate::strings as s;

/// The receipt, with the time written the way `locale` writes times.
pub fn section(receipt: &Receipt, locale: &str) -> Html {
    let print = Callback::from(|_: MouseEvent| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    });
    let (time, datetime) = paid_at(receipt.paid_at.0, locale);
    html! {
        <section class="kasse-receipt" aria-labelledby="kasse-receipt-title">
            <h3 id="kasse-receipt-title">{ s::RECEIPT_TITLE }</h3>
            <dl>
                { labelled(s::AMOUNT, marked(icons::token(&receipt.token), s::money(&receipt.amount_formatted, &receipt.token))) }
                { labelled(s::NETWORK, marked(icons::network(receipt.chain_id), receipt.chain.clone())) }
                { labelled(s::RECEIPT_TRANSACTION, html! {
                    { for receipt.transactions.iter().map(|tx| transaction(&tx.tx_hash, tx.url.as_deref())) }
                }) }
                { labelled(s::RECEIPT_TIME, html! { <time datetime={datetime}>{ time }</time> }) }
                { labelled(s::RECEIPT_REFERENCE, Html::from(&receipt.reference)) }
                { labelled(s::RECEIPT_PAID_TO, Html::from(&receipt.merchant)) }
            </dl>
            <button type="button" class="kasse-print" onclick={print}>{ s::RECEIPT_PRINT }</button>
        </section>
    }
}

/// One transaction: its short hash (the whole one in the tooltip, and on paper), and its
/// page on the chain's explorer when the chain has one.
fn transaction(hash: &str, url: Option<&str>) -> Html {
    html! {
        <span class="kasse-tx" data-tx-hash={hash.to_owned()}>
            <code class="kasse-hash" title={hash.to_owned()}>{ short_hash(hash) }</code>
            <code class="kasse-print-only">{ hash }</code>
            if let Some(url) = url {
                { " " }
                <a href={url.to_owned()} target="_blank" rel="noopener noreferrer">
                    { s::RECEIPT_VIEW.fill(&[("explorer", host(url))]) }
                </a>
            }
        </span>
    }
}

/// `0x1234…abcd`: enough to recognise a hash by.
pub fn short_hash(hash: &str) -> String {
    match (hash.get(..6), hash.get(hash.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if hash.len() > 12 => format!("{head}…{tail}"),
        _ => hash.to_owned(),
    }
}

/// The host of an explorer URL (`https://etherscan.io/tx/0x…` → `etherscan.io`).
pub fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// `unix_seconds` as the shopper's locale writes a date and time, and as ISO 8601.
fn paid_at(unix_seconds: u64, locale: &str) -> (String, String) {
    // Milliseconds since 1970 stay far below 2^53, where a JS number is exact.
    let millis = unix_seconds.saturating_mul(1000) as f64;
    let date = js_sys::Date::new(&millis.into());
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    let local = date.to_locale_string(locale, &options);
    (local.into(), date.to_iso_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_shortens_to_its_ends() {
        let hash = "0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcd";
        assert_eq!(short_hash(hash), "0x1234…abcd");
        assert_eq!(short_hash("0x12"), "0x12");
    }

    #[test]
    fn the_explorer_is_named_by_its_host() {
        assert_eq!(host("https://etherscan.io/tx/0xab"), "etherscan.io");
        assert_eq!(
            host("https://sepolia.basescan.org/tx/0xab"),
            "sepolia.basescan.org"
        );
        assert_eq!(
            host("https://tronscan.org/#/transaction/ab"),
            "tronscan.org"
        );
        assert_eq!(host("explorer.example"), "explorer.example");
    }
}
