//! Session statuses. Plain data: shared by the worker and the widget.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Detected,
    Underpaid,
    Overpaid,
    Paid,
    PaidLate,
    Expired,
    Canceled,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Detected => "detected",
            Self::Underpaid => "underpaid",
            Self::Overpaid => "overpaid",
            Self::Paid => "paid",
            Self::PaidLate => "paid_late",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
            Self::Failed => "failed",
        }
    }

    /// Terminal now, whatever the clock: the outcome is decided.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Overpaid | Self::Paid | Self::PaidLate | Self::Canceled | Self::Failed
        )
    }

    /// The shopper paid (the merchant fulfils).
    pub fn is_paid(self) -> bool {
        matches!(self, Self::Overpaid | Self::Paid | Self::PaidLate)
    }

    /// Progress towards being paid; a drop is a backward move (`session.updated`).
    pub fn rank(self) -> u8 {
        match self {
            Self::Pending | Self::Expired => 0,
            Self::Underpaid => 1,
            Self::Detected => 2,
            Self::Overpaid | Self::Paid | Self::PaidLate | Self::Canceled | Self::Failed => 3,
        }
    }
}
