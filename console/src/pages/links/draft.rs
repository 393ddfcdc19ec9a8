//! The new payment link as the merchant types it, as a pure reducer, and the request body it
//! becomes. Amounts stay the decimal strings typed (the API checks and rounds nothing away);
//! a quantity that is not a whole number is sent as typed so the API names what is wrong.

use std::rc::Rc;

use serde::Serialize;
use yew::Reducible;

/// How the link is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Pricing {
    #[default]
    Amount,
    LineItems,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    pub(super) name: String,
    pub(super) quantity: String,
    pub(super) unit_amount: String,
}

impl Default for Line {
    fn default() -> Self {
        Self {
            name: String::new(),
            quantity: "1".to_owned(),
            unit_amount: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Off {
    #[default]
    Percent,
    Amount,
}

impl Off {
    /// The parameter the value is sent as.
    pub(super) fn param(self) -> &'static str {
        match self {
            Self::Percent => "percent_off",
            Self::Amount => "amount_off",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct DiscountDraft {
    pub(super) name: String,
    pub(super) off: Off,
    pub(super) value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Draft {
    pub(super) pricing: Pricing,
    /// USD, as typed: `49.99`.
    pub(super) amount: String,
    pub(super) lines: Vec<Line>,
    pub(super) discounts: Vec<DiscountDraft>,
    pub(super) description: String,
    pub(super) success_url: String,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            pricing: Pricing::default(),
            amount: String::new(),
            lines: vec![Line::default()],
            discounts: Vec::new(),
            description: String::new(),
            success_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineField {
    Name,
    Quantity,
    UnitAmount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DiscountField {
    Name,
    Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Edit {
    Pricing(Pricing),
    Amount(String),
    Line(usize, LineField, String),
    AddLine,
    /// Removes a line; the last one stays (a link has at least one).
    RemoveLine(usize),
    Discount(usize, DiscountField, String),
    DiscountOff(usize, Off),
    AddDiscount,
    RemoveDiscount(usize),
    Description(String),
    SuccessUrl(String),
    /// The link was created: start over.
    Reset,
}

/// The API's limits on a link's order.
const MAX_LINES: usize = 100;
const MAX_DISCOUNTS: usize = 20;

impl Reducible for Draft {
    type Action = Edit;

    fn reduce(self: Rc<Self>, edit: Edit) -> Rc<Self> {
        let mut next = (*self).clone();
        match edit {
            Edit::Pricing(pricing) => next.pricing = pricing,
            Edit::Amount(text) => next.amount = text,
            Edit::Line(i, field, text) => {
                if let Some(line) = next.lines.get_mut(i) {
                    match field {
                        LineField::Name => line.name = text,
                        LineField::Quantity => line.quantity = text,
                        LineField::UnitAmount => line.unit_amount = text,
                    }
                }
            }
            Edit::AddLine if next.lines.len() < MAX_LINES => next.lines.push(Line::default()),
            Edit::AddLine => {}
            Edit::RemoveLine(i) if next.lines.len() > 1 && i < next.lines.len() => {
                next.lines.remove(i);
            }
            Edit::RemoveLine(_) => {}
            Edit::Discount(i, field, text) => {
                if let Some(discount) = next.discounts.get_mut(i) {
                    match field {
                        DiscountField::Name => discount.name = text,
                        DiscountField::Value => discount.value = text,
                    }
                }
            }
            Edit::DiscountOff(i, off) => {
                if let Some(discount) = next.discounts.get_mut(i) {
                    discount.off = off;
                }
            }
            Edit::AddDiscount if next.discounts.len() < MAX_DISCOUNTS => {
                next.discounts.push(DiscountDraft::default());
            }
            Edit::AddDiscount => {}
            Edit::RemoveDiscount(i) if i < next.discounts.len() => {
                next.discounts.remove(i);
            }
            Edit::RemoveDiscount(_) => {}
            Edit::Description(text) => next.description = text,
            Edit::SuccessUrl(text) => next.success_url = text,
            Edit::Reset => next = Self::default(),
        }
        Rc::new(next)
    }
}

/// `POST /v1/payment_links`: `amount` or `line_items`, never both; empty optional fields are
/// left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct CreateBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) amount: Option<AmountBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) line_items: Option<Vec<LineBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) discounts: Option<Vec<DiscountBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) success_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct AmountBody {
    pub(super) value: String,
    pub(super) currency: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct LineBody {
    pub(super) name: String,
    pub(super) quantity: Whole,
    pub(super) unit_amount: String,
}

/// A count: a JSON number when it is one, else the text as typed, for the API to refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(super) enum Whole {
    Number(u32),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct DiscountBody {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) amount_off: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) percent_off: Option<String>,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl Draft {
    pub(super) fn body(&self) -> CreateBody {
        let (amount, line_items) = match self.pricing {
            Pricing::Amount => {
                let amount = AmountBody {
                    value: self.amount.trim().to_owned(),
                    currency: "USD",
                };
                (Some(amount), None)
            }
            Pricing::LineItems => (None, Some(self.lines.iter().map(line_body).collect())),
        };
        let discounts: Vec<DiscountBody> = self.discounts.iter().map(discount_body).collect();
        CreateBody {
            amount,
            line_items,
            discounts: (!discounts.is_empty()).then_some(discounts),
            description: given(&self.description),
            success_url: given(&self.success_url),
        }
    }
}

fn line_body(line: &Line) -> LineBody {
    let quantity = line.quantity.trim();
    LineBody {
        name: line.name.trim().to_owned(),
        quantity: quantity
            .parse()
            .map_or_else(|_| Whole::Text(quantity.to_owned()), Whole::Number),
        unit_amount: line.unit_amount.trim().to_owned(),
    }
}

fn discount_body(discount: &DiscountDraft) -> DiscountBody {
    let value = discount.value.trim().to_owned();
    let (amount_off, percent_off) = match discount.off {
        Off::Amount => (Some(value), None),
        Off::Percent => (None, Some(value)),
    };
    DiscountBody {
        name: discount.name.trim().to_owned(),
        amount_off,
        percent_off,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(edits: impl IntoIterator<Item = Edit>) -> Draft {
        edits
            .into_iter()
            .fold(Rc::new(Draft::default()), Reducible::reduce)
            .as_ref()
            .clone()
    }

    #[test]
    fn an_amount_link_sends_the_amount_as_typed_in_usd_and_nothing_empty() {
        let body = typed([
            Edit::Amount(" 7.25 ".into()),
            Edit::Description("  ".into()),
        ])
        .body();
        assert_eq!(
            body,
            CreateBody {
                amount: Some(AmountBody {
                    value: "7.25".into(),
                    currency: "USD"
                }),
                line_items: None,
                discounts: None,
                description: None,
                success_url: None,
            }
        );
    }

    #[test]
    fn line_items_with_discounts_send_no_amount_and_each_discount_one_way() {
        let body = typed([
            Edit::Amount("99.00".into()),
            Edit::Pricing(Pricing::LineItems),
            Edit::Line(0, LineField::Name, "Notebook".into()),
            Edit::Line(0, LineField::Quantity, "2".into()),
            Edit::Line(0, LineField::UnitAmount, "8.00".into()),
            Edit::AddLine,
            Edit::Line(1, LineField::Name, "Pen".into()),
            Edit::Line(1, LineField::UnitAmount, "1.5".into()),
            Edit::AddDiscount,
            Edit::Discount(0, DiscountField::Name, "SPRING".into()),
            Edit::Discount(0, DiscountField::Value, "12.5".into()),
            Edit::AddDiscount,
            Edit::DiscountOff(1, Off::Amount),
            Edit::Discount(1, DiscountField::Name, "FIVE".into()),
            Edit::Discount(1, DiscountField::Value, "5.00".into()),
            Edit::SuccessUrl("https://shop.example/thanks".into()),
        ])
        .body();
        assert_eq!(body.amount, None);
        assert_eq!(
            body.line_items,
            Some(vec![
                LineBody {
                    name: "Notebook".into(),
                    quantity: Whole::Number(2),
                    unit_amount: "8.00".into()
                },
                LineBody {
                    name: "Pen".into(),
                    quantity: Whole::Number(1),
                    unit_amount: "1.5".into()
                },
            ])
        );
        assert_eq!(
            body.discounts,
            Some(vec![
                DiscountBody {
                    name: "SPRING".into(),
                    amount_off: None,
                    percent_off: Some("12.5".into())
                },
                DiscountBody {
                    name: "FIVE".into(),
                    amount_off: Some("5.00".into()),
                    percent_off: None
                },
            ])
        );
        assert_eq!(
            body.success_url.as_deref(),
            Some("https://shop.example/thanks")
        );
    }

    #[test]
    fn a_quantity_that_is_not_a_count_goes_as_typed_for_the_api_to_name() {
        let body = typed([
            Edit::Pricing(Pricing::LineItems),
            Edit::Line(0, LineField::Quantity, "2.5".into()),
        ])
        .body();
        assert_eq!(
            body.line_items.unwrap()[0].quantity,
            Whole::Text("2.5".into())
        );
    }

    #[test]
    fn the_last_line_stays_and_removing_shifts_the_rest() {
        assert_eq!(typed([Edit::RemoveLine(0)]).lines.len(), 1);
        let draft = typed([
            Edit::AddLine,
            Edit::Line(1, LineField::Name, "second".into()),
            Edit::RemoveLine(0),
            Edit::RemoveLine(7),
        ]);
        assert_eq!(draft.lines.len(), 1);
        assert_eq!(draft.lines[0].name, "second");
        let draft = typed([
            Edit::AddDiscount,
            Edit::AddDiscount,
            Edit::RemoveDiscount(0),
        ]);
        assert_eq!(draft.discounts.len(), 1);
        assert_eq!(
            typed([Edit::AddDiscount, Edit::Amount("3".into()), Edit::Reset]),
            Draft::default()
        );
    }

    #[test]
    fn no_more_lines_or_discounts_than_the_api_takes() {
        let draft = typed((0..150).flat_map(|_| [Edit::AddLine, Edit::AddDiscount]));
        assert_eq!(draft.lines.len(), MAX_LINES);
        assert_eq!(draft.discounts.len(), MAX_DISCOUNTS);
    }
}
