//! The overview's figures, from the CSV exports: what was received per chain and token
//! today, in 7 and in 30 days (exact sums of the counted, confirmed payment lines), and the
//! sessions by status. Pure: the page fetches the exports and the clock.

use std::collections::BTreeMap;

use kasse_shared::time::Timestamp;

use crate::csv::{CsvError, Table};
use crate::money;

const DAY: u64 = 86_400;

/// The overview's three periods, each ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Since local midnight.
    Today,
    /// The last 7 × 24 hours.
    Week,
    /// The last 30 × 24 hours: the export asked for.
    Month,
}

impl Window {
    pub const ALL: [Self; 3] = [Self::Today, Self::Week, Self::Month];

    /// The cell's `data-window`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Today => "today",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Today => 0,
            Self::Week => 1,
            Self::Month => 2,
        }
    }
}

/// Where each window starts, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Starts {
    pub today: u64,
    pub week: u64,
    pub month: u64,
}

impl Starts {
    /// The windows at `now`, with `local_midnight` the start of the local day.
    pub fn at(now: u64, local_midnight: u64) -> Self {
        Self {
            today: local_midnight.min(now),
            week: now.saturating_sub(7 * DAY),
            month: now.saturating_sub(30 * DAY),
        }
    }

    fn start(&self, window: Window) -> u64 {
        match window {
            Window::Today => self.today,
            Window::Week => self.week,
            Window::Month => self.month,
        }
    }

    /// The windows a payment at `time` falls in.
    pub fn windows_of(&self, time: u64) -> impl Iterator<Item = Window> + '_ {
        Window::ALL
            .into_iter()
            .filter(move |w| time >= self.start(*w))
    }
}

/// One chain and token: what it received in each window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    /// From the export; `None` when it did not know them (then only base units show).
    pub decimals: Option<u8>,
    /// Base units received, per window in [`Window::ALL`] order.
    pub sums: [String; 3],
}

impl Received {
    fn new(chain_id: u64, chain: &str, token: &str) -> Self {
        Self {
            chain_id,
            chain: chain.to_owned(),
            token: token.to_owned(),
            decimals: None,
            sums: ["0".to_owned(), "0".to_owned(), "0".to_owned()],
        }
    }

    pub fn sum(&self, window: Window) -> &str {
        &self.sums[window.index()]
    }

    /// The window's sum in whole tokens (in base units when the decimals are unknown).
    pub fn formatted(&self, window: Window) -> String {
        let sum = self.sum(window);
        self.decimals
            .and_then(|d| money::format_units(sum, d))
            .unwrap_or_else(|| sum.to_owned())
    }
}

/// Sums the payments export: only lines that are `confirmed` and `counted`, each added to
/// the windows its `payment_time` falls in. Sorted by chain id, then token.
pub fn received(export: &Table, starts: &Starts) -> Result<Vec<Received>, CsvError> {
    let col = |name| export.column(name);
    let (time, chain_id, chain, token) = (
        col("payment_time")?,
        col("chain_id")?,
        col("chain")?,
        col("token")?,
    );
    let (amount, decimals, status, counted) = (
        col("amount")?,
        col("decimals")?,
        col("status")?,
        col("counted")?,
    );
    let mut by_option: BTreeMap<(u64, String), Received> = BTreeMap::new();
    for (n, row) in export.rows.iter().enumerate() {
        let field = |i: usize| row.get(i).map_or("", String::as_str);
        if field(status) != "confirmed" || field(counted) != "true" {
            continue;
        }
        let bad = |what: &str| CsvError(format!("line {}: {what}", n + 2));
        let at = Timestamp::parse_rfc3339(field(time)).ok_or_else(|| bad("no payment_time"))?;
        let id: u64 = field(chain_id).parse().map_err(|_| bad("no chain_id"))?;
        let entry = by_option
            .entry((id, field(token).to_owned()))
            .or_insert_with(|| Received::new(id, field(chain), field(token)));
        if entry.decimals.is_none() {
            entry.decimals = field(decimals).parse().ok();
        }
        for window in starts.windows_of(at.0) {
            let slot = &mut entry.sums[window.index()];
            *slot =
                money::add(slot, field(amount)).ok_or_else(|| bad("amount is not base units"))?;
        }
    }
    Ok(by_option.into_values().collect())
}

/// Adds a zero row for every chain and token in `options` (those with a balance) that
/// received nothing in 30 days, so the table shows them too; keeps the order.
pub fn with_options<'a>(
    mut rows: Vec<Received>,
    options: impl IntoIterator<Item = (u64, &'a str, &'a str, u8)>,
) -> Vec<Received> {
    for (chain_id, chain, token, decimals) in options {
        match rows
            .iter_mut()
            .find(|r| r.chain_id == chain_id && r.token == token)
        {
            Some(row) => {
                row.decimals.get_or_insert(decimals);
            }
            None => {
                let mut row = Received::new(chain_id, chain, token);
                row.decimals = Some(decimals);
                rows.push(row);
            }
        }
    }
    rows.sort_by(|a, b| (a.chain_id, &a.token).cmp(&(b.chain_id, &b.token)));
    rows
}

/// How many sessions of the sessions export are in each status, most first.
pub fn by_status(export: &Table) -> Result<Vec<(String, u64)>, CsvError> {
    let status = export.column("status")?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in &export.rows {
        if let Some(s) = row.get(status).filter(|s| !s.is_empty()) {
            *counts.entry(s.clone()).or_default() += 1;
        }
    }
    let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_500_000; // 2025-11-30T10:53:20Z
    const MIDNIGHT: u64 = 1_764_460_800; // 2025-11-30T00:00:00Z

    fn export(lines: &[&str]) -> Table {
        let header = "session,payment_time,chain_id,chain,token,amount,amount_formatted,decimals,tx_hash,log_index,block_number,status,counted,session_status,customer_email";
        let mut text = format!("{header}\r\n");
        for line in lines {
            text.push_str(line);
            text.push_str("\r\n");
        }
        Table::parse(&text).expect("a valid export")
    }

    fn at(unix: u64) -> String {
        Timestamp(unix).to_string()
    }

    fn line(
        time: u64,
        chain: u64,
        token: &str,
        amount: &str,
        status: &str,
        counted: bool,
    ) -> String {
        format!(
            "cs_1,{},{chain},Chain {chain},{token},{amount},,6,0xabc,0,1,{status},{counted},paid,",
            at(time)
        )
    }

    #[test]
    fn windows_start_at_local_midnight_and_7_and_30_days_back() {
        let starts = Starts::at(NOW, MIDNIGHT);
        assert_eq!(starts.today, MIDNIGHT);
        assert_eq!(starts.week, NOW - 7 * DAY);
        assert_eq!(starts.month, NOW - 30 * DAY);
        let windows = |t| starts.windows_of(t).collect::<Vec<_>>();
        assert_eq!(windows(NOW), Window::ALL.to_vec());
        assert_eq!(windows(MIDNIGHT), Window::ALL.to_vec(), "midnight is today");
        assert_eq!(windows(MIDNIGHT - 1), vec![Window::Week, Window::Month]);
        assert_eq!(windows(NOW - 7 * DAY), vec![Window::Week, Window::Month]);
        assert_eq!(windows(NOW - 7 * DAY - 1), vec![Window::Month]);
        assert_eq!(windows(NOW - 30 * DAY), vec![Window::Month]);
        assert_eq!(windows(NOW - 30 * DAY - 1), Vec::<Window>::new());
    }

    #[test]
    fn a_midnight_after_now_is_no_later_than_now() {
        // A clock that moved back: today cannot start after now.
        assert_eq!(Starts::at(NOW, NOW + 10).today, NOW);
    }

    #[test]
    fn only_counted_confirmed_lines_add_up_per_chain_and_token_and_window() {
        let table = export(&[
            &line(NOW - 60, 1, "USDC", "49990000", "confirmed", true),
            &line(MIDNIGHT - 1, 1, "USDC", "10000", "confirmed", true),
            &line(NOW - 10 * DAY, 1, "USDC", "1", "confirmed", true),
            &line(NOW - 60, 1, "USDC", "5000000", "detected", true),
            &line(NOW - 60, 1, "USDC", "7000000", "reorged", false),
            &line(NOW - 60, 1, "USDC", "3000000", "confirmed", false),
            &line(NOW - 60, 10, "USDC", "2000000", "confirmed", true),
            &line(NOW - 60, 1, "ETH", "1000000000000000000", "confirmed", true),
        ]);
        let rows = received(&table, &Starts::at(NOW, MIDNIGHT)).unwrap();
        let keys: Vec<(u64, &str)> = rows
            .iter()
            .map(|r| (r.chain_id, r.token.as_str()))
            .collect();
        assert_eq!(keys, vec![(1, "ETH"), (1, "USDC"), (10, "USDC")]);
        let usdc = &rows[1];
        assert_eq!(
            usdc.sums,
            ["49990000", "50000000", "50000001"].map(String::from)
        );
        assert_eq!(usdc.formatted(Window::Today), "49.99");
        assert_eq!(usdc.formatted(Window::Week), "50");
        assert_eq!(usdc.formatted(Window::Month), "50.000001");
        assert_eq!(rows[2].sum(Window::Today), "2000000");
    }

    #[test]
    fn sums_stay_exact_past_machine_integers() {
        let big = "340282366920938463463374607431768211455"; // u128::MAX
        let table = export(&[
            &line(NOW, 1, "ETH", big, "confirmed", true),
            &line(NOW, 1, "ETH", big, "confirmed", true),
        ]);
        let rows = received(&table, &Starts::at(NOW, MIDNIGHT)).unwrap();
        assert_eq!(
            rows[0].sum(Window::Today),
            "680564733841876926926749214863536422910"
        );
    }

    #[test]
    fn unknown_decimals_show_base_units() {
        let table = export(&[
            "cs_1,2025-11-30T10:00:00Z,5,Chain 5,XYZ,1234,,,0xabc,0,1,confirmed,true,paid,",
        ]);
        let rows = received(&table, &Starts::at(NOW, MIDNIGHT)).unwrap();
        assert_eq!(rows[0].decimals, None);
        assert_eq!(rows[0].formatted(Window::Today), "1234");
    }

    #[test]
    fn a_malformed_line_is_an_error() {
        let table = export(&[&line(NOW, 1, "USDC", "1.5", "confirmed", true)]);
        assert!(received(&table, &Starts::at(NOW, MIDNIGHT)).is_err());
        let table = Table::parse("session,amount\r\n").unwrap();
        assert!(received(&table, &Starts::at(NOW, MIDNIGHT)).is_err());
    }

    #[test]
    fn options_without_payments_show_as_zero() {
        let table = export(&[&line(NOW, 10, "USDC", "2500000", "confirmed", true)]);
        let rows = received(&table, &Starts::at(NOW, MIDNIGHT)).unwrap();
        let rows = with_options(
            rows,
            [(1, "Chain 1", "USDT", 6), (10, "Chain 10", "USDC", 6)],
        );
        let keys: Vec<(u64, &str)> = rows
            .iter()
            .map(|r| (r.chain_id, r.token.as_str()))
            .collect();
        assert_eq!(keys, vec![(1, "USDT"), (10, "USDC")]);
        assert_eq!(rows[0].sums, ["0", "0", "0"].map(String::from));
        assert_eq!(rows[0].formatted(Window::Month), "0");
        assert_eq!(rows[1].formatted(Window::Today), "2.5");
    }

    #[test]
    fn sessions_are_counted_by_status_most_first() {
        let table = Table::parse(
            "id,created,status\r\ncs_1,x,paid\r\ncs_2,x,expired\r\ncs_3,x,paid\r\ncs_4,x,canceled\r\n",
        )
        .unwrap();
        assert_eq!(
            by_status(&table).unwrap(),
            vec![
                ("paid".to_owned(), 2),
                ("canceled".to_owned(), 1),
                ("expired".to_owned(), 1),
            ]
        );
    }
}
