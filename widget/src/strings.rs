//! Every string the shopper reads, in one place.

pub const LOADING: &str = "Loading checkout…";
pub const LOAD_FAILED: &str =
    "We could not load this checkout. Check your connection; we keep trying.";
pub const PAY_TITLE: &str = "Scan to pay";
pub const SEND_EXACTLY: &str = "Send exactly";
pub const TO_ADDRESS: &str = "To this address";
pub const ONLY_ON: &str = "Send only on";
pub const ONLY_ON_WARNING: &str = "Funds sent on any other network are lost.";
pub const EXPIRES_IN: &str = "Expires in";
pub const COPY: &str = "Copy";
pub const COPIED: &str = "Copied";
pub const OPEN_WALLET: &str = "Open in wallet";
pub const DETECTED_TITLE: &str = "Payment detected";
pub const CONFIRMATIONS: &str = "Confirmations";
pub const UNDERPAID_TITLE: &str = "Partly paid";
pub const REMAINING: &str = "Still to send";
pub const SUCCESS_TITLE: &str = "Payment received";
pub const SUCCESS_BODY: &str = "Thank you! Your payment is confirmed.";
pub const EXPIRED_TITLE: &str = "This checkout has expired";
pub const EXPIRED_BODY: &str =
    "No payment arrived in time. If you sent one, it is still recorded; contact the shop.";
pub const CLOSED_TITLE: &str = "This checkout is closed";
pub const BACK_TO_SHOP: &str = "Back to shop";
pub const CANCEL: &str = "Cancel";
pub const CONTINUE: &str = "Continue";
pub const TOTAL: &str = "Total";
