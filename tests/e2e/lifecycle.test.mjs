// Statuses end to end on the real chain, with the test clock for expiry and grace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { advance, api, assertError, createSession, demo, eventTypes, getSession, mine, paySession, runScheduled, transfer } from "../support/env.mjs";

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
  const s = await createSession();
  await advance(s.id, TTL + 60);
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "expired");
  await paySession(s);
  await mine(2);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid_late", JSON.stringify(now));
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.expired", "session.paid_late"]);
});

test("underpaid, then topped up: paid", async () => {
  const s = await createSession();
  await paySession(s, 20_000_000n);
  await mine(2);
  await runScheduled();
  let now = await getSession(s.id);
  assert.equal(now.status, "underpaid");
  assert.equal(now.amount_received, "20000000");
  const view = await api("GET", `/v1/public/checkout_sessions/${s.id}`, { headers: { "kasse-client-secret": s.client_secret } });
  assert.equal(view.body.amount_remaining, "29.99");
  assert.match(view.body.payment_uri, /uint256=29990000$/, "the QR asks for exactly the remainder");

  await paySession(s, 29_990_000n);
  await mine(2);
  await runScheduled();
  now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_received, "49990000");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid", "session.underpaid"]);
});

test("more than a cent over: overpaid with the excess", async () => {
  const s = await createSession();
  await paySession(s, 50_000_001n);
  await mine(2);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "overpaid");
  assert.equal(now.amount_excess, "10001");
});

test("after late_until the session is no longer watched", async () => {
  const s = await createSession();
  await advance(s.id, TTL + 86_400 + 1);
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "expired");
  await paySession(s);
  await mine(2);
  await runScheduled();
  const now = await getSession(s.id);
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
  await paySession(s, 1n); // 0.000001 USDC; the minimum is 0.01
  await mine(2);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "pending");
  assert.equal(now.payments.length, 1);
  assert.equal(now.payments[0].counted, false);
  assert.equal(now.amount_received, "0");
  assert.deepEqual(await eventTypes(s.id), ["session.created"]);
});

test("another token after selection is unexpected: recorded, not counted, one event", async () => {
  const s = await createSession(); // USDC selected at creation
  await transfer(s.address, 49_990_000n, "USDT");
  await mine(2);
  await runScheduled();
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "pending");
  assert.equal(now.payments[0].token, "USDT");
  assert.equal(now.payments[0].counted, false);
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.payment_unexpected"]);
});

test("the first payment chooses the option when none was selected", async () => {
  const s = await createSession({ chain_id: undefined, token: undefined });
  assert.equal(s.selected_token, null);
  assert.deepEqual(s.supported_tokens.map((t) => t.token), ["USDC", "USDT", "ETH"]);
  await transfer(s.address, 49_990_000n, "USDT");
  await mine(2);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.selected_token, "USDT");
  assert.equal(now.status, "paid");
});

test("a payment after close keeps the status, adds to the excess and raises its event once", async () => {
  const s = await createSession();
  await paySession(s);
  await mine(2);
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "paid");
  await paySession(s, 5_000_000n);
  await mine(2);
  await runScheduled();
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_excess, "5000000");
  assert.equal(now.payments.length, 2);
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid", "session.payment_after_close"]);
});

test("after the grace window a paid session is left alone, however recent its payment", async () => {
  const s = await createSession();
  await paySession(s);
  await mine(2);
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "paid");
  // Grace over while the payment is still inside the rescan window: the address is no
  // longer scanned, which must not read as the payment having been reorged out.
  await advance(s.id, TTL + 86_400 + 60);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_received, "49990000");
  assert.equal(now.payments[0].status, "confirmed");
});
