//! `/v1/exports/payments.csv` and `/v1/exports/sessions.csv` (secret key, the key's mode):
//! the account's sessions created in a range, as CSV, streamed as the client reads. The
//! header goes out first, then one page of sessions is read from D1 and written at a time,
//! so an export of any size holds one page in memory and has no row cap.

use futures_util::stream;
use kasse_shared::api::exports::{self, ExportKind, ExportRange};
use kasse_shared::ids::AccountId;
use worker::{Headers, Response};

use crate::config;
use crate::error::ApiResult;
use crate::http::Cx;
use crate::store::{ExportKey, Store};

/// Sessions read per page: large enough that a page is one cheap round trip, small enough
/// that a page of full session documents stays well under a megabyte or two.
const PAGE_SIZE: u32 = 500;

/// `GET /v1/exports/payments.csv`: one line per payment of the sessions created in the range.
pub(super) async fn payments(cx: &mut Cx<'_>) -> ApiResult<Response> {
    export(cx, ExportKind::Payments).await
}

/// `GET /v1/exports/sessions.csv`: one line per session created in the range.
pub(super) async fn sessions(cx: &mut Cx<'_>) -> ApiResult<Response> {
    export(cx, ExportKind::Sessions).await
}

/// What an export reads from: its own store, since the stream outlives the request's.
struct Export {
    store: Store,
    account_id: AccountId,
    livemode: bool,
    range: ExportRange,
    kind: ExportKind,
}

/// What the stream writes next.
enum Next {
    Header,
    After(Option<ExportKey>),
    Done,
}

async fn export(cx: &mut Cx<'_>, kind: ExportKind) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let range = exports::parse_range(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let filename = kind.filename(caller.livemode, &range);
    let export = Export {
        store: Store::new(cx.env)?,
        account_id: caller.account_id.clone(),
        livemode: caller.livemode,
        range,
        kind,
    };
    let body = stream::unfold((export, Next::Header), |(export, next)| async move {
        let (chunk, next) = match next {
            Next::Done => return None,
            Next::Header => (Ok(export.kind.header().into_bytes()), Next::After(None)),
            Next::After(after) => match export.page(after.as_ref()).await {
                Ok((_, None)) => return None,
                Ok((text, Some((last, read)))) if read == PAGE_SIZE as usize => {
                    (Ok(text.into_bytes()), Next::After(Some(last)))
                }
                Ok((text, Some(_))) => (Ok(text.into_bytes()), Next::Done),
                // The status line is sent: all a failure (already logged) can do now is cut the
                // body short, so the client sees an incomplete download, never a short file.
                Err(_) => (
                    Err(worker::Error::RustError("export cut short".into())),
                    Next::Done,
                ),
            },
        };
        Some((chunk, (export, next)))
    });
    let headers = Headers::new();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set(
        "content-disposition",
        &format!("attachment; filename=\"{filename}\""),
    )?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::builder()
        .with_status(200)
        .with_headers(headers)
        .from_stream(body)?)
}

impl Export {
    /// The lines of the page after `after`, with the key of its last session and how many
    /// sessions it read (`None` once there are no more).
    async fn page(
        &self,
        after: Option<&ExportKey>,
    ) -> ApiResult<(String, Option<(ExportKey, usize)>)> {
        let catalogue = config::catalogue();
        let (id, mode, range) = (&self.account_id, self.livemode, &self.range);
        let (text, last, read) = match self.kind {
            ExportKind::Sessions => {
                let page = self
                    .store
                    .export_sessions(id, mode, range, after, PAGE_SIZE)
                    .await?;
                let text = page
                    .rows
                    .iter()
                    .map(|s| exports::session_line(s, catalogue));
                (text.collect::<String>(), page.last, page.rows.len())
            }
            ExportKind::Payments => {
                let page = self
                    .store
                    .export_payments(id, mode, range, after, PAGE_SIZE)
                    .await?;
                let text = page.rows.iter().flat_map(|(session, payments)| {
                    payments
                        .iter()
                        .map(move |p| exports::payment_line(session, p, catalogue))
                });
                (text.collect::<String>(), page.last, page.rows.len())
            }
        };
        Ok((text, last.map(|key| (key, read))))
    }
}
