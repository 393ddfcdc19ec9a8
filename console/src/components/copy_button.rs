//! A button that copies a value to the clipboard and says so next to it (the button's own
//! name never changes, so it can be pressed again and found again).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    pub text: AttrValue,
    #[prop_or(AttrValue::Static("Copy"))]
    pub label: AttrValue,
}

#[function_component(CopyButton)]
pub fn copy_button(props: &CopyButtonProps) -> Html {
    let said = use_state(|| None::<&'static str>);
    let onclick = {
        let (text, said) = (props.text.clone(), said.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
                return;
            };
            let promise = clipboard.write_text(&text);
            let said = said.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                said.set(Some(if copied {
                    "Copied"
                } else {
                    "Copying failed: select the text and copy it"
                }));
            });
        })
    };
    html! {
        <span class="copy">
            <button type="button" class="secondary" {onclick}>{ props.label.clone() }</button>
            <span class="muted" role="status">{ said.unwrap_or_default() }</span>
        </span>
    }
}
