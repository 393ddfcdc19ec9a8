//! Token and network marks: tiny inline SVGs, drawn here rather than fetched, so the widget
//! asks no third party for anything and a missing image never leaves a hole. Each is
//! decoration beside the token's or network's name, hidden from screen readers.
//! The ETH token and the Ethereum network share the diamond and stay apart by their shape.

use yew::{AttrValue, Html};

/// The shapes: tokens are round, networks rounded squares.
macro_rules! round {
    () => {
        r#"<circle cx="12" cy="12" r="12""#
    };
}
macro_rules! square {
    () => {
        r#"<rect width="24" height="24" rx="6""#
    };
}
/// Ethereum's diamond: two stacked rhombi.
macro_rules! diamond {
    () => {
        "M12 3l5 8.5-5 3-5-3zm0 12.7l5-3-5 7.3-5-7.3z"
    };
}

macro_rules! open_svg {
    () => {
        r#"<svg class="kasse-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">"#
    };
}

/// `$shape` filled with `$fill`, under 1–2 letters in `$ink`.
macro_rules! lettered {
    ($shape:expr, $fill:literal, $ink:literal, $letters:literal) => {
        concat!(
            open_svg!(),
            $shape,
            r#" fill=""#,
            $fill,
            r#""/><text x="12" y="16" fill=""#,
            $ink,
            r#"" font-family="sans-serif" font-size="10" font-weight="700" text-anchor="middle">"#,
            $letters,
            "</text></svg>"
        )
    };
}

/// `$shape` filled with `$fill`, under a white drawing (an SVG path).
macro_rules! drawn {
    ($shape:expr, $fill:literal, $path:expr) => {
        concat!(
            open_svg!(),
            $shape,
            r#" fill=""#,
            $fill,
            r##""/><path fill="#fff" d=""##,
            $path,
            r#""/></svg>"#
        )
    };
}

pub const USDC: &str = lettered!(round!(), "#2775ca", "#fff", "$");
pub const USDT: &str = lettered!(round!(), "#1a7f5a", "#fff", "T");
pub const ETH: &str = drawn!(round!(), "#627eea", diamond!());
/// Any other coin: a coin's rim.
pub const COIN: &str = drawn!(
    round!(),
    "#5b6472",
    "M12 5a7 7 0 1 0 0 14 7 7 0 0 0 0-14zm0 2.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9z"
);

pub const ETHEREUM: &str = drawn!(square!(), "#454a75", diamond!());
pub const ARBITRUM: &str = lettered!(square!(), "#213147", "#28a0f0", "A");
pub const BASE: &str = lettered!(square!(), "#0052ff", "#fff", "B");
pub const OPTIMISM: &str = lettered!(square!(), "#e0001b", "#fff", "OP");
pub const POLYGON: &str = lettered!(square!(), "#7b3fe4", "#fff", "P");
pub const BNB: &str = lettered!(square!(), "#f0b90b", "#1e2026", "B");
pub const TRON: &str = lettered!(square!(), "#d9001b", "#fff", "T");
/// A local or unknown chain: two links of a chain.
pub const CHAIN: &str = drawn!(
    square!(),
    "#5b6472",
    "M4 9h9v6H4zm2 2v2h5v-2zm5-2h9v6h-9zm2 2v2h5v-2z"
);

/// The mark of `symbol` (a token's ticker).
pub fn token(symbol: &str) -> &'static str {
    match symbol {
        "USDC" => USDC,
        "USDT" => USDT,
        "ETH" => ETH,
        _ => COIN,
    }
}

/// The mark of the network `chain_id`, its mainnet or a public testnet of it.
pub fn network(chain_id: u64) -> &'static str {
    match chain_id {
        1 | 11_155_111 | 17_000 => ETHEREUM,
        42_161 | 421_614 => ARBITRUM,
        8453 | 84_532 => BASE,
        10 | 11_155_420 => OPTIMISM,
        137 | 80_002 => POLYGON,
        56 | 97 => BNB,
        728_126_428 | 2_494_104_990 | 3_448_148_188 => TRON,
        _ => CHAIN,
    }
}

/// A mark as a node: the strings above are this file's own, never the server's.
pub fn html(svg: &'static str) -> Html {
    Html::from_html_unchecked(AttrValue::Static(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 12] = [
        USDC, USDT, ETH, COIN, ETHEREUM, ARBITRUM, BASE, OPTIMISM, POLYGON, BNB, TRON, CHAIN,
    ];

    #[test]
    fn every_mark_is_one_hidden_svg_with_nothing_to_fetch() {
        for svg in ALL {
            assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
            assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
            assert!(svg.contains(r#"aria-hidden="true""#), "{svg}");
            assert!(!svg.contains("href") && !svg.contains("url("), "{svg}");
            assert_eq!(svg.matches('"').count() % 2, 0, "balanced quotes: {svg}");
        }
    }

    #[test]
    fn the_marks_stay_small() {
        let total: usize = ALL.iter().map(|svg| svg.len()).sum();
        // Raw bytes; they gzip to a fraction of this, being alike.
        assert!(total < 4_000, "{total} bytes");
    }

    #[test]
    fn tokens_and_networks_by_name_and_chain() {
        assert_eq!(token("USDC"), USDC);
        assert_eq!(token("USDT"), USDT);
        assert_eq!(token("ETH"), ETH);
        assert_eq!(token("POL"), COIN);
        assert_eq!(network(1), ETHEREUM);
        assert_eq!(network(8453), BASE);
        assert_eq!(network(84_532), BASE);
        assert_eq!(network(42_161), ARBITRUM);
        assert_eq!(network(10), OPTIMISM);
        assert_eq!(network(137), POLYGON);
        assert_eq!(network(56), BNB);
        assert_eq!(network(728_126_428), TRON);
        // The local chains, and any chain a deployment adds that has no mark here.
        assert_eq!(network(31_337), CHAIN);
        assert_eq!(network(31_339), CHAIN);
    }
}
