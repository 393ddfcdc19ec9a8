//! A table in its own horizontally scrolling, focusable region: wide tables scroll inside
//! it and never widen the page (320 px screens), and the keyboard can scroll it.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DataTableProps {
    /// Names the region and the table for assistive technology.
    pub label: AttrValue,
    /// The table's `data-testid`.
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    pub columns: &'static [&'static str],
    /// Shown in one row when there are no rows.
    #[prop_or(AttrValue::Static("Nothing here yet."))]
    pub empty: AttrValue,
    /// The rows: `<tr>`s.
    #[prop_or_default]
    pub children: Children,
}

#[function_component(DataTable)]
pub fn data_table(props: &DataTableProps) -> Html {
    let span = props.columns.len().to_string();
    html! {
        <div class="table-scroll" role="region" aria-label={props.label.clone()} tabindex="0">
            <table data-testid={props.testid.clone()}>
                <caption class="visually-hidden">{ props.label.clone() }</caption>
                <thead>
                    <tr>{ for props.columns.iter().map(|c| html! { <th scope="col">{ *c }</th> }) }</tr>
                </thead>
                <tbody>
                    if props.children.is_empty() {
                        <tr class="empty"><td colspan={span}>{ props.empty.clone() }</td></tr>
                    } else {
                        { for props.children.iter() }
                    }
                </tbody>
            </table>
        </div>
    }
}
