//! "Send refund" as a pure reducer: the wallet is asked, it sends (or refuses), and Kasse is
//! told the transaction's hash. Once a wallet has sent, the only way on is reporting that
//! same hash: nothing here can start a second transaction for the same refund.

use std::rc::Rc;

use yew::Reducible;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sending {
    #[default]
    Idle,
    /// The wallet is asked: its account, its chain, the transaction.
    InWallet,
    /// The wallet sent the transaction `0`; Kasse is being told.
    Reporting(String),
    /// Kasse has the hash `0`; the page follows the refund.
    Reported(String),
    /// The wallet sent nothing; what it said.
    Refused(String),
    /// The wallet sent `hash`, but telling Kasse failed with `message`.
    Unreported { hash: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The merchant pressed "Send refund".
    Start,
    /// The wallet answered with this transaction hash.
    Sent(String),
    /// The wallet refused, in these words.
    Refused(String),
    /// The merchant pressed "Report again".
    Retry,
    Reported,
    ReportFailed(String),
}

impl Sending {
    /// The wallet may be asked: nothing was sent yet.
    pub fn can_start(&self) -> bool {
        matches!(self, Self::Idle | Self::Refused(_))
    }

    /// A call is on its way (the buttons wait).
    pub fn busy(&self) -> bool {
        matches!(self, Self::InWallet | Self::Reporting(_))
    }

    /// The transaction the wallet sent, once it has.
    pub fn hash(&self) -> Option<&str> {
        match self {
            Self::Reporting(hash) | Self::Reported(hash) | Self::Unreported { hash, .. } => {
                Some(hash)
            }
            _ => None,
        }
    }
}

impl Reducible for Sending {
    type Action = Step;

    fn reduce(self: Rc<Self>, step: Step) -> Rc<Self> {
        let next = match (&*self, step) {
            (now, Step::Start) if now.can_start() => Self::InWallet,
            (Self::InWallet, Step::Sent(hash)) => Self::Reporting(hash),
            (Self::InWallet, Step::Refused(said)) => Self::Refused(said),
            (Self::Unreported { hash, .. }, Step::Retry) => Self::Reporting(hash.clone()),
            (Self::Reporting(hash), Step::Reported) => Self::Reported(hash.clone()),
            (Self::Reporting(hash), Step::ReportFailed(message)) => Self::Unreported {
                hash: hash.clone(),
                message,
            },
            // Anything else arrives out of turn (a double click, a late answer): ignored.
            _ => return self,
        };
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: impl IntoIterator<Item = Step>) -> Sending {
        steps
            .into_iter()
            .fold(Rc::new(Sending::Idle), Reducible::reduce)
            .as_ref()
            .clone()
    }

    const HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn a_sent_refund_is_reported_with_the_wallets_hash() {
        let done = run([Step::Start, Step::Sent(HASH.into()), Step::Reported]);
        assert_eq!(done, Sending::Reported(HASH.into()));
        assert_eq!(done.hash(), Some(HASH));
        assert!(!done.can_start(), "a reported refund is never sent again");
    }

    #[test]
    fn a_refusal_sends_nothing_and_may_be_tried_again() {
        let refused = run([Step::Start, Step::Refused("You declined.".into())]);
        assert_eq!(refused, Sending::Refused("You declined.".into()));
        assert_eq!(refused.hash(), None);
        assert!(refused.can_start());
        assert_eq!(
            run([Step::Start, Step::Refused("no".into()), Step::Start]),
            Sending::InWallet
        );
    }

    #[test]
    fn a_failed_report_keeps_the_hash_and_only_reports_it_again() {
        let failed = run([
            Step::Start,
            Step::Sent(HASH.into()),
            Step::ReportFailed("Kasse could not be reached.".into()),
        ]);
        assert_eq!(failed.hash(), Some(HASH));
        assert!(!failed.can_start(), "the wallet already sent it");
        assert_eq!(
            run([
                Step::Start,
                Step::Sent(HASH.into()),
                Step::ReportFailed("x".into()),
                Step::Start,
                Step::Retry,
            ]),
            Sending::Reporting(HASH.into())
        );
    }

    #[test]
    fn steps_out_of_turn_change_nothing() {
        assert_eq!(run([Step::Start, Step::Start]), Sending::InWallet);
        assert!(Sending::InWallet.busy());
        assert_eq!(run([Step::Sent(HASH.into())]), Sending::Idle);
        assert_eq!(run([Step::Reported, Step::Retry]), Sending::Idle);
        assert_eq!(
            run([
                Step::Start,
                Step::Sent(HASH.into()),
                Step::Refused("late".into())
            ]),
            Sending::Reporting(HASH.into())
        );
    }
}
