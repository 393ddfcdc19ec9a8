// Statuses end to end on the real chain, with the test clock for expiry and grace.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ANY_OPTION, advance, api, assertError, createSession, demo, eventTypes, expiredSession, getSession, paidSession, payAndWatch,
  runScheduled, shopperView,
} from "../support/env.mjs";

const TTL = 1800; // the default session TTL

test("nothing paid within the TTL: expired, once", async () => {
  const s = await createSession();
  await advance(s.id, TTL + 1);
  await runScheduled();
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "expired");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.expired"]);
});

test("paid in the grace window (block after expires_at): paid_late", async () => {
  const s = await expiredSession(TTL + 60);
  const now = await payAndWatch(s);
  assert.equal(now.status, "paid_late", JSON.stringify(now));
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.expired", "session.paid_late"]);
});

test("underpaid, then topped up: paid", async () => {
  const s = await createSession();
  let now = await payAndWatch(s, { amount: 20_000_000n });
  assert.equal(now.status, "underpaid");
  assert.equal(now.amount_received, "20000000");
  const view = await shopperView(s);
  assert.equal(view.amount_remaining, "29.99");
  assert.match(view.payment_uri, /uint256=29990000$/, "the QR asks for exactly the remainder");

  now = await payAndWatch(s, { amount: 29_990_000n });
  assert.equal(now.status, "paid");
  assert.equal(now.amount_received, "49990000");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid", "session.underpaid"]);
});

test("more than a cent over: overpaid with the excess", async () => {
  const s = await createSession();
  const now = await payAndWatch(s, { amount: 50_000_001n });
  assert.equal(now.status, "overpaid");
  assert.equal(now.amount_excess, "10001");
});

test("after late_until the session is no longer watched", async () => {
  const s = await expiredSession(TTL + 86_400 + 1);
  const now = await payAndWatch(s);
  assert.equal(now.status, "expired");
  assert.equal(now.payments.length, 0);
});

test("the test clock refuses bad input and other accounts' sessions", async () => {
  const s = await createSession();
  const path = `/v1/test_helpers/checkout_sessions/${s.id}/advance`;
  assertError(await api("POST", path, { token: demo.secret_key, json: { seconds: 0 } }), 400, "invalid_request_error", "parameter_invalid");
  assertError(await api("POST", path, { token: demo.secret_key, json: { seconds: "60" } }), 400, "invalid_request_error", "parameter_invalid");
  assertError(await api("POST", path, { token: demo.secret_key, json: { minutes: 1 } }), 400, "invalid_request_error", "parameter_unknown");
  assertError(await api("POST", path, { json: { seconds: 60 } }), 401, "authentication_error");
});

test("dust below the token's minimum is recorded, not counted, and changes no status", async () => {
  const s = await createSession();
  const now = await payAndWatch(s, { amount: 1n }); // 0.000001 USDC; the minimum is 0.01
  assert.equal(now.status, "pending");
  assert.equal(now.payments.length, 1);
  assert.equal(now.payments[0].counted, false);
  assert.equal(now.amount_received, "0");
  assert.deepEqual(await eventTypes(s.id), ["session.created"]);
});

test("another token after selection is unexpected: recorded, not counted, one event", async () => {
  const s = await createSession(); // USDC selected at creation
  await payAndWatch(s, { amount: 49_990_000n, token: "USDT" });
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "pending");
  assert.equal(now.payments[0].token, "USDT");
  assert.equal(now.payments[0].counted, false);
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.payment_unexpected"]);
});

test("the first payment chooses the option when none was selected", async () => {
  const s = await createSession(ANY_OPTION);
  assert.equal(s.selected_token, null);
  assert.deepEqual(
    s.supported_tokens.map((t) => `${t.chain_id} ${t.token}`),
    ["31337 USDC", "31337 USDT", "31337 ETH", "31338 USDC", "31338 USDT", "31338 ETH"],
  );
  const now = await payAndWatch(s, { amount: 49_990_000n, token: "USDT", chain: 31337 });
  assert.equal(now.selected_token, "USDT");
  assert.equal(now.chain_id, 31337);
  assert.equal(now.status, "paid");
});

test("a payment after close keeps the status, adds to the excess and raises its event once", async () => {
  const s = await paidSession();
  await payAndWatch(s, { amount: 5_000_000n });
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_excess, "5000000");
  assert.equal(now.payments.length, 2);
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid", "session.payment_after_close"]);
});

test("after the grace window a paid session is left alone, however recent its payment", async () => {
  const s = await paidSession();
  // Grace over while the payment is still inside the rescan window: the address is no
  // longer scanned, which must not read as the payment having been reorged out.
  await advance(s.id, TTL + 86_400 + 60);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_received, "49990000");
  assert.equal(now.payments[0].status, "confirmed");
});
