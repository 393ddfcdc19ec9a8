//! Settings: everything `POST /v1/account` changes for the shown mode (each mode has its
//! own), as one form with "Save". A refusal is shown next to the field its `param` names,
//! and that field gets the focus.

mod form;

use yew::prelude::*;

use crate::api::{Api, ApiError};
use crate::components::{Alert, FieldError, Page, Time, focus_first_invalid, names_field};
use crate::hooks::{use_console, use_load, use_task};
use crate::objects::{ChainObject, List};

use form::{AccountObject, ChainChoice, Edit, OptionChoice, SettingsForm, Text};

/// What the page reads: the settings and the chains they may name.
struct Loaded {
    account: AccountObject,
    chains: Vec<ChainChoice>,
    options: Vec<OptionChoice>,
}

async fn load(api: Api) -> Result<Loaded, ApiError> {
    let account = api.get::<AccountObject>("/v1/account").await?;
    let chains = api.get::<List<ChainObject>>("/v1/chains").await?.data;
    let options = chains
        .iter()
        .flat_map(|c| {
            let native = std::iter::once((c.native_symbol.clone(), c));
            native.chain(c.tokens.iter().map(move |t| (t.symbol.clone(), c)))
        })
        .map(|(symbol, c)| OptionChoice {
            value: format!("{}:{symbol}", c.chain_id),
            label: format!("{symbol} on {}", c.name),
        })
        .collect();
    let chains = chains
        .iter()
        .map(|c| ChainChoice {
            chain_id: c.chain_id,
            name: c.name.clone(),
            min_confirmations: c.min_confirmations,
        })
        .collect();
    Ok(Loaded {
        account,
        chains,
        options,
    })
}

#[function_component(Settings)]
pub fn settings() -> Html {
    let console = use_console();
    let loaded = use_load(console.api.clone(), load);
    html! {
        <Page name="settings" title="Settings" loaded={loaded.state.is_done()}>
            <p class="muted">
                { format!("The settings of {} mode; the other mode has its own. They apply to sessions created \
                    from now on.", console.mode.as_str()) }
            </p>
            <Alert error={loaded.state.error().cloned()} />
            if let Some(data) = loaded.state.ready() {
                { facts(&data.account) }
                <SettingsEditor account={data.account.clone()} chains={data.chains.clone()}
                    options={data.options.clone()} />
            }
        </Page>
    }
}

/// What the form cannot change: the account, the mode's xpub, the addresses handed out.
fn facts(account: &AccountObject) -> Html {
    let (xpub, issued) = if account.livemode {
        (&account.xpub_live, account.addresses_issued_live)
    } else {
        (&account.xpub_test, account.addresses_issued_test)
    };
    html! {
        <section class="panel" aria-labelledby="account-facts">
            <h2 id="account-facts">{ "Account" }</h2>
            <dl class="facts">
                <dt>{ "Account" }</dt><dd><code>{ account.id.clone() }</code></dd>
                <dt>{ "Mode" }</dt><dd>{ if account.livemode { "live" } else { "test" } }</dd>
                <dt>{ "xpub (never changes)" }</dt>
                <dd><code>{ xpub.clone().unwrap_or_else(|| "none".to_owned()) }</code></dd>
                <dt>{ "Deposit addresses issued" }</dt><dd>{ issued.unwrap_or(0) }</dd>
                if !account.updated_at.is_empty() {
                    <dt>{ "Last changed" }</dt><dd><Time at={account.updated_at.clone()} /></dd>
                }
            </dl>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    account: AccountObject,
    chains: Vec<ChainChoice>,
    options: Vec<OptionChoice>,
}

#[function_component(SettingsEditor)]
fn settings_editor(props: &EditorProps) -> Html {
    let console = use_console();
    let (api, on_account) = (console.api.clone(), console.on_account);
    let form = {
        let (account, chains) = (props.account.clone(), props.chains.clone());
        use_reducer(move || SettingsForm::new(&account, &chains))
    };
    let task = use_task();
    let saved = use_state(|| false);
    use_effect_with(task.error.clone(), |error| {
        if error.is_some() {
            focus_first_invalid("[data-page=\"settings\"] form");
        }
    });
    let onsubmit = {
        let (form, task, saved, chains, on_account) = (
            form.clone(),
            task.clone(),
            saved.clone(),
            props.chains.clone(),
            on_account,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            saved.set(false);
            let (api, body, form, saved, chains, on_account) = (
                api.clone(),
                form.body(),
                form.clone(),
                saved.clone(),
                chains.clone(),
                on_account.clone(),
            );
            task.run(
                async move { api.post::<AccountObject>("/v1/account", &body).await },
                move |account| {
                    on_account.emit(account.header());
                    form.dispatch(Edit::Load(Box::new(SettingsForm::new(&account, &chains))));
                    saved.set(true);
                },
            );
        })
    };
    let error = task.error.clone();
    let fields = Fields {
        form: &form,
        error: error.as_ref(),
    };
    let claimed = fields
        .params()
        .iter()
        .any(|p| names_field(error.as_ref(), p));
    html! {
        <form class="panel" aria-label="Settings" novalidate=true {onsubmit}>
            <h2>{ "Sessions" }</h2>
            <div class="fields align-top">
                { fields.input(Spec::number("set-ttl", "Session lifetime (seconds)", Text::SessionTtl, "session_ttl_secs",
                    "How long a new session waits for payment: 300 to 86,400.")) }
                { fields.input(Spec::number("set-grace", "Late payment grace (seconds)", Text::LateGrace, "late_grace_secs",
                    "How long after expiry a payment still counts (as paid late): 0 to 604,800.")) }
                { fields.input(Spec::number("set-tolerance", "Underpayment tolerance (basis points)", Text::Tolerance,
                    "underpayment_tolerance_bps", "A payment this much short still counts as paid: 0 to 1,000 (100 = 1 %).")) }
                { fields.input(Spec::number("set-quote", "Native coin quote lock (seconds)", Text::NativeQuote,
                    "native_quote_secs", "How long a locked ETH/POL price is honoured: 60 to 86,400.")) }
            </div>
            <h2>{ "Extra confirmations" }</h2>
            <div class="fields align-top">
                { for form.extra.keys().map(|id| {
                    let chain = props.chains.iter().find(|c| c.chain_id == *id);
                    let (label, hint) = match chain {
                        Some(c) => (c.name.clone(), format!("On top of the {} this chain always waits for: 0 to 100.", c.min_confirmations)),
                        None => (format!("Chain {id}"), "Not served in this mode now: 0 to 100.".to_owned()),
                    };
                    fields.input(Spec::number(&format!("set-extra-{id}"), &label, Text::Extra(*id),
                        &format!("extra_confirmations[{id}]"), &hint))
                }) }
            </div>
            { options(&form, &props.options, error.as_ref()) }
            <h2>{ "Browser origins" }</h2>
            { fields.input(Spec::lines("set-origins", "Allowed origins (one per line)", Text::Origins, "allowed_origins",
                "Shops whose pages may start sessions from payment links and show the widget, e.g. https://shop.example")) }
            <h2>{ "Branding" }</h2>
            <div class="fields align-top">
                { fields.input(Spec::text("set-name", "Display name", Text::DisplayName, "branding.display_name",
                    "Shown to shoppers on the checkout and link pages.")) }
                { fields.input(Spec::text("set-logo", "Logo URL", Text::LogoUrl, "branding.logo_url",
                    "An https URL, or empty for none.")) }
                { fields.input(Spec::text("set-accent", "Accent colour", Text::AccentColor, "branding.accent_color",
                    "A hex colour like #4f46e5, or empty for the default.")) }
            </div>
            if let Some(on) = form.refund_requests {
                { refund_requests(&form, on, error.as_ref()) }
            }
            <Alert error={error.clone().filter(|_| !claimed)} />
            <div class="actions">
                <button type="submit">{ "Save" }</button>
                <span class="muted" role="status">{ if task.busy { "Saving…" } else if *saved { "Saved." } else { "" } }</span>
            </div>
        </form>
    }
}

/// Whether shoppers may ask for a refund from the checkout.
fn refund_requests(
    form: &UseReducerHandle<SettingsForm>,
    on: bool,
    error: Option<&ApiError>,
) -> Html {
    let invalid = names_field(error, "refund_requests");
    let onchange = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let on = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked();
            form.dispatch(Edit::RefundRequests(on));
        })
    };
    html! {
        <>
            <h2>{ "Refunds" }</h2>
            <div class="field">
                <label class="check">
                    <input id="set-refund-requests" type="checkbox" checked={on} {onchange}
                        aria-describedby="set-refund-requests-hint" aria-invalid={invalid.then_some("true")} />
                    { " Let shoppers request a refund" }
                </label>
                <span class="muted hint" id="set-refund-requests-hint">
                    { "An overpaid, late underpaid, expired or wrongly paid checkout offers \"Request a refund\": \
                       the shopper gives an address and the refund waits under Refunds for you to send or cancel." }
                </span>
                <FieldError id="set-refund-requests-error" field="refund_requests" error={error.cloned()} />
            </div>
        </>
    }
}

/// Which payment options sessions offer: all of them, or the ticked ones.
fn options(
    form: &UseReducerHandle<SettingsForm>,
    choices: &[OptionChoice],
    error: Option<&ApiError>,
) -> Html {
    let invalid = names_field(error, "enabled_options");
    let only = |only_some: bool| {
        let form = form.clone();
        Callback::from(move |_: Event| form.dispatch(Edit::OnlySome(only_some)))
    };
    // An option the settings name that the chains no longer list stays visible, ticked.
    let known: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
    let extra = form
        .options
        .iter()
        .filter(|o| !known.contains(&o.as_str()))
        .map(|o| OptionChoice {
            value: o.clone(),
            label: o.clone(),
        });
    let all: Vec<OptionChoice> = choices.iter().cloned().chain(extra).collect();
    html! {
        <fieldset aria-describedby={invalid.then_some("set-options-error")}>
            <legend>{ "Payment options" }</legend>
            <label class="check">
                <input type="radio" name="set-options" checked={!form.only_some} onchange={only(false)} />
                { " Offer every option this deployment serves" }
            </label>
            <label class="check">
                <input type="radio" name="set-options" checked={form.only_some} onchange={only(true)} />
                { " Offer only the ticked options" }
            </label>
            if form.only_some {
                <div class="checks">
                    { for all.iter().map(|choice| {
                        let ticked = form.options.contains(&choice.value);
                        let (form, value) = (form.clone(), choice.value.clone());
                        let onchange = Callback::from(move |e: Event| {
                            let on = e.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
                            form.dispatch(Edit::Option(value.clone(), on));
                        });
                        html! {
                            <label class="check">
                                <input type="checkbox" checked={ticked} {onchange} />
                                { format!(" {}", choice.label) }
                            </label>
                        }
                    }) }
                </div>
                <p class="muted">{ "With none ticked, every option is offered." }</p>
            }
            <FieldError id="set-options-error" field="enabled_options" error={error.cloned()} />
        </fieldset>
    }
}

/// One input of the form.
struct Spec {
    id: String,
    label: String,
    text: Text,
    param: String,
    hint: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Text,
    Lines,
}

impl Spec {
    fn new(kind: Kind, id: &str, label: &str, text: Text, param: &str, hint: &str) -> Self {
        Self {
            id: id.to_owned(),
            label: label.to_owned(),
            text,
            param: param.to_owned(),
            hint: hint.to_owned(),
            kind,
        }
    }

    fn number(id: &str, label: &str, text: Text, param: &str, hint: &str) -> Self {
        Self::new(Kind::Number, id, label, text, param, hint)
    }

    fn text(id: &str, label: &str, text: Text, param: &str, hint: &str) -> Self {
        Self::new(Kind::Text, id, label, text, param, hint)
    }

    fn lines(id: &str, label: &str, text: Text, param: &str, hint: &str) -> Self {
        Self::new(Kind::Lines, id, label, text, param, hint)
    }
}

struct Fields<'a> {
    form: &'a UseReducerHandle<SettingsForm>,
    error: Option<&'a ApiError>,
}

impl Fields<'_> {
    /// Every parameter a field of the form names; a refusal of another goes above "Save".
    fn params(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            "session_ttl_secs",
            "late_grace_secs",
            "underpayment_tolerance_bps",
            "native_quote_secs",
            "enabled_options",
            "allowed_origins",
            "branding.display_name",
            "branding.logo_url",
            "branding.accent_color",
            "refund_requests",
        ]
        .map(str::to_owned)
        .into();
        out.extend(
            self.form
                .extra
                .keys()
                .map(|id| format!("extra_confirmations[{id}]")),
        );
        out
    }

    fn input(&self, spec: Spec) -> Html {
        let invalid = names_field(self.error, &spec.param);
        let (hint_id, error_id) = (format!("{}-hint", spec.id), format!("{}-error", spec.id));
        let described = if invalid {
            format!("{hint_id} {error_id}")
        } else {
            hint_id.clone()
        };
        let value = self.form.text(spec.text).to_owned();
        let (form, text) = (self.form.clone(), spec.text);
        let set = Callback::from(move |value: String| form.dispatch(Edit::Text(text, value)));
        let input = match spec.kind {
            Kind::Lines => html! {
                <textarea id={spec.id.clone()} rows="3" autocomplete="off" spellcheck="false" {value}
                    aria-describedby={described} aria-invalid={invalid.then_some("true")}
                    oninput={set.reform(|e: InputEvent| e.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value())} />
            },
            kind => html! {
                <input id={spec.id.clone()} type={if kind == Kind::Number { "number" } else { "text" }}
                    inputmode={(kind == Kind::Number).then_some("numeric")} autocomplete="off" {value}
                    aria-describedby={described} aria-invalid={invalid.then_some("true")}
                    oninput={set.reform(|e: InputEvent| e.target_unchecked_into::<web_sys::HtmlInputElement>().value())} />
            },
        };
        html! {
            <div class="field">
                <label for={spec.id.clone()}>{ spec.label }</label>
                { input }
                <span class="muted hint" id={hint_id}>{ spec.hint }</span>
                <FieldError id={error_id} field={spec.param} error={self.error.cloned()} />
            </div>
        }
    }
}
