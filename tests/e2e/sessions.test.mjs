// The session API beyond create/retrieve: list with pagination and filters, and cancel.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  USD, api, assertError, createSession, demo, eventTypes, expiredSession, getSession, newAccount, paySession, payAndWatch, runScheduled,
} from "../support/env.mjs";

const create = (key, body = {}) => createSession({ amount: USD("5.00"), ...body }, { key });

async function list(key, query = "") {
  const res = await api("GET", `/v1/checkout_sessions${query}`, { token: key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.object, "list");
  return res.body;
}

test("list pages newest first with starting_after and ending_before", async () => {
  const key = (await newAccount()).keys.sk_test;
  const created = [];
  for (let i = 0; i < 5; i += 1) created.push((await create(key, { metadata: { n: String(i) } })).id);
  const newestFirst = [...created].reverse();

  const all = await list(key, "?limit=100");
  assert.deepEqual(all.data.map((s) => s.id).sort(), [...created].sort());
  assert.equal(all.has_more, false);
  assert.ok(all.data.every((s) => s.object === "checkout_session" && s.client_secret && s.derivation_index !== undefined));
  const order = all.data.map((s) => s.id);

  const first = await list(key, "?limit=2");
  assert.deepEqual(first.data.map((s) => s.id), order.slice(0, 2));
  assert.equal(first.has_more, true);
  const second = await list(key, `?limit=2&starting_after=${first.data[1].id}`);
  assert.deepEqual(second.data.map((s) => s.id), order.slice(2, 4));
  assert.equal(second.has_more, true);
  const third = await list(key, `?limit=2&starting_after=${second.data[1].id}`);
  assert.deepEqual(third.data.map((s) => s.id), order.slice(4));
  assert.equal(third.has_more, false);
  const back = await list(key, `?limit=2&ending_before=${third.data[0].id}`);
  assert.deepEqual(back.data.map((s) => s.id), order.slice(2, 4));
  assert.equal(back.has_more, true);
  const top = await list(key, `?limit=2&ending_before=${order[1]}`);
  assert.deepEqual(top.data.map((s) => s.id), order.slice(0, 1));
  assert.equal(top.has_more, false);
  // Newest first: creation times never increase down the list (within a second, by id).
  const times = all.data.map((s) => Date.parse(s.created_at));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  assert.equal(Math.max(...times), Date.parse(all.data.find((s) => s.id === newestFirst[0]).created_at));
});

test("list filters: status (fine and coarse), created range, customer_email, funded", async () => {
  const key = (await newAccount()).keys.sk_test;
  const paid = await create(key, { customer_email: "ada@example.com" });
  const open = await create(key);
  const canceled = await create(key);
  assert.equal((await api("POST", `/v1/checkout_sessions/${canceled.id}/cancel`, { token: key })).status, 200);
  await payAndWatch(paid, { key });

  const ids = async (q) => (await list(key, q)).data.map((s) => s.id).sort();
  assert.deepEqual(await ids("?status=completed"), [paid.id]);
  assert.deepEqual(await ids("?status=paid"), [paid.id]);
  assert.deepEqual(await ids("?status=open"), [open.id]);
  assert.deepEqual(await ids("?status=pending"), [open.id]);
  assert.deepEqual(await ids("?status=canceled"), [canceled.id]);
  assert.deepEqual(await ids("?status=expired"), []);
  assert.deepEqual(await ids("?customer_email=ada@example.com"), [paid.id]);
  assert.deepEqual(await ids("?funded=true"), [paid.id]);
  assert.deepEqual(await ids("?funded=false"), [open.id, canceled.id].sort());
  const t = Date.parse(open.created_at) / 1000;
  assert.equal((await ids(`?created[gte]=${t - 60}&created[lte]=${new Date((t + 60) * 1000).toISOString().replace(/\.\d+Z$/, "Z")}`)).length, 3);
  assert.deepEqual(await ids(`?created[gte]=${t + 3600}`), []);
  const funded = (await list(key, "?funded=true")).data[0];
  assert.equal(funded.payments.length, 1, "listed sessions carry their payments");
});

test("list: bad parameters are named; another account's cursor is not found", async () => {
  const key = (await newAccount()).keys.sk_test;
  assertError(await api("GET", "/v1/checkout_sessions?limit=0", { token: key }), 400, "invalid_request_error", "parameter_invalid");
  assertError(await api("GET", "/v1/checkout_sessions?status=done", { token: key }), 400, "invalid_request_error", "parameter_invalid");
  assertError(await api("GET", "/v1/checkout_sessions?created[gte]=soon", { token: key }), 400, "invalid_request_error", "parameter_invalid");
  assertError(await api("GET", "/v1/checkout_sessions?colour=red", { token: key }), 400, "invalid_request_error", "parameter_unknown");
  const foreign = await createSession();
  const e = assertError(await api("GET", `/v1/checkout_sessions?starting_after=${foreign.id}`, { token: key }), 400, "invalid_request_error", "resource_missing");
  assert.equal(e.param, "starting_after");
  assertError(await api("GET", "/v1/checkout_sessions", { token: demo.publishable_key }), 403, "permission_error");
  assert.deepEqual((await list(key)).data, [], "a new account sees none of the demo account's sessions");
});

test("cancel: an unpaid session is canceled once, with one event; paid or paying ones are refused", async () => {
  const s = await createSession();
  const res = await api("POST", `/v1/checkout_sessions/${s.id}/cancel`, { token: demo.secret_key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "canceled");
  assert.ok(res.body.canceled_at);
  assert.equal(res.body.version, s.version + 1);
  const again = await api("POST", `/v1/checkout_sessions/${s.id}/cancel`, { token: demo.secret_key });
  assert.equal(again.status, 200);
  assert.equal(again.body.version, res.body.version, "cancelling twice changes nothing");
  assert.deepEqual(await eventTypes(s.id), ["session.canceled", "session.created"]);

  // A payment after cancel is recorded, not lost: the status stays, the event says so.
  const after = await payAndWatch(s);
  assert.equal(after.status, "canceled");
  assert.equal(after.payments.length, 1);
  assert.ok((await eventTypes(s.id)).includes("session.payment_after_close"));

  // A session with any payment row, even an unconfirmed one, cannot be canceled.
  const paying = await createSession();
  await paySession(paying, 1_000_000n);
  await runScheduled();
  assertError(await api("POST", `/v1/checkout_sessions/${paying.id}/cancel`, { token: demo.secret_key }), 409, "invalid_request_error", "session_has_payments");

  // An expired one without payments can be canceled.
  const stale = await expiredSession(1801);
  const canceled = await api("POST", `/v1/checkout_sessions/${stale.id}/cancel`, { token: demo.secret_key });
  assert.equal(canceled.body.status, "canceled");

  assertError(await api("POST", `/v1/checkout_sessions/${s.id}/cancel`, { token: demo.secret_key, json: { reason: "x" } }), 400, "invalid_request_error", "parameter_unknown");
  const other = (await newAccount()).keys.sk_test;
  assertError(await api("POST", `/v1/checkout_sessions/${paying.id}/cancel`, { token: other }), 404, "not_found_error");
});

test("line items and discounts: exact totals, quoted as the total, round-tripped", async () => {
  const s = await createSession({
    amount: undefined,
    line_items: [
      { name: "Mug", quantity: 3, unit_amount: "19.99" },
      { name: "Card", unit_amount: "5.00" },
    ],
    discounts: [
      { name: "TEN", percent_off: "10" },
      { name: "FIVE", amount_off: "5.00" },
    ],
    currency: "usd",
  });
  assert.equal(s.amount_subtotal, "64.97");
  // −10 % of 64.97 = 6.497 → 6.50 (half up); then −5.00.
  assert.equal(s.amount_total, "53.47");
  assert.equal(s.currency, "USD");
  assert.deepEqual(s.line_items, [
    { name: "Mug", quantity: 3, unit_amount: "19.99", amount_total: "59.97" },
    { name: "Card", quantity: 1, unit_amount: "5.00", amount_total: "5.00" },
  ]);
  assert.deepEqual(s.discounts, [
    { name: "TEN", amount_off: null, percent_off: "10", amount: "6.50" },
    { name: "FIVE", amount_off: "5.00", percent_off: null, amount: "5.00" },
  ]);
  assert.equal(s.payment_amount.value, "53470000", "the quote is of the total, exactly");
  const again = await getSession(s.id);
  assert.deepEqual(again.line_items, s.line_items);
  assert.deepEqual(again.discounts, s.discounts);
});

test("line items and discounts: bad input is a named 400", async () => {
  const post = (json) => api("POST", "/v1/checkout_sessions", { token: demo.secret_key, json: { chain_id: 31337, token: "USDC", ...json } });
  const cases = [
    [{ amount: USD("5.00"), line_items: [{ name: "A", unit_amount: "1" }] }, "line_items", "parameter_invalid"],
    [{ line_items: [{ name: "A", unit_amount: 19.99 }] }, "line_items[0].unit_amount", "amount_not_string"],
    [{ line_items: [{ name: "A", unit_amount: "1.001" }] }, "line_items[0].unit_amount", "amount_invalid"],
    [{ line_items: [{ name: "A", unit_amount: "1", quantity: 10001 }] }, "line_items[0].quantity", "parameter_invalid"],
    [{ line_items: [{ name: "A", unit_amount: "999999.99", quantity: 2 }] }, "line_items", "amount_out_of_range"],
    [{ line_items: [{ name: "A", unit_amount: "1" }], currency: "EUR" }, "currency", "currency_unsupported"],
    [{ line_items: [{ name: "A", unit_amount: "1" }], discounts: [{ name: "ALL", amount_off: "1.00" }] }, "discounts", "amount_out_of_range"],
    [{ amount: USD("5.00"), discounts: [{ name: "X", percent_off: "150" }] }, "discounts[0].percent_off", "parameter_invalid"],
    [{ amount: USD("5.00"), discounts: [{ name: "X", amount_off: "1", percent_off: "1" }] }, "discounts[0]", "parameter_invalid"],
    [{}, "amount", "parameter_missing"],
  ];
  for (const [body, param, code] of cases) {
    const e = assertError(await post(body), 400, "invalid_request_error", code);
    assert.equal(e.param, param, JSON.stringify(body));
  }
});
