// CSV exports: one line per payment and one per session of the key's account and mode,
// RFC 4180 as a real parser reads it, exact amounts, the created range, more sessions than
// one page, and nothing of another account.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { parseUnits } from "ethers";
import {
  USD, api, assertError, createSession, getSession, newAccount, paidSession, payAndWatch, sleep,
} from "../support/env.mjs";

const CLONES = 600;
const QUOTED = 'Mugs, "large"\nx2, one line\r\nmore';
const FORMULA = "=cmd|' /C calc'!A0";

/** The export as text, with its headers checked. */
async function exported(key, kind, query = "") {
  const res = await api("GET", `/v1/exports/${kind}.csv${query}`, { token: key });
  assert.equal(res.status, 200, String(res.body).slice(0, 300));
  assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.match(res.headers.get("content-disposition"), new RegExp(`^attachment; filename="${kind}-test-[a-z0-9]+-[a-z0-9]+\\.csv"$`));
  return res;
}

/** The rows of an export read strictly: CRLF records, RFC 4180 quoting, one width. */
async function rows(key, kind, query = "") {
  const res = await exported(key, kind, query);
  assert.ok(res.body.endsWith("\r\n"), "the last line ends in CRLF");
  return parse(res.body, { columns: true, record_delimiter: "\r\n", relax_column_count: false });
}

const unix = (iso) => Date.parse(iso) / 1000;

/** Waits until the clock is in the next whole second, so what follows is created later. */
async function nextSecond() {
  await sleep(1_050 - (Date.now() % 1_000));
}

let shop;
async function fixtures() {
  if (shop) return shop;
  const key = (await newAccount()).keys.sk_test;
  const other = (await newAccount()).keys.sk_test;
  const stranger = await paidSession({ amount: USD("4.00") }, { key: other });
  // Created a second before the rest: outside a range that starts with them.
  const early = await createSession({ amount: USD("1.00") }, { key });
  assert.equal((await api("POST", `/v1/checkout_sessions/${early.id}/cancel`, { token: key })).status, 200);
  await nextSecond();
  const usdc = await paidSession({ amount: USD("5.00"), metadata: { order: "A-1", note: "+1" } }, { key });
  const eth = await createSession({ amount: USD("2.00"), token: "ETH" }, { key });
  assert.equal((await payAndWatch(eth, { key })).status, "paid");
  const twice = await createSession({ amount: USD("3.00") }, { key });
  const due = BigInt(twice.supported_tokens.find((t) => t.token === "USDC").amount);
  await payAndWatch(twice, { key, amount: due / 3n });
  assert.equal((await payAndWatch(twice, { key, amount: due - due / 3n })).status, "paid");
  const quoted = await createSession({ amount: USD("1.50"), description: QUOTED }, { key });
  const formula = await createSession({ amount: USD("1.25"), description: FORMULA }, { key });
  // Copies of the canceled session share its creation time: the page boundary falls among
  // sessions of the same second, ordered by id.
  const cloned = await api("POST", `/v1/test_helpers/checkout_sessions/${early.id}/clone`, { token: key, json: { count: CLONES } });
  assert.equal(cloned.status, 200, JSON.stringify(cloned.body));
  const paid = {};
  for (const s of [usdc, eth, twice]) paid[s.id] = await getSession(s.id, { key });
  shop = { key, other, stranger: await getSession(stranger.id, { key: other }), early, usdc, eth, twice, quoted, formula, paid };
  return shop;
}

test("exports: one line per payment with the exact amounts, summing to what the sessions received", async () => {
  const { key, paid, twice, stranger } = await fixtures();
  const lines = await rows(key, "payments");
  assert.deepEqual(Object.keys(lines[0]), [
    "session", "payment_time", "chain_id", "chain", "token", "amount", "amount_formatted", "decimals", "tx_hash", "log_index",
    "block_number", "status", "counted", "session_status", "customer_email",
  ]);
  const expected = Object.values(paid).flatMap((s) => s.payments.map((p) => ({ s, p })));
  assert.equal(expected.length, 4, "USDC once, ETH once, USDC twice");
  assert.equal(lines.length, expected.length, "one line per payment, no more");
  for (const { s, p } of expected) {
    const line = lines.find((l) => l.tx_hash === (p.tx_hash ?? "") && l.log_index === String(p.log_index ?? "") && l.session === s.id);
    assert.ok(line, `payment ${p.tx_hash} of ${s.id} is exported`);
    assert.equal(line.session, s.id);
    assert.equal(BigInt(line.amount), BigInt(p.amount));
    assert.equal(parseUnits(line.amount_formatted, Number(line.decimals)), BigInt(p.amount), "the formatted amount is exact");
    assert.equal(line.decimals, p.token === "ETH" ? "18" : "6");
    assert.deepEqual(
      [line.chain_id, line.chain, line.token, line.block_number, line.status, line.counted, line.session_status],
      ["31337", "Local (anvil)", p.token, String(p.block_number), p.status, String(p.counted), "paid"],
    );
    assert.match(line.payment_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  assert.equal(lines.filter((l) => l.session === twice.id).length, 2);
  // Per token, the counted confirmed lines add up to the sessions' amount_received.
  const sums = (pairs) => pairs.reduce((m, [token, v]) => ({ ...m, [token]: (m[token] ?? 0n) + v }), {});
  const fromLines = sums(lines.filter((l) => l.counted === "true" && l.status === "confirmed").map((l) => [l.token, BigInt(l.amount)]));
  const fromSessions = sums(Object.values(paid).map((s) => [s.selected_token, BigInt(s.amount_received)]));
  assert.deepEqual(fromLines, fromSessions);
  assert.equal(fromSessions.ETH > 0n && fromSessions.USDC > 0n, true);
  // Another account's payment is not there.
  const text = (await exported(key, "payments")).body;
  assert.ok(!text.includes(stranger.id) && !text.includes(stranger.payments[0].tx_hash), "another account's payment leaked");
});

test("exports: one line per session; quoting round-trips; formulas are defused", async (t) => {
  const { key, early, usdc, eth, quoted, formula, paid } = await fixtures();
  const started = performance.now();
  const size = (await exported(key, "sessions")).body.length;
  t.diagnostic(`sessions.csv: ${6 + CLONES} sessions (2 pages), ${size} bytes in ${Math.round(performance.now() - started)} ms`);
  const lines = await rows(key, "sessions");
  assert.deepEqual(Object.keys(lines[0]), [
    "id", "created", "status", "currency", "amount_total", "chain", "token", "amount", "amount_received", "paid_at", "tx_hash",
    "customer_email", "customer_id", "description", "metadata",
  ]);
  assert.equal(lines.length, 6 + CLONES, "every session, past one page of 500");
  assert.equal(new Set(lines.map((l) => l.id)).size, lines.length, "each session exactly once");
  assert.equal(lines.filter((l) => l.id.startsWith("cs_test_bench")).length, CLONES);
  // Oldest first: by creation time, then id.
  const keys = lines.map((l) => [unix(l.created), l.id]);
  const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  assert.deepEqual(keys, sorted);
  const byId = Object.fromEntries(lines.map((l) => [l.id, l]));
  assert.equal(byId[quoted.id].description, QUOTED, "commas, quotes and line breaks round-trip");
  assert.equal(byId[formula.id].description, `'${FORMULA}`, "a formula is kept as text");
  assert.equal(byId[usdc.id].metadata, JSON.stringify({ note: "+1", order: "A-1" }));
  assert.deepEqual(JSON.parse(byId[usdc.id].metadata), { order: "A-1", note: "+1" });
  assert.equal(byId[early.id].status, "canceled");
  for (const s of [usdc, eth]) {
    const line = byId[s.id];
    const got = paid[s.id];
    const decimals = s.selected_token === "ETH" ? 18 : 6;
    assert.deepEqual(
      [line.status, line.currency, line.amount_total, line.chain, line.token, line.tx_hash, line.paid_at],
      ["paid", "USD", got.amount_total, "Local (anvil)", got.selected_token, got.tx_hash ?? "", got.paid_at],
    );
    assert.equal(parseUnits(line.amount_received, decimals), BigInt(got.amount_received));
    const option = got.supported_tokens.find((t) => t.token === got.selected_token);
    assert.equal(parseUnits(line.amount, decimals), BigInt(option.amount));
  }
});

test("exports: the created range includes both ends and excludes the rest", async () => {
  const { key, early, usdc, formula } = await fixtures();
  const from = unix(usdc.created_at);
  const inRange = await rows(key, "sessions", `?created[gte]=${from}&created[lte]=${new Date((unix(formula.created_at) + 5) * 1000).toISOString().replace(/\.\d+Z$/, "Z")}`);
  assert.equal(inRange.length, 5, inRange.map((l) => l.id).join(" "));
  assert.ok(!inRange.some((l) => l.id === early.id || l.id.startsWith("cs_test_bench")));
  const payments = await rows(key, "payments", `?created[gte]=${from}`);
  assert.equal(payments.length, 4);
  const before = await rows(key, "sessions", `?created[lte]=${unix(early.created_at)}`);
  assert.equal(before.length, 1 + CLONES);
  const none = await exported(key, "payments", `?created[lte]=${unix(early.created_at)}`);
  assert.equal(none.body.split("\r\n").length, 2, "the header line alone");
  const named = await exported(key, "payments", `?created[gte]=${from}&created[lte]=${from + 60}`);
  assert.match(named.headers.get("content-disposition"), new RegExp(`filename="payments-test-${from}-${from + 60}\\.csv"`));
});

test("exports: a range that ends before it starts, garbage and unknown parameters are named 400s", async () => {
  const { key } = await fixtures();
  for (const kind of ["payments", "sessions"]) {
    const backwards = assertError(await api("GET", `/v1/exports/${kind}.csv?created[gte]=2000&created[lte]=1000`, { token: key }), 400, "invalid_request_error", "parameter_invalid");
    assert.equal(backwards.param, "created[lte]");
    assert.match(backwards.message, /before created\[gte\]/);
    const garbage = assertError(await api("GET", `/v1/exports/${kind}.csv?created[gte]=yesterday`, { token: key }), 400, "invalid_request_error", "parameter_invalid");
    assert.equal(garbage.param, "created[gte]");
    assertError(await api("GET", `/v1/exports/${kind}.csv?created[gte]=9999-99-99T00:00:00Z`, { token: key }), 400, "invalid_request_error", "parameter_invalid");
    assertError(await api("GET", `/v1/exports/${kind}.csv?limit=5`, { token: key }), 400, "invalid_request_error", "parameter_unknown");
  }
});

test("exports: another account sees only its own sessions and payments", async () => {
  const { key, other, stranger } = await fixtures();
  const theirs = await rows(other, "sessions");
  assert.deepEqual(theirs.map((l) => l.id), [stranger.id]);
  const payments = await rows(other, "payments");
  assert.deepEqual(payments.map((l) => [l.session, BigInt(l.amount)]), [[stranger.id, BigInt(stranger.amount_received)]]);
  const ours = await rows(key, "sessions");
  assert.ok(!ours.some((l) => l.id === stranger.id));
});
