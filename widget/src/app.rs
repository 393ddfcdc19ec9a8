use yew::prelude::*;

#[derive(Properties, PartialEq, Clone)]
pub struct CheckoutProps {
    pub session: String,
}

#[function_component(Checkout)]
pub fn checkout(props: &CheckoutProps) -> Html {
    html! {
        <section class="kasse" aria-label="Crypto checkout" data-kasse-ready="true">
            <h2>{ "Kasse checkout" }</h2>
            <p>{ "Session " }<code>{ &props.session }</code></p>
        </section>
    }
}
