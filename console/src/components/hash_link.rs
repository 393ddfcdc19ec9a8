//! A transaction hash or address, linked to the chain's explorer when it has one (local
//! chains have none).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HashLinkProps {
    pub value: AttrValue,
    /// The explorer's page for it, when the chain has an explorer.
    #[prop_or_default]
    pub href: Option<AttrValue>,
}

#[function_component(HashLink)]
pub fn hash_link(props: &HashLinkProps) -> Html {
    let code = html! { <code class="hash">{ props.value.clone() }</code> };
    match &props.href {
        Some(href) => html! {
            <a href={href.clone()} target="_blank" rel="noopener noreferrer">{ code }</a>
        },
        None => code,
    }
}

/// `{explorer}/tx/{hash}`, when the chain has an explorer.
pub fn tx_url(explorer: Option<&str>, hash: &str) -> Option<AttrValue> {
    explorer.map(|base| format!("{}/tx/{hash}", base.trim_end_matches('/')).into())
}

/// `{explorer}/address/{address}`, when the chain has an explorer.
pub fn address_url(explorer: Option<&str>, address: &str) -> Option<AttrValue> {
    explorer.map(|base| format!("{}/address/{address}", base.trim_end_matches('/')).into())
}
