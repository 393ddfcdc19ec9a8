// `cargo xtask bench api` (its end): D1 round trips and statements of one request of each
// kind, as the worker counts them on its one store per request and reports them in the
// `Kasse-D1-Usage` header (test and bench stacks only). Each request is measured after one
// warm-up of its kind. Prints a table with the goals beside the figures; asserts nothing.
import { api, newAccount, USD, LOCAL_CHAIN } from "../tests/support/env.mjs";

const ORIGIN = "https://shop.example";

/** `{ round_trips, statements }` of one answer, or throws if the worker sent none. */
function usage(res, label) {
  const header = res.headers.get("kasse-d1-usage");
  if (!header) throw new Error(`${label}: no Kasse-D1-Usage header (status ${res.status})`);
  const figures = Object.fromEntries(header.split(",").map((pair) => pair.trim().split("=")));
  return { round_trips: Number(figures.round_trips), statements: Number(figures.statements), status: res.status };
}

function expect(res, status, label) {
  if (res.status !== status) throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

const { keys } = await newAccount();
const key = keys.sk_test;
expect(await api("POST", "/v1/account", { token: key, json: { allowed_origins: [ORIGIN] } }), 200, "allowed_origins");
const order = { amount: USD("49.99"), chain_id: LOCAL_CHAIN, token: "USDC" };
let n = 0;
const create = (headers = {}) => api("POST", "/v1/checkout_sessions", { token: key, json: order, headers });
const withKey = () => create({ "idempotency-key": `bench-d1-${process.pid}-${n++}` });
const shopper = (s, headers = {}) => ({ "kasse-client-secret": s.client_secret, ...headers });

const rows = [];
/** Measures `request` after one warm-up of the same kind. */
async function measure(label, goal, before, request, status = 200) {
  expect(await request(), status, `${label} (warm-up)`);
  const res = expect(await request(), status, label);
  rows.push({ label, goal, before, ...usage(res, label), res });
  return res;
}

const session = expect(await create(), 200, "a session").body;
const view = `/v1/public/checkout_sessions/${session.id}`;
await measure("create (no Idempotency-Key)", "≤ 3", "3 / 7", () => create());
await measure("create with an Idempotency-Key", "≤ 5", "6 / 10", () => withKey());
await measure("retrieve", "≤ 1", "2 / 4", () => api("GET", `/v1/checkout_sessions/${session.id}`, { token: key }));
const fresh = expect(await create(), 200, "a session to view").body;
rows.push({
  label: "public view, first (records the visit)",
  goal: "≤ 2 (a visit is written at most every 5 min)",
  before: "5 / 5",
  ...usage(await api("GET", `/v1/public/checkout_sessions/${fresh.id}`, { headers: shopper(fresh) }), "first view"),
});
await measure("public view (a poll)", "≤ 1", "—", () => api("GET", view, { headers: shopper(session) }));
const cross = await measure("public view, cross-origin (allowed)", "≤ 1", "—", () =>
  api("GET", view, { headers: shopper(session, { origin: ORIGIN }) }),
);
if (cross.headers.get("access-control-allow-origin") !== ORIGIN) throw new Error("the cross-origin view was not allowed");
// One check per session every 2 s: each measured check gets a session of its own.
await measure("public check", "—", "12 / 12", async () => {
  const s = expect(await create(), 200, "a session to check").body;
  return api("POST", `/v1/public/checkout_sessions/${s.id}/check`, { headers: shopper(s), json: {} });
});

console.log("D1 per request (round trips / statements), counted by the worker:");
console.log("| request | round trips | statements | goal (round trips) | before (round trips / statements) |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.label} | ${r.round_trips} | ${r.statements} | ${r.goal} | ${r.before} |`);
