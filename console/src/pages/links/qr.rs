//! A link's URL as a QR code: inline SVG made here (no image request, nothing to allow in
//! the CSP), drawn the way the widget draws its payment QR.

use yew::prelude::*;

/// The SVG of a QR code of `text`; empty when `text` does not fit in one.
pub(super) fn svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct QrProps {
    pub(super) url: AttrValue,
}

#[function_component(Qr)]
pub(super) fn qr(props: &QrProps) -> Html {
    let svg = use_memo(props.url.clone(), |url| svg(url));
    html! {
        <figure class="qr">
            <div class="qr-code" role="img" aria-label={format!("QR code of {}", props.url)}
                data-qr-text={props.url.clone()}>
                { Html::from_html_unchecked(AttrValue::from((*svg).clone())) }
            </div>
            <figcaption><code>{ props.url.clone() }</code></figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_url_becomes_an_svg_qr_code() {
        let drawn = svg("https://pay.example/l/plink_AAAAAAAAAAAAAAAAAAAAAAAA");
        assert!(drawn.contains("<svg"), "{drawn}");
        assert!(drawn.contains("<path"), "{drawn}");
        assert!(
            !drawn.contains("style="),
            "the CSP allows no inline style: {drawn}"
        );
    }
}
