//! The pay screen's QR code, and beside it what to send, large. An EVM option offers two
//! codes, the shopper's choice: the EIP-681 payment request for wallet apps, or the bare
//! address for exchanges and wallets that misread payment requests (the shopper then types
//! the amount). A Tron option has no payment request: its code is the address alone.

use kasse_shared::shopper::ShopperOption;
use yew::prelude::*;

use super::{Handlers, labelled, marked};
use crate::icons;
use crate::model::QrMode;
use crate::strings as s;

/// The QR block of an EVM option: the choice of mode, the code of that mode, and what to
/// send. `uri` is the EIP-681 request, `address` the session's address as the API wrote it
/// (checksummed), `amount` what is still owed.
pub fn evm(
    option: &ShopperOption,
    uri: &str,
    address: &str,
    amount: &str,
    mode: QrMode,
    on: &Handlers,
) -> Html {
    let code = match mode {
        QrMode::Wallet => html! {
            <div class="kasse-qr" role="img" aria-label={s::QR_LABEL}
                data-qr-mode={mode.name()} data-payment-uri={uri.to_owned()}>
                { code_of(uri) }
            </div>
        },
        QrMode::Address => html! {
            <div class="kasse-qr" role="img" aria-label={s::QR_ADDRESS_LABEL}
                data-qr-mode={mode.name()} data-address={address.to_owned()}>
                { code_of(address) }
            </div>
        },
    };
    html! {
        <div class="kasse-qr-block">
            { modes(mode, on) }
            <div class="kasse-qr-row">{ code }{ facts(option, amount) }</div>
            if mode == QrMode::Address {
                <p class="kasse-warning kasse-qr-note">{ s::QR_EXCHANGE_NOTE }</p>
            }
        </div>
    }
}

/// The QR block of a Tron option: the `T…` address alone, and what to send.
pub fn tron(option: &ShopperOption, amount: &str) -> Html {
    html! {
        <div class="kasse-qr-block">
            <div class="kasse-qr-row">
                <div class="kasse-qr" role="img" aria-label={s::TRON_QR_LABEL} data-address={option.address.clone()}>
                    { code_of(&option.address) }
                </div>
                { facts(option, amount) }
            </div>
        </div>
    }
}

/// Two radio buttons: the arrow keys move between them, as in any radio group.
fn modes(mode: QrMode, on: &Handlers) -> Html {
    let choice = |this: QrMode, label: s::Key| {
        html! {
            <label class="kasse-qr-mode">
                <input type="radio" name="kasse-qr-mode" value={this.name()} checked={mode == this}
                    onchange={on.qr_mode.reform(move |_| this)} />
                { label }
            </label>
        }
    };
    html! {
        <fieldset class="kasse-qr-modes">
            <legend>{ s::QR_MODES_LABEL }</legend>
            { choice(QrMode::Wallet, s::QR_MODE_WALLET) }
            { choice(QrMode::Address, s::QR_MODE_EXCHANGE) }
        </fieldset>
    }
}

/// The amount, token and network, large enough to type from: the address-only code carries
/// none of them.
fn facts(option: &ShopperOption, amount: &str) -> Html {
    html! {
        <dl class="kasse-facts">
            { labelled(s::AMOUNT, Html::from(s::number(amount))) }
            { labelled(s::TOKEN, marked(icons::token(&option.token), option.token.clone())) }
            { labelled(s::NETWORK, marked(icons::network(option.chain_id), option.chain.clone())) }
        </dl>
    }
}

/// `text` as an SVG QR code with its quiet zone (none when it does not fit a code).
fn code_of(text: &str) -> Html {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| svg(code.width(), &code.to_colors()))
        .unwrap_or_default();
    Html::from_html_unchecked(AttrValue::from(svg))
}

/// The quiet zone around a code, in modules, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// An SVG of the `width` × `width` modules of a code (row by row): one path of a rectangle
/// per horizontal run of dark modules, on white, scaled by the stylesheet. Written by hand:
/// a formatter would add kilobytes to the widget.
pub(crate) fn svg(width: usize, modules: &[qrcode::Color]) -> String {
    let side = width + 2 * QUIET_ZONE;
    let mut out = String::with_capacity(modules.len() * 4);
    out.push_str(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#);
    push_number(&mut out, side);
    out.push(' ');
    push_number(&mut out, side);
    out.push_str(r##"" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d=""##);
    for (y, row) in modules.chunks(width.max(1)).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row[x] != qrcode::Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] == qrcode::Color::Dark {
                x += 1;
            }
            out.push('M');
            push_number(&mut out, start + QUIET_ZONE);
            out.push(' ');
            push_number(&mut out, y + QUIET_ZONE);
            out.push('h');
            push_number(&mut out, x - start);
            out.push_str("v1H");
            push_number(&mut out, start + QUIET_ZONE);
            out.push('z');
        }
    }
    out.push_str(r#""/></svg>"#);
    out
}

fn push_number(out: &mut String, n: usize) {
    if n >= 10 {
        push_number(out, n / 10);
    }
    out.push(char::from(b"0123456789"[n % 10]));
}

#[cfg(test)]
mod tests {
    use qrcode::{Color, QrCode};

    use super::{QUIET_ZONE, svg};

    /// The dark modules the path of `svg` paints, read back from its `M x y h w v1 H x z` runs.
    fn painted(svg: &str) -> Vec<(usize, usize)> {
        let path = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|d| d.split('"').next())
            .expect("a path");
        let mut cells = Vec::new();
        for run in path.split('M').filter(|r| !r.is_empty()) {
            let (start, rest) = run.split_once(' ').expect("x then y");
            let (y, rest) = rest.split_once('h').expect("a width");
            let (width, rest) = rest.split_once("v1H").expect("one row high");
            assert_eq!(rest, format!("{start}z"), "the run closes where it started");
            let (start, y, width): (usize, usize, usize) = (
                start.parse().unwrap(),
                y.parse().unwrap(),
                width.parse().unwrap(),
            );
            assert!(width > 0);
            cells.extend((start..start + width).map(|x| (x - QUIET_ZONE, y - QUIET_ZONE)));
        }
        cells.sort_unstable();
        cells
    }

    #[test]
    fn the_path_paints_exactly_the_dark_modules_inside_the_quiet_zone() {
        for text in [
            "0x52908400098527886E0F7030069857D4E4169EE7",
            "ethereum:0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48@1/transfer?address=0x52908400098527886E0F7030069857D4E4169EE7&uint256=1234500",
            "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
        ] {
            let code = QrCode::new(text.as_bytes()).unwrap();
            let width = code.width();
            let colors = code.to_colors();
            let mut dark: Vec<(usize, usize)> = (0..colors.len())
                .filter(|i| colors[*i] == Color::Dark)
                .map(|i| (i % width, i / width))
                .collect();
            dark.sort_unstable();
            let svg = svg(width, &colors);
            assert_eq!(painted(&svg), dark, "{text}");
            let side = (width + 2 * QUIET_ZONE).to_string();
            assert!(
                svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
                "{svg}"
            );
        }
    }
}
