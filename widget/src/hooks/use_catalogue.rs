//! The shopper's catalogue: fetched when the widget's locale changes (the session's view
//! may name one), and announced to the page once it is shown.

use std::rc::Rc;

use yew::prelude::*;

use crate::model::{Action, Model};
use crate::strings::Catalogue;

#[hook]
pub fn use_catalogue(
    model: &UseReducerHandle<Model>,
    api_base: &AttrValue,
    on_locale: &Callback<(&'static str, bool)>,
) {
    let wanted = model.locale();
    {
        let model = model.clone();
        let api_base = api_base.clone();
        use_effect_with(wanted, move |&locale| {
            if model.catalogue.locale == locale {
                return;
            }
            if locale == kasse_shared::locale::DEFAULT {
                model.dispatch(Action::Catalogue(Rc::new(Catalogue::english())));
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                match crate::i18n::fetch(&api_base, locale).await {
                    Ok(catalogue) => model.dispatch(Action::Catalogue(catalogue)),
                    Err(_) => model.dispatch(Action::CatalogueFailed(locale)),
                }
            });
        });
    }
    let shown = model.catalogue.locale;
    let rtl = model.catalogue.is_rtl();
    let on_locale = on_locale.clone();
    use_effect_with(shown, move |&locale| on_locale.emit((locale, rtl)));
}
