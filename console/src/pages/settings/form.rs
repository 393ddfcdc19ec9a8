//! The mode's settings as the merchant edits them, as a pure reducer, and the
//! `POST /v1/account` body they become. Numbers stay text until sent: a whole number goes as
//! a JSON number, anything else as typed, so the API names the field and says what it takes.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use yew::Reducible;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct Branding {
    pub(super) display_name: String,
    #[serde(default)]
    pub(super) logo_url: Option<String>,
    #[serde(default)]
    pub(super) accent_color: Option<String>,
}

/// `GET /v1/account`: the shown mode's settings, xpub and address count.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct AccountObject {
    pub(super) id: String,
    pub(super) livemode: bool,
    pub(super) session_ttl_secs: u64,
    pub(super) late_grace_secs: u64,
    pub(super) underpayment_tolerance_bps: u64,
    pub(super) native_quote_secs: u64,
    /// Chain id (as a string: a JSON object's key) to extra confirmations.
    #[serde(default)]
    pub(super) extra_confirmations: BTreeMap<String, u64>,
    #[serde(default)]
    pub(super) enabled_options: Vec<String>,
    #[serde(default)]
    pub(super) allowed_origins: Vec<String>,
    pub(super) branding: Branding,
    #[serde(default)]
    pub(super) xpub_test: Option<String>,
    #[serde(default)]
    pub(super) xpub_live: Option<String>,
    #[serde(default)]
    pub(super) addresses_issued_test: Option<u64>,
    #[serde(default)]
    pub(super) addresses_issued_live: Option<u64>,
    #[serde(default)]
    pub(super) updated_at: String,
    /// Shoppers may ask for a refund from the checkout; `None` from a server that has no
    /// such setting (the form then leaves it out).
    #[serde(default)]
    pub(super) refund_requests: Option<bool>,
}

impl AccountObject {
    /// The account as the header shows it: its display name, or its id when it has none.
    pub(super) fn header(&self) -> crate::model::Account {
        let name = self.branding.display_name.trim();
        crate::model::Account {
            id: self.id.clone(),
            name: if name.is_empty() {
                self.id.clone()
            } else {
                name.to_owned()
            },
        }
    }
}

/// One payment option the chains offer: `8453:USDC`, with what the merchant reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OptionChoice {
    pub(super) value: String,
    pub(super) label: String,
}

/// A chain the form offers extra confirmations for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChainChoice {
    pub(super) chain_id: u64,
    pub(super) name: String,
    pub(super) min_confirmations: u32,
}

/// Each text field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    SessionTtl,
    LateGrace,
    Tolerance,
    NativeQuote,
    /// Extra confirmations on this chain.
    Extra(u64),
    Origins,
    DisplayName,
    LogoUrl,
    AccentColor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SettingsForm {
    pub(super) session_ttl: String,
    pub(super) late_grace: String,
    pub(super) tolerance: String,
    pub(super) native_quote: String,
    /// Every chain shown, and any chain the settings name that is not served now (kept as
    /// it is: the API replaces the whole map).
    pub(super) extra: BTreeMap<u64, String>,
    /// `false`: every option is offered (`enabled_options` empty).
    pub(super) only_some: bool,
    pub(super) options: BTreeSet<String>,
    /// One origin per line.
    pub(super) origins: String,
    pub(super) display_name: String,
    pub(super) logo_url: String,
    pub(super) accent_color: String,
    pub(super) refund_requests: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Edit {
    Text(Text, String),
    /// The merchant ticked (`true`) or cleared an option.
    Option(String, bool),
    OnlySome(bool),
    RefundRequests(bool),
    /// The settings as the API answered a save: the form starts from them again.
    Load(Box<SettingsForm>),
}

impl SettingsForm {
    pub(super) fn new(account: &AccountObject, chains: &[ChainChoice]) -> Self {
        let mut extra: BTreeMap<u64, String> = account
            .extra_confirmations
            .iter()
            .filter_map(|(id, n)| Some((id.parse().ok()?, n.to_string())))
            .collect();
        for chain in chains {
            extra
                .entry(chain.chain_id)
                .or_insert_with(|| "0".to_owned());
        }
        Self {
            session_ttl: account.session_ttl_secs.to_string(),
            late_grace: account.late_grace_secs.to_string(),
            tolerance: account.underpayment_tolerance_bps.to_string(),
            native_quote: account.native_quote_secs.to_string(),
            extra,
            only_some: !account.enabled_options.is_empty(),
            options: account.enabled_options.iter().cloned().collect(),
            origins: account.allowed_origins.join("\n"),
            display_name: account.branding.display_name.clone(),
            logo_url: account.branding.logo_url.clone().unwrap_or_default(),
            accent_color: account.branding.accent_color.clone().unwrap_or_default(),
            refund_requests: account.refund_requests,
        }
    }

    pub(super) fn text(&self, field: Text) -> &str {
        match field {
            Text::SessionTtl => &self.session_ttl,
            Text::LateGrace => &self.late_grace,
            Text::Tolerance => &self.tolerance,
            Text::NativeQuote => &self.native_quote,
            Text::Extra(chain) => self.extra.get(&chain).map_or("", String::as_str),
            Text::Origins => &self.origins,
            Text::DisplayName => &self.display_name,
            Text::LogoUrl => &self.logo_url,
            Text::AccentColor => &self.accent_color,
        }
    }

    fn text_mut(&mut self, field: Text) -> &mut String {
        match field {
            Text::SessionTtl => &mut self.session_ttl,
            Text::LateGrace => &mut self.late_grace,
            Text::Tolerance => &mut self.tolerance,
            Text::NativeQuote => &mut self.native_quote,
            Text::Extra(chain) => self.extra.entry(chain).or_default(),
            Text::Origins => &mut self.origins,
            Text::DisplayName => &mut self.display_name,
            Text::LogoUrl => &mut self.logo_url,
            Text::AccentColor => &mut self.accent_color,
        }
    }

    /// Every setting, as the form shows it now.
    pub(super) fn body(&self) -> UpdateBody {
        UpdateBody {
            session_ttl_secs: Whole::of(&self.session_ttl),
            late_grace_secs: Whole::of(&self.late_grace),
            underpayment_tolerance_bps: Whole::of(&self.tolerance),
            native_quote_secs: Whole::of(&self.native_quote),
            extra_confirmations: self
                .extra
                .iter()
                .map(|(chain, n)| {
                    // An emptied field means none extra, as the field's hint says.
                    let n = if n.trim().is_empty() { "0" } else { n };
                    (chain.to_string(), Whole::of(n))
                })
                .collect(),
            enabled_options: if self.only_some {
                self.options.iter().cloned().collect()
            } else {
                Vec::new()
            },
            allowed_origins: self
                .origins
                .lines()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            branding: BrandingBody {
                display_name: self.display_name.trim().to_owned(),
                logo_url: given(&self.logo_url),
                accent_color: given(&self.accent_color),
            },
            refund_requests: self.refund_requests,
        }
    }
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl Reducible for SettingsForm {
    type Action = Edit;

    fn reduce(self: Rc<Self>, edit: Edit) -> Rc<Self> {
        let mut next = (*self).clone();
        match edit {
            Edit::Text(field, text) => *next.text_mut(field) = text,
            Edit::Option(option, true) => {
                next.options.insert(option);
            }
            Edit::Option(option, false) => {
                next.options.remove(&option);
            }
            Edit::OnlySome(only_some) => next.only_some = only_some,
            Edit::RefundRequests(on) => {
                // Only a setting the server has can be changed.
                if next.refund_requests.is_some() {
                    next.refund_requests = Some(on);
                }
            }
            Edit::Load(form) => next = *form,
        }
        Rc::new(next)
    }
}

/// `POST /v1/account` with every setting the form holds; an empty logo URL or accent colour
/// is `null` (cleared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct UpdateBody {
    pub(super) session_ttl_secs: Whole,
    pub(super) late_grace_secs: Whole,
    pub(super) underpayment_tolerance_bps: Whole,
    pub(super) native_quote_secs: Whole,
    pub(super) extra_confirmations: BTreeMap<String, Whole>,
    pub(super) enabled_options: Vec<String>,
    pub(super) allowed_origins: Vec<String>,
    pub(super) branding: BrandingBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) refund_requests: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct BrandingBody {
    pub(super) display_name: String,
    pub(super) logo_url: Option<String>,
    pub(super) accent_color: Option<String>,
}

/// A count: a JSON number when it is one, else the text as typed, for the API to refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(super) enum Whole {
    Number(u64),
    Text(String),
}

impl Whole {
    fn of(text: &str) -> Self {
        let text = text.trim();
        text.parse()
            .map_or_else(|_| Self::Text(text.to_owned()), Self::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountObject {
        AccountObject {
            id: "acct_1".into(),
            livemode: false,
            session_ttl_secs: 1800,
            late_grace_secs: 86_400,
            underpayment_tolerance_bps: 0,
            native_quote_secs: 1800,
            extra_confirmations: BTreeMap::from([("999".to_owned(), 3)]),
            enabled_options: Vec::new(),
            allowed_origins: vec!["https://a.example".into(), "https://b.example".into()],
            branding: Branding {
                display_name: "Shop".into(),
                logo_url: None,
                accent_color: Some("#4f46e5".into()),
            },
            xpub_test: Some("tpub…".into()),
            xpub_live: None,
            addresses_issued_test: Some(4),
            addresses_issued_live: None,
            updated_at: String::new(),
            refund_requests: Some(false),
        }
    }

    fn chains() -> Vec<ChainChoice> {
        vec![ChainChoice {
            chain_id: 31_337,
            name: "Anvil".into(),
            min_confirmations: 2,
        }]
    }

    fn edited(edits: impl IntoIterator<Item = Edit>) -> SettingsForm {
        edits
            .into_iter()
            .fold(
                Rc::new(SettingsForm::new(&account(), &chains())),
                Reducible::reduce,
            )
            .as_ref()
            .clone()
    }

    #[test]
    fn an_untouched_form_sends_the_settings_it_was_given() {
        let body = edited([]).body();
        assert_eq!(body.session_ttl_secs, Whole::Number(1800));
        assert_eq!(body.late_grace_secs, Whole::Number(86_400));
        assert_eq!(body.underpayment_tolerance_bps, Whole::Number(0));
        assert_eq!(body.native_quote_secs, Whole::Number(1800));
        // A chain the settings name but the mode does not serve now is kept.
        assert_eq!(
            body.extra_confirmations,
            BTreeMap::from([
                ("31337".to_owned(), Whole::Number(0)),
                ("999".to_owned(), Whole::Number(3)),
            ])
        );
        assert_eq!(body.enabled_options, Vec::<String>::new());
        assert_eq!(
            body.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(
            body.branding,
            BrandingBody {
                display_name: "Shop".into(),
                logo_url: None,
                accent_color: Some("#4f46e5".into()),
            }
        );
    }

    #[test]
    fn edits_change_only_their_setting_and_text_that_is_no_count_goes_as_typed() {
        let body = edited([
            Edit::Text(Text::SessionTtl, " 900 ".into()),
            Edit::Text(Text::LateGrace, "1.5".into()),
            Edit::Text(Text::Extra(31_337), "".into()),
            Edit::Text(
                Text::Origins,
                " https://c.example \n\n https://d.example:8443 ".into(),
            ),
            Edit::Text(Text::AccentColor, "  ".into()),
            Edit::Text(Text::LogoUrl, "https://cdn.example/logo.png".into()),
        ])
        .body();
        assert_eq!(body.session_ttl_secs, Whole::Number(900));
        assert_eq!(body.late_grace_secs, Whole::Text("1.5".into()));
        assert_eq!(body.extra_confirmations["31337"], Whole::Number(0));
        assert_eq!(
            body.allowed_origins,
            ["https://c.example", "https://d.example:8443"]
        );
        assert_eq!(body.branding.accent_color, None);
        assert_eq!(
            body.branding.logo_url.as_deref(),
            Some("https://cdn.example/logo.png")
        );
        assert_eq!(body.native_quote_secs, Whole::Number(1800));
    }

    #[test]
    fn refund_requests_are_sent_only_when_the_server_has_the_setting() {
        assert_eq!(edited([]).body().refund_requests, Some(false));
        assert_eq!(
            edited([Edit::RefundRequests(true)]).body().refund_requests,
            Some(true)
        );
        let older = SettingsForm::new(
            &AccountObject {
                refund_requests: None,
                ..account()
            },
            &chains(),
        );
        let older = Rc::new(older).reduce(Edit::RefundRequests(true));
        assert_eq!(older.body().refund_requests, None);
    }

    #[test]
    fn options_are_sent_only_when_the_merchant_limits_them() {
        let ticked = [
            Edit::Option("31337:USDC".into(), true),
            Edit::Option("31337:ETH".into(), true),
            Edit::Option("31337:ETH".into(), false),
        ];
        assert_eq!(
            edited(ticked.clone()).body().enabled_options,
            Vec::<String>::new()
        );
        let limited = edited(ticked.into_iter().chain([Edit::OnlySome(true)]));
        assert_eq!(limited.body().enabled_options, ["31337:USDC"]);
        let opened = SettingsForm::new(
            &AccountObject {
                enabled_options: vec!["31337:USDC".into()],
                ..account()
            },
            &chains(),
        );
        assert!(opened.only_some);
        assert_eq!(opened.body().enabled_options, ["31337:USDC"]);
    }
}
