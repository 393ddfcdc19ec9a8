//! Every string the shopper reads, in one place.

use kasse_shared::error_code::ErrorCode;

pub const WIDGET_LABEL: &str = "Crypto checkout";
pub const LINKS_LABEL: &str = "Leave checkout";
pub const LOADING: &str = "Loading checkout…";
pub const LOAD_FAILED: &str =
    "We could not load this checkout. Check your connection and try again.";
pub const OFFLINE: &str = "Could not refresh the status.";
pub const RETRY: &str = "Try again";
pub const TEST_MODE: &str = "Test mode: no real funds move.";
pub const TOTAL: &str = "Total";

pub const CHOOSE_TITLE: &str = "Choose how to pay";
pub const ON_NETWORK: &str = "on";
pub const KEEP_CHOICE: &str = "Keep my current choice";
pub const CHANGE: &str = "Pay with another token or network";
pub const SELECT_LOCKED: &str =
    "A payment is already on its way, so the token and network can no longer change.";
pub const SELECT_UNAVAILABLE: &str =
    "That option is not available any more. Please choose another.";
pub const SELECT_CLOSED: &str = "This checkout is closed.";
pub const SELECT_FAILED: &str = "That did not work. Please try again.";

/// Why the server refused a selection, in the shopper's words.
pub fn select_refused(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::SelectionLocked => SELECT_LOCKED,
        ErrorCode::OptionUnavailable => SELECT_UNAVAILABLE,
        ErrorCode::SessionClosed => SELECT_CLOSED,
        _ => SELECT_FAILED,
    }
}

pub const PAY_TITLE: &str = "Scan to pay";
pub const PAY_REST_TITLE: &str = "Scan to pay the rest";
pub const QR_LABEL: &str = "QR code with the payment request for your wallet";
pub const SEND_EXACTLY: &str = "Send exactly";
pub const TO_ADDRESS: &str = "To this address";
pub const ONLY_ON: &str = "Send only on";
pub const ONLY_ON_WARNING: &str = "Funds sent on any other network do not pay this order.";
pub const EXPIRES_IN: &str = "Expires in";
pub const COPY: &str = "Copy";
pub const COPIED: &str = "Copied";
pub const OPEN_WALLET: &str = "Open in wallet";
pub const PAY_WITH_WALLET: &str = "Pay with browser wallet";
pub const TRON_QR_LABEL: &str = "QR code with the Tron address to pay to";
pub const TRON_NOTE: &str =
    "Send it as a TRC-20 transfer from a Tron wallet; the network fee is paid in TRX.";
pub const OPEN_TRONLINK: &str = "Open TronLink";
pub const WALLET_ASKING: &str = "Confirm the payment in your wallet…";
pub const WALLET_SENT: &str = "Sent. Waiting for the network to see it…";
pub const WALLET_REJECTED: &str = "You declined in your wallet. Nothing was sent.";
pub const WALLET_WRONG_CHAIN: &str =
    "Your wallet could not switch to this network. Switch it yourself, then try again.";
pub const WALLET_NO_ACCOUNT: &str = "Your wallet did not share an account.";
pub const WALLET_FAILED: &str = "The wallet could not send the payment. Please try again.";

pub const DETECTED_TITLE: &str = "Payment detected";
pub const DETECTED_BODY: &str = "Waiting for the network to confirm it. You can close this page.";
pub const CONFIRMATIONS: &str = "Confirmations";
pub const UNDERPAID_TITLE: &str = "Partly paid";
pub const UNDERPAID_BODY: &str =
    "We received less than the total. Send the rest to complete your order.";
pub const SUCCESS_TITLE: &str = "Payment received";
pub const SUCCESS_BODY: &str = "Thank you! Your payment is confirmed.";
pub const PAID_LATE_BODY: &str =
    "Thank you! Your payment arrived after the deadline and was accepted.";
pub const OVERPAID_BODY: &str =
    "Thank you! You sent more than the total; the shop has been told about the difference.";
pub const CONTINUE: &str = "Continue";
pub const REDIRECTING: &str = "Taking you back to the shop…";
pub const EXPIRED_TITLE: &str = "This checkout has expired";
pub const EXPIRED_BODY: &str =
    "No payment arrived in time. If you sent one, it is still recorded; contact the shop.";
pub const START_AGAIN: &str = "Start again";
pub const CANCELED_TITLE: &str = "This checkout was canceled";
pub const CANCELED_BODY: &str = "The shop canceled this payment request. Nothing was charged.";
pub const FAILED_TITLE: &str = "This checkout is closed";
pub const FAILED_BODY: &str = "It can no longer be paid. Please contact the shop.";

pub const REFUND_OFFERED: &str = "You can ask the shop to send back";
pub const REFUND_REQUEST: &str = "Request a refund";
pub const REFUND_AMOUNT: &str = "Refund";
pub const REFUND_ADDRESS: &str = "Your address on";
pub const REFUND_HINT: &str = "Use an address you control on";
pub const REFUND_EXCHANGE_WARNING: &str = "Exchange deposit addresses may not credit refunds.";
pub const REFUND_SUBMIT: &str = "Send refund request";
pub const REFUND_SENDING: &str = "Sending…";
pub const REFUND_UNANSWERED: &str =
    "We could not reach the server. Check your connection and try again.";
pub const REFUND_OF: &str = "Refund of";
pub const REFUND_REQUESTED_TO: &str = "requested to";
pub const REFUND_WILL_SEND: &str = "The shop will send it.";
pub const REFUNDED: &str = "Refunded";
pub const REFUND_SENT_TO: &str = "sent to";
pub const REFUND_TRANSACTION: &str = "Transaction";
pub const REFUND_DECLINED: &str = "The shop declined this refund.";
pub const REFUND_FAILED: &str =
    "The shop's refund transaction did not go through. Please contact the shop.";

/// What the shopper reads of a payment that arrived on a network the checkout does not
/// take: it is not lost (the address is the shop's on every EVM network), but it does not
/// pay the order.
pub fn wrong_network(amount: &str, token: &str, chain: &str) -> String {
    format!(
        "A payment of {amount} {token} arrived on {chain}, a network this checkout does not take. The shop can return it; contact them."
    )
}

pub const BACK_TO_SHOP: &str = "Back to shop";
pub const CANCEL: &str = "Cancel";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_network_payment_is_one_plain_sentence() {
        assert_eq!(
            wrong_network("49.99", "USDC", "Local L2 (anvil)"),
            "A payment of 49.99 USDC arrived on Local L2 (anvil), a network this checkout does not take. The shop can return it; contact them."
        );
    }

    #[test]
    fn a_refused_selection_says_why_when_the_shopper_can_act_on_it() {
        assert_eq!(select_refused(ErrorCode::SelectionLocked), SELECT_LOCKED);
        assert_eq!(
            select_refused(ErrorCode::OptionUnavailable),
            SELECT_UNAVAILABLE
        );
        assert_eq!(select_refused(ErrorCode::SessionClosed), SELECT_CLOSED);
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::SessionChanged,
            ErrorCode::ParameterInvalid,
            ErrorCode::InternalError,
            ErrorCode::Unknown,
        ] {
            assert_eq!(select_refused(code), SELECT_FAILED, "{code}");
        }
    }
}
