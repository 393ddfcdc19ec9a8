//! The browser's wallets as they announce themselves (EIP-6963), for as long as the widget is
//! mounted.

use std::rc::Rc;

use yew::prelude::*;

use crate::wallet::{self, Choice};

/// The wallets announced so far, in the order they came.
#[derive(Default, PartialEq)]
pub struct Announced(pub Vec<Choice>);

impl Reducible for Announced {
    type Action = Choice;

    fn reduce(self: Rc<Self>, wallet: Choice) -> Rc<Self> {
        // Every wallet answers every request again: an unchanged one changes nothing.
        if self.0.contains(&wallet) {
            return self;
        }
        let mut wallets = self.0.clone();
        wallet::merge(&mut wallets, wallet);
        Rc::new(Self(wallets))
    }
}

/// The wallets the shopper may pay with: `merchant`'s provider if the merchant gave one (then
/// the widget does not look for others), else every wallet the browser announces, late ones
/// included, else `window.ethereum`. Unmounting stops listening.
#[hook]
pub fn use_wallets(merchant: Option<&Choice>) -> Vec<Choice> {
    let announced = use_reducer(Announced::default);
    {
        let announced = announced.clone();
        use_effect_with(merchant.is_none(), move |&discover| {
            let listener =
                discover.then(|| wallet::discover(move |found| announced.dispatch(found)));
            move || drop(listener)
        });
    }
    wallet::offered(merchant, &announced.0)
}
