//! CSV exports of an account's sessions and payments: the query they take, RFC 4180
//! fields and lines, and one line per session or per payment. Pure: the worker reads the
//! rows page by page and writes what this builds.

use alloy_primitives::U256;

use crate::api::list::instant;
use crate::catalogue::Catalogue;
use crate::error_code::ErrorCode;
use crate::money::format_units;
use crate::params::ParamError;
use crate::session::{Payment, PaymentStatus, Session};
use crate::time::Timestamp;

/// Which sessions an export covers: those created in the range, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportRange {
    pub created_gte: Option<Timestamp>,
    pub created_lte: Option<Timestamp>,
}

/// Which export: one line per session, or one per payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Sessions,
    Payments,
}

impl ExportKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Payments => "payments",
        }
    }

    /// The header line.
    pub fn header(self) -> String {
        let names: &[&str] = match self {
            Self::Sessions => &SESSION_COLUMNS,
            Self::Payments => &PAYMENT_COLUMNS,
        };
        line(names.iter().map(|n| (*n).to_owned()))
    }

    /// `payments-test-1700000000-1700086400.csv`: the kind, the mode and the range in unix
    /// seconds (`start` and `now` where the range is open).
    pub fn filename(self, livemode: bool, range: &ExportRange) -> String {
        let mode = if livemode { "live" } else { "test" };
        let from = range
            .created_gte
            .map_or_else(|| "start".to_owned(), |t| t.0.to_string());
        let to = range
            .created_lte
            .map_or_else(|| "now".to_owned(), |t| t.0.to_string());
        format!("{}-{mode}-{from}-{to}.csv", self.name())
    }
}

pub const PAYMENT_COLUMNS: [&str; 15] = [
    "session",
    "payment_time",
    "chain_id",
    "chain",
    "token",
    "amount",
    "amount_formatted",
    "decimals",
    "tx_hash",
    "log_index",
    "block_number",
    "status",
    "counted",
    "session_status",
    "customer_email",
];

pub const SESSION_COLUMNS: [&str; 15] = [
    "id",
    "created",
    "status",
    "currency",
    "amount_total",
    "chain",
    "token",
    "amount",
    "amount_received",
    "paid_at",
    "tx_hash",
    "customer_email",
    "customer_id",
    "description",
    "metadata",
];

/// Parses `created[gte]` and `created[lte]` (unix seconds or RFC 3339, as the lists take
/// them); an empty value is an absent bound, and a range that ends before it starts is
/// refused rather than answered with nothing.
pub fn parse_range<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<ExportRange, ParamError> {
    let mut range = ExportRange::default();
    for (key, value) in pairs {
        let bound = match key {
            "created[gte]" => &mut range.created_gte,
            "created[lte]" => &mut range.created_lte,
            _ => {
                return Err(ParamError::new(
                    ErrorCode::ParameterUnknown,
                    key,
                    format!("Received unknown parameter: {key}."),
                ));
            }
        };
        if value.is_empty() {
            continue;
        }
        *bound = Some(instant(value).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                key,
                format!("{key} must be unix seconds or an RFC 3339 time."),
            )
        })?);
    }
    if let (Some(gte), Some(lte)) = (range.created_gte, range.created_lte)
        && lte < gte
    {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "created[lte]",
            format!("created[lte] ({lte}) is before created[gte] ({gte}): the range is empty."),
        ));
    }
    Ok(range)
}

/// One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF, quotes doubled.
pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Free text a merchant's customers may have typed: a spreadsheet would run a value that
/// starts like a formula, so such a value is prefixed with `'` and shows as text.
pub fn free_text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// One CSV line, CRLF-terminated.
pub fn line(fields: impl IntoIterator<Item = String>) -> String {
    let mut out = fields
        .into_iter()
        .map(|f| field(&f))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn payment_status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Detected => "detected",
        PaymentStatus::Confirmed => "confirmed",
        PaymentStatus::Reorged => "reorged",
    }
}

/// The decimals of `token` on `chain_id`: the session's own quote for it, else the
/// catalogue (a payment in a token the session did not offer still has its decimals).
fn decimals_of(session: &Session, catalogue: &Catalogue, chain_id: u64, token: &str) -> Option<u8> {
    let quoted = session
        .options
        .iter()
        .chain(session.selected.as_ref())
        .find(|q| q.chain_id == chain_id && q.token.eq_ignore_ascii_case(token));
    if let Some(quote) = quoted {
        return Some(quote.decimals);
    }
    let chain = catalogue.chain(chain_id)?;
    if chain.native_symbol.eq_ignore_ascii_case(token) {
        return Some(chain.native_decimals);
    }
    chain.token(token).map(|t| t.decimals)
}

fn chain_name(catalogue: &Catalogue, chain_id: u64) -> String {
    opt(catalogue.chain(chain_id).map(|c| c.name.as_str()))
}

fn formatted(amount: U256, decimals: Option<u8>) -> String {
    opt(decimals.map(|d| format_units(amount, d)))
}

/// The line of one payment of `session`.
pub fn payment_line(session: &Session, payment: &Payment, catalogue: &Catalogue) -> String {
    let decimals = decimals_of(session, catalogue, payment.chain_id, &payment.token);
    line([
        session.id.to_string(),
        payment.block_time.to_string(),
        payment.chain_id.to_string(),
        chain_name(catalogue, payment.chain_id),
        payment.token.clone(),
        payment.amount.to_string(),
        formatted(payment.amount, decimals),
        opt(decimals),
        opt(payment.tx_hash),
        opt(payment.log_index),
        payment.block_number.to_string(),
        payment_status(payment.status).to_owned(),
        payment.counted.to_string(),
        session.status.as_str().to_owned(),
        free_text(session.customer_email.as_deref().unwrap_or_default()),
    ])
}

/// The line of one session: its order, the option chosen, what it received.
pub fn session_line(session: &Session, catalogue: &Catalogue) -> String {
    let selected = session.selected.as_ref();
    let decimals = selected.map(|q| q.decimals);
    // Metadata is a map of strings: it always serialises.
    let metadata = if session.metadata.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&session.metadata).unwrap_or_default()
    };
    line([
        session.id.to_string(),
        session.created_at.to_string(),
        session.status.as_str().to_owned(),
        session.currency.clone(),
        session.amount_total.to_string(),
        opt(selected.map(|q| chain_name(catalogue, q.chain_id))),
        opt(selected.map(|q| q.token.as_str())),
        opt(selected.map(|q| format_units(q.amount, q.decimals))),
        formatted(session.amount_received, decimals),
        opt(session.paid_at),
        opt(session.tx_hash),
        free_text(session.customer_email.as_deref().unwrap_or_default()),
        free_text(session.customer_id.as_deref().unwrap_or_default()),
        free_text(session.description.as_deref().unwrap_or_default()),
        free_text(&metadata),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(pairs: &[(&str, &str)]) -> Result<ExportRange, ParamError> {
        parse_range(pairs.iter().copied())
    }

    #[test]
    fn fields_with_separators_quotes_or_line_breaks_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\ronly"), "\"cr\ronly\"");
    }

    #[test]
    fn lines_end_in_crlf_and_keep_empty_fields() {
        let fields = ["a", "", "b,c"].map(str::to_owned);
        assert_eq!(line(fields), "a,,\"b,c\"\r\n");
        assert_eq!(
            ExportKind::Payments.header().split(',').count(),
            PAYMENT_COLUMNS.len()
        );
    }

    #[test]
    fn free_text_that_starts_like_a_formula_is_kept_as_text() {
        assert_eq!(free_text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(free_text("+1"), "'+1");
        assert_eq!(free_text("-2"), "'-2");
        assert_eq!(free_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(free_text("a=b"), "a=b");
        assert_eq!(free_text(""), "");
    }

    #[test]
    fn the_range_takes_unix_seconds_or_rfc3339_and_empty_bounds_are_open() {
        let parsed = range(&[
            ("created[gte]", "1700000000"),
            ("created[lte]", "2023-11-15T00:00:00Z"),
        ])
        .unwrap();
        assert_eq!(parsed.created_gte, Some(Timestamp(1_700_000_000)));
        assert_eq!(parsed.created_lte, Some(Timestamp(1_700_006_400)));
        assert_eq!(
            range(&[("created[gte]", "")]).unwrap(),
            ExportRange::default()
        );
        assert_eq!(
            range(&[("created[lte]", "5")]).unwrap().created_lte,
            Some(Timestamp(5))
        );
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_refused() {
        let err = range(&[("created[gte]", "200"), ("created[lte]", "100")]).unwrap_err();
        assert_eq!(err.code, ErrorCode::ParameterInvalid);
        assert_eq!(err.param.as_deref(), Some("created[lte]"));
        assert!(range(&[("created[gte]", "100"), ("created[lte]", "100")]).is_ok());
    }

    #[test]
    fn garbage_and_unknown_parameters_are_refused() {
        let err = range(&[("created[gte]", "yesterday")]).unwrap_err();
        assert_eq!(err.code, ErrorCode::ParameterInvalid);
        let err = range(&[("limit", "10")]).unwrap_err();
        assert_eq!(err.code, ErrorCode::ParameterUnknown);
    }

    #[test]
    fn filenames_name_the_kind_the_mode_and_the_range() {
        let bounded = ExportRange {
            created_gte: Some(Timestamp(10)),
            created_lte: Some(Timestamp(20)),
        };
        assert_eq!(
            ExportKind::Payments.filename(false, &bounded),
            "payments-test-10-20.csv"
        );
        assert_eq!(
            ExportKind::Sessions.filename(true, &ExportRange::default()),
            "sessions-live-start-now.csv"
        );
    }

    fn paid(token: &str, amount: u64) -> Payment {
        Payment {
            chain_id: 31337,
            token: token.into(),
            tx_hash: Some(alloy_primitives::B256::repeat_byte(0xab)),
            log_index: Some(3),
            block_number: 42,
            block_hash: alloy_primitives::B256::repeat_byte(0xbb),
            block_time: Timestamp(1_800_000_060),
            amount: U256::from(amount),
            status: PaymentStatus::Confirmed,
            counted: true,
            repriced: None,
        }
    }

    fn cells(line: &str) -> Vec<&str> {
        line.strip_suffix("\r\n")
            .expect("crlf")
            .split(',')
            .collect()
    }

    #[test]
    fn a_payment_line_has_the_exact_amount_in_base_units_and_formatted() {
        let catalogue = crate::session::tests::catalogue();
        let mut session = crate::session::tests::session(true);
        session.customer_email = Some("=HYPERLINK()@x.test".into());
        let usdc = payment_line(&session, &paid("USDC", 49_990_001), &catalogue);
        let row = cells(&usdc);
        assert_eq!(row.len(), PAYMENT_COLUMNS.len());
        assert_eq!(row[0], session.id.to_string());
        assert_eq!(row[1], "2027-01-15T08:01:00Z");
        assert_eq!(
            &row[2..8],
            [
                "31337",
                "Local (anvil)",
                "USDC",
                "49990001",
                "49.990001",
                "6"
            ]
        );
        assert_eq!(row[8], format!("0x{}", "ab".repeat(32)));
        assert_eq!(&row[9..14], ["3", "42", "confirmed", "true", "pending"]);
        assert_eq!(row[14], "'=HYPERLINK()@x.test");
        // A coin the session never offered still reads its decimals from the catalogue.
        let eth = payment_line(
            &session,
            &paid("ETH", 1_500_000_000_000_000_000),
            &catalogue,
        );
        assert_eq!(&cells(&eth)[5..8], ["1500000000000000000", "1.5", "18"]);
    }

    #[test]
    fn a_session_line_quotes_free_text_and_writes_metadata_as_json() {
        let catalogue = crate::session::tests::catalogue();
        let mut session = crate::session::tests::session(true);
        session.description = Some("Mugs, \"large\"\nx2".into());
        session.metadata.insert("order".into(), "=1+1".into());
        session.amount_received = U256::from(49_990_000u64);
        let text = session_line(&session, &catalogue);
        assert!(text.ends_with("\r\n"));
        assert!(text.contains(",\"Mugs, \"\"large\"\"\nx2\","), "{text}");
        assert!(
            text.contains(",\"{\"\"order\"\":\"\"=1+1\"\"}\"\r\n"),
            "{text}"
        );
        let head: Vec<&str> = text
            .split(",\"Mugs")
            .next()
            .unwrap_or_default()
            .split(',')
            .collect();
        assert_eq!(
            &head[2..9],
            [
                "pending",
                "USD",
                "49.99",
                "Local (anvil)",
                "USDC",
                "49.99",
                "49.99"
            ]
        );
    }
}
