//! A token amount in a table: the exact decimal as text, the base units beside it as data
//! (`data-base-units`), so what the merchant reads and what a program checks agree.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MoneyCellProps {
    /// An integer string in the token's smallest unit.
    pub base_units: AttrValue,
    /// The same amount in whole tokens, exact.
    pub formatted: AttrValue,
    /// The overview's `today`, `7d` or `30d`.
    #[prop_or_default]
    pub window: Option<AttrValue>,
}

#[function_component(MoneyCell)]
pub fn money_cell(props: &MoneyCellProps) -> Html {
    html! {
        <td class="num" data-base-units={props.base_units.clone()} data-window={props.window.clone()}>
            { props.formatted.clone() }
        </td>
    }
}
