// `cargo xtask bench search`: `GET /v1/search` latency and D1 cost as an account grows to
// 100, 1,000 and 10,000 sessions. The found sessions stay the same three (one paid); the
// rest are clones of a session without an email, so every kind of term names the same
// rows at every size and the figures show only what the account's size costs. D1 figures
// come from the `Kasse-D1-Usage` header (test and bench stacks only). Prints; asserts nothing.
import { api, createSession, getSession, newAccount, paidSession, USD } from "../tests/support/env.mjs";

const SIZES = [100, 1_000, 10_000];
const RUNS = 20;

function expect(res, status, label) {
  if (res.status !== status) throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** `{ round_trips, statements, rows_read }` of one answer (rows_read is "—" if not sent). */
function usage(res, label) {
  const header = res.headers.get("kasse-d1-usage");
  if (!header) throw new Error(`${label}: no Kasse-D1-Usage header (status ${res.status})`);
  const figures = Object.fromEntries(header.split(",").map((pair) => pair.trim().split("=")));
  return { round_trips: figures.round_trips, statements: figures.statements, rows_read: figures.rows_read ?? "—" };
}

/** The value at quantile `q` of sorted `xs` (nearest rank). */
const quantile = (xs, q) => xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];

const { keys } = await newAccount();
const key = keys.sk_test;
const email = "ada.lovelace@example.com";
await createSession({ amount: USD("3.00"), customer_email: email }, { key });
const paid = await getSession((await paidSession({ amount: USD("12.34"), customer_email: email }, { key })).id, { key });
await createSession({ amount: USD("4.00"), customer_email: "grace@example.org" }, { key });
const filler = await createSession({ amount: USD("5.00") }, { key });
let total = 4;

const terms = [
  ["id", paid.id, 1],
  ["address", paid.address, 1],
  ["tx hash", paid.payments[0].tx_hash, 1],
  ["email", email, 2],
];

const rows = [];
for (const size of SIZES) {
  const created = expect(
    await api("POST", `/v1/test_helpers/checkout_sessions/${filler.id}/clone`, { token: key, json: { count: size - total } }),
    200,
    `clone to ${size}`,
  );
  total += created.body.created;
  for (const [kind, q, hits] of terms) {
    const path = `/v1/search?q=${encodeURIComponent(q)}`;
    const label = `${size} × ${kind}`;
    const warm = expect(await api("GET", path, { token: key }), 200, `${label} (warm-up)`);
    if (warm.body.data.length !== hits) throw new Error(`${label}: found ${warm.body.data.length}, not ${hits}`);
    const samples = [];
    let last;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      last = expect(await api("GET", path, { token: key }), 200, label);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    rows.push({ size, kind, hits, p50: quantile(samples, 0.5), p90: quantile(samples, 0.9), ...usage(last, label) });
  }
}

console.log(`GET /v1/search, ${RUNS} requests per row after one warm-up (local workerd + D1):`);
console.log("| sessions | kind | found | p50 ms | p90 ms | D1 round trips | statements | rows read |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.size.toLocaleString("en")} | ${r.kind} | ${r.hits} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.round_trips} | ${r.statements} | ${r.rows_read} |`,
  );
}
