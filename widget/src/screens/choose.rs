//! Choosing how to pay: one button per network and token the session offers.

use kasse_shared::shopper::{ShopperOption, ShopperView};
use yew::prelude::*;

use super::Handlers;
use crate::icons;
use crate::model::Model;
use crate::strings as s;

pub fn screen(view: &ShopperView, model: &Model, on: &Handlers) -> Html {
    let option_button = |option: &ShopperOption| {
        let current = view.selected.as_ref() == Some(option);
        let onclick = {
            let option = option.clone();
            on.select.reform(move |_| option.clone())
        };
        html! {
            <li>
                <button type="button" class="kasse-option" {onclick} disabled={model.selecting}
                    aria-pressed={if current { "true" } else { "false" }}
                    data-chain-id={option.chain_id.to_string()} data-token={option.token.clone()}>
                    <span class="kasse-option-token">{ icons::html(icons::token(&option.token)) }{ s::money(&option.amount_formatted, &option.token) }</span>
                    <span class="kasse-option-chain">{ icons::html(icons::network(option.chain_id)) }{ s::ON_NETWORK.fill(&[("chain", &option.chain)]) }</span>
                </button>
            </li>
        }
    };
    html! {
        <div class="kasse-choose">
            <h2>{ s::CHOOSE_TITLE }</h2>
            <ul class="kasse-options">
                { for view.options.iter().map(option_button) }
            </ul>
            if let Some(notice) = model.notice { <p class="kasse-error" role="alert">{ notice }</p> }
            if view.selected.is_some() {
                <button type="button" class="kasse-link" onclick={on.keep.clone()}>{ s::KEEP_CHOICE }</button>
            }
        </div>
    }
}
