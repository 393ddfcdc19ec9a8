//! The root component: it owns the [`Model`], starts the hooks that talk to the world, and
//! frames the screen of the moment with the merchant's header and the ways out.

use kasse_shared::shopper::ShopperView;
use yew::prelude::*;

use crate::actions;
use crate::api::{Api, FirstView};
use crate::hooks::{Poller, use_catalogue, use_clock, use_poller, use_redirect, use_wallets};
use crate::model::{Action, Model};
use crate::screens::{self, Handlers};
use crate::strings as s;

#[derive(Properties, Clone)]
pub struct CheckoutProps {
    pub session: AttrValue,
    pub client_secret: AttrValue,
    /// Origin of the Kasse deployment, e.g. `https://pay.example` (no trailing slash).
    pub api_base: AttrValue,
    /// Told every status the widget shows (the loader turns it into `kasse:status`).
    pub on_status: Callback<String>,
    /// The hosted page follows `success_url` after a payment; an embedded widget does not.
    pub redirect_on_success: bool,
    /// The merchant's choice of language (a supported locale): it wins over the session's
    /// and the browser's.
    pub locale: Option<&'static str>,
    /// Told the widget's locale and whether it reads right to left, each time it changes
    /// (the loader turns it into `kasse:locale`).
    pub on_locale: Callback<(&'static str, bool)>,
    /// The merchant's own wallet provider (EIP-1193): the shopper pays with it, and the
    /// widget looks for no other wallet.
    pub provider: Option<crate::wallet::Choice>,
    /// The view the loader began to read while the wasm loaded, if it did.
    pub first_view: FirstView,
}

impl PartialEq for CheckoutProps {
    fn eq(&self, other: &Self) -> bool {
        self.session == other.session
            && self.client_secret == other.client_secret
            && self.api_base == other.api_base
            && self.redirect_on_success == other.redirect_on_success
            && self.locale == other.locale
            && self.provider == other.provider
            && self.first_view == other.first_view
    }
}

impl CheckoutProps {
    fn api(&self) -> Api {
        Api {
            base: self.api_base.clone(),
            session: self.session.clone(),
            client_secret: self.client_secret.clone(),
            first_view: self.first_view.clone(),
        }
    }
}

/// A callback that dispatches the action `f` makes of its argument (yew's todomvc idiom).
fn make_callback<E, F>(model: &UseReducerHandle<Model>, f: F) -> Callback<E>
where
    F: Fn(E) -> Action + 'static,
{
    let model = model.clone();
    Callback::from(move |e: E| model.dispatch(f(e)))
}

/// A callback that hands its argument to an action that talks to the server.
fn poller_callback<E: 'static>(poller: &Poller, f: fn(&Poller, E)) -> Callback<E> {
    let poller = poller.clone();
    Callback::from(move |e: E| f(&poller, e))
}

#[function_component(Checkout)]
pub fn checkout(props: &CheckoutProps) -> Html {
    let mount_locale = props.locale;
    let model = use_reducer(move || Model {
        qr_mode: actions::stored_qr_mode(),
        ..Model::new(mount_locale, crate::i18n::browser_locale())
    });
    // Every key this render shows reads from this widget's catalogue.
    s::install(&model.catalogue);
    let poller = use_poller(props.api(), &model, &props.on_status);
    use_catalogue(&model, &props.api_base, &props.on_locale);
    use_clock(&model);
    let wallets = use_wallets(props.provider.as_ref());
    let screen = model.screen();
    let success_url = model.view.as_ref().and_then(|v| v.success_url.clone());
    let redirecting = props.redirect_on_success && !model.shows_refund();
    use_redirect(redirecting && screen.is_success(), success_url);
    use_focus(&model.refund.target, model.refund.focus);

    let on = Handlers {
        select: poller_callback(&poller, actions::select),
        pay_wallet: poller_callback(&poller, actions::pay_with_wallet),
        wallets,
        retry: poller_callback(&poller, |poller, _| poller.wake()),
        change: make_callback(&model, |_| Action::Choose),
        keep: make_callback(&model, |_| Action::KeepChoice),
        refund_open: make_callback(&model, |_| Action::RefundOpen),
        request_refund: poller_callback(&poller, actions::request_refund),
        refund_focus: model.refund.target.clone(),
        qr_mode: poller_callback(&poller, actions::choose_qr_mode),
        check: poller_callback(&poller, actions::check_paid),
    };
    let body = screens::body(screen, &model, redirecting, &on);
    // A refresh that failed while a view is shown: say so, keep the view.
    let stale = (model.error.is_some() && model.view.is_some()).then(|| stale_notice(&on.retry));
    let view = model.view.as_ref();
    let catalogue = &model.catalogue;
    html! {
        <section class="kasse" aria-label={s::WIDGET_LABEL} data-kasse-ready="true"
            lang={catalogue.locale} dir={if catalogue.is_rtl() { "rtl" } else { "ltr" }}
            data-kasse-status={view.map(|v| v.status.as_str())} data-kasse-screen={screen.name()}>
            { for view.map(head) }
            <div class="kasse-body" aria-live="polite">{ body }</div>
            { for stale }
            { for view.map(links) }
        </section>
    }
}

/// Moves the keyboard focus to what `target` holds each time `turn` changes (but not on the
/// first render: the page keeps its focus when the widget appears).
#[hook]
fn use_focus(target: &NodeRef, turn: u32) {
    let target = target.clone();
    use_effect_with(turn, move |turn| {
        if *turn > 0
            && let Some(element) = target.cast::<web_sys::HtmlElement>()
        {
            let _ = element.focus();
        }
    });
}

/// Who is asking for how much, and whether real funds move.
fn head(view: &ShopperView) -> Html {
    html! {
        <>
            <header class="kasse-head">
                <span class="kasse-merchant">{ &view.branding.display_name }</span>
                <strong>{ s::TOTAL.fill(&[("amount", &s::money(&view.amount_total, &view.currency))]) }</strong>
            </header>
            if !view.livemode { <p class="kasse-test">{ s::TEST_MODE }</p> }
        </>
    }
}

fn stale_notice(onretry: &Callback<MouseEvent>) -> Html {
    html! {
        <p class="kasse-stale" role="status">
            { s::OFFLINE }{ " " }
            <button type="button" onclick={onretry.clone()}>{ s::RETRY }</button>
        </p>
    }
}

/// Back to the shop, and a way to cancel while the session is open.
fn links(view: &ShopperView) -> Html {
    let open = !view.status.is_final();
    html! {
        <nav class="kasse-links" aria-label={s::LINKS_LABEL}>
            if let Some(url) = &view.return_url { <a href={url.clone()}>{ s::BACK_TO_SHOP }</a> }
            if let (Some(url), true) = (&view.cancel_url, open) { <a href={url.clone()}>{ s::CANCEL }</a> }
        </nav>
    }
}
