//! Test or live: two toggle buttons, the shown mode pressed.

use yew::prelude::*;

use crate::model::Mode;

#[derive(Properties, PartialEq)]
pub struct ModeSwitchProps {
    pub mode: Mode,
    pub on_show: Callback<Mode>,
}

#[function_component(ModeSwitch)]
pub fn mode_switch(props: &ModeSwitchProps) -> Html {
    let button = |mode: Mode| {
        let on_show = props.on_show.clone();
        let pressed = props.mode == mode;
        html! {
            <button type="button" class={classes!("mode", mode.as_str())}
                aria-pressed={if pressed { "true" } else { "false" }}
                onclick={Callback::from(move |_: MouseEvent| on_show.emit(mode))}>
                { mode.label() }
            </button>
        }
    };
    html! {
        <div class="mode-switch" role="group" aria-label="Mode">
            { button(Mode::Test) }
            { button(Mode::Live) }
        </div>
    }
}
