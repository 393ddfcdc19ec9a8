// Shopper refund requests: with the account setting `refund_requests`, the shopper's view of
// a session offers the refund they may ask for (`refund_offer`: the excess of an overpaid
// session, what an underpaid one received once its grace window closed, a payment in
// another token in that token) and shows the one they asked for (`shopper_refund`);
// `POST /v1/public/checkout_sessions/{id}/refund_request {address}` creates it `pending`
// with `requested_by: "shopper"` through the merchant's guarded create. Real sessions paid
// on the local chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import {
  LOCAL_CHAIN,
  advance,
  api,
  assertError,
  createSession,
  d1,
  getSession,
  mine,
  newAccount,
  ok,
  payAndWatch,
  runScheduled,
  shopperApi,
  shopperView,
} from "../support/env.mjs";

const TTL = 1800; // the default session TTL
const GRACE = 86_400; // the default grace window

/** A shopper's address (a fresh random one, so no test shares it). */
const shopperAddress = () => ethers.Wallet.createRandom().address;

const request = (session, address, headers = {}) => shopperApi("POST", session, "/refund_request", { json: { address }, headers });

/** A fresh account, with shopper refund requests on unless `on` is false, and its secret key. */
async function shop(on = true) {
  const acct = await newAccount();
  const key = acct.keys.sk_test;
  const set = ok(await api("POST", "/v1/account", { token: key, json: { refund_requests: on } }));
  assert.equal(set.refund_requests, on);
  return { acct, key };
}

/** A USDC session ($49.99) of `key`'s account paid with `amount` base units. */
async function paidWith(key, amount) {
  const session = await createSession({}, { key });
  const now = await payAndWatch(session, { amount, key });
  return { session, now };
}

/** The refund's events in the order they were written, from D1. */
function refundEventTypes(id) {
  return d1(`SELECT type FROM events WHERE type LIKE 'refund.%' AND body LIKE '%"id":"${id}"%' ORDER BY rowid`).map((r) => r.type);
}

test("refund_requests is off by default, shows in the account and is changed like the other settings", async () => {
  const acct = await newAccount();
  const key = acct.keys.sk_test;
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).refund_requests, false);
  assert.equal(ok(await api("POST", "/v1/account", { token: key, json: { refund_requests: true } })).refund_requests, true);
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).refund_requests, true);
  for (const bad of ["true", 1, null]) {
    const e = assertError(await api("POST", "/v1/account", { token: key, json: { refund_requests: bad } }), 400, "invalid_request_error", "parameter_invalid");
    assert.equal(e.param, "refund_requests");
  }
  const live = ok(await api("GET", "/v1/account", { token: key }));
  assert.equal(live.refund_requests, true, "a refused update changes nothing");
});

test("setting off: an overpaid session offers nothing and a request is a 409 refund_not_available", async () => {
  const { key } = await shop(false);
  const { session, now } = await paidWith(key, 60_000_000n);
  assert.equal(now.status, "overpaid");
  const view = await shopperView(session);
  assert.equal(view.refund_offer, null);
  assert.equal(view.shopper_refund, null);
  const e = assertError(await request(session, shopperAddress()), 409, "invalid_request_error", "refund_not_available");
  assert.match(e.message, /does not take refund requests/);
  assert.deepEqual((await getSession(session.id, { key })).refunds, []);
});

test("overpaid: the view offers exactly the excess; the request creates a pending shopper refund with its events; a second is refused", async () => {
  const { key } = await shop();
  const { session, now } = await paidWith(key, 60_000_000n);
  assert.equal(now.status, "overpaid");
  const view = await shopperView(session);
  assert.deepEqual(view.refund_offer, {
    amount: "10010000",
    amount_formatted: "10.01",
    token: "USDC",
    decimals: 6,
    chain_id: LOCAL_CHAIN,
    chain: "Local (anvil)",
  });
  assert.equal(BigInt(view.refund_offer.amount), 60_000_000n - 49_990_000n);
  assert.equal(view.shopper_refund, null);

  const to = shopperAddress();
  const res = await request(session, to.toLowerCase());
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const asked = res.body;
  assert.match(asked.id, /^re_test_[0-9A-Za-z]{24}$/);
  assert.deepEqual(asked, {
    id: asked.id,
    status: "pending",
    amount: "10010000",
    amount_formatted: "10.01",
    token: "USDC",
    chain_id: LOCAL_CHAIN,
    chain: "Local (anvil)",
    address: to,
    tx_hash: null,
  });

  const merchant = ok(await api("GET", `/v1/refunds/${asked.id}`, { token: key }));
  assert.equal(merchant.status, "pending");
  assert.equal(merchant.requested_by, "shopper");
  assert.equal(BigInt(merchant.amount), 10_010_000n);
  assert.equal(merchant.address, to);
  assert.equal(merchant.payment, null);
  assert.equal(merchant.claim_url, null, "it has its address already");
  assert.deepEqual(refundEventTypes(asked.id), ["refund.created", "refund.pending"]);

  const after = await shopperView(session);
  assert.equal(after.refund_offer, null, "one request at a time");
  assert.deepEqual(after.shopper_refund, asked);
  // The view reads the session's refunds in the batch that reads its payments: one round trip.
  const polled = await shopperApi("GET", session);
  const usage = polled.headers.get("kasse-d1-usage");
  assert.match(usage, /^round_trips=1,/, usage);
  console.log(`refund-request: D1 usage of a shopper view with a requested refund: ${usage}`);
  const again = assertError(await request(session, shopperAddress()), 409, "invalid_request_error", "refund_not_available");
  assert.match(again.message, /requested already/);
  assert.deepEqual((await getSession(session.id, { key })).refunds, [asked.id]);
});

test("underpaid: nothing is offered while the grace window is open; after it, what was received", async () => {
  const { key } = await shop();
  const { session, now } = await paidWith(key, 20_000_000n);
  assert.equal(now.status, "underpaid");
  assert.equal((await shopperView(session)).refund_offer, null, "the shopper may still top up");
  assertError(await request(session, shopperAddress()), 409, "invalid_request_error", "refund_not_available");
  await advance(session.id, TTL + GRACE + 60, { key });
  await runScheduled();
  const offer = (await shopperView(session)).refund_offer;
  assert.equal(offer?.amount, "20000000", JSON.stringify(offer));
  assert.equal(BigInt(offer.amount), 20_000_000n);
});

test("expired, then paid part of it in the grace window: once the window closes, what was received is offered", async () => {
  const { key } = await shop();
  const session = await createSession({}, { key });
  await advance(session.id, TTL + 60, { key });
  await runScheduled();
  assert.equal((await getSession(session.id, { key })).status, "expired");
  assert.equal((await shopperView(session)).refund_offer, null, "nothing received");
  const late = await payAndWatch(session, { amount: 7_654_321n, key });
  assert.equal(late.amount_received, "7654321");
  await advance(session.id, GRACE, { key });
  await runScheduled();
  const offer = (await shopperView(session)).refund_offer;
  assert.equal(offer?.amount, "7654321", JSON.stringify(offer));
  assert.equal(offer.amount_formatted, "7.654321");
});

test("a USDC session paid with ETH: the ETH payment is offered in ETH, exactly, and requested as that payment", async () => {
  const { key } = await shop();
  const session = await createSession({}, { key });
  const eth = 123_456_789_012_345_678n;
  await payAndWatch(session, { amount: eth, token: "ETH", blocks: 1, key });
  await mine(3);
  await runScheduled();
  const now = await getSession(session.id, { key });
  const paid = now.payments.find((p) => p.token === "ETH");
  assert.equal(paid?.counted, false, JSON.stringify(now.payments));
  const offer = (await shopperView(session)).refund_offer;
  assert.deepEqual(offer, {
    amount: eth.toString(),
    amount_formatted: "0.123456789012345678",
    token: "ETH",
    decimals: 18,
    chain_id: LOCAL_CHAIN,
    chain: "Local (anvil)",
  });
  const res = await request(session, shopperAddress());
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(BigInt(res.body.amount), eth);
  assert.equal(res.body.token, "ETH");
  const merchant = ok(await api("GET", `/v1/refunds/${res.body.id}`, { token: key }));
  assert.equal(merchant.payment, paid.id);
  assert.equal(merchant.contract_address, null);
  assert.equal(merchant.requested_by, "shopper");
});

test("a wrong, missing or another session's client secret is refused like the other public routes; an unknown id is a 404", async () => {
  const { key } = await shop();
  const { session } = await paidWith(key, 60_000_000n);
  const other = await createSession({}, { key });
  const to = shopperAddress();
  const path = `/v1/public/checkout_sessions/${session.id}/refund_request`;
  for (const secret of [`${session.client_secret}x`, other.client_secret]) {
    assertError(await api("POST", path, { json: { address: to }, headers: { "kasse-client-secret": secret } }), 401, "authentication_error");
  }
  const missing = assertError(await api("POST", path, { json: { address: to } }), 401, "authentication_error");
  assert.match(missing.message, /Kasse-Client-Secret/);
  const unknown = `/v1/public/checkout_sessions/cs_test_${"a".repeat(24)}/refund_request`;
  assertError(await api("POST", unknown, { json: { address: to }, headers: { "kasse-client-secret": session.client_secret } }), 404, "not_found_error", "resource_missing");
  assertError(await api("POST", path, { json: { address: to }, token: key }), 401, "authentication_error");
  assert.deepEqual((await getSession(session.id, { key })).refunds, [], "nothing was created");
});

test("anything but the shopper's own 0x address is a 400 address_invalid naming the network; bad bodies are named 400s", async () => {
  const { key } = await shop();
  const { session } = await paidWith(key, 60_000_000n);
  const other = await createSession({}, { key });
  for (const [address, message] of [
    ["TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", /Local \(anvil\).*a Tron address cannot receive it/],
    [`0x${"0".repeat(40)}`, /zero address/],
    [session.address, /shop's own payment addresses/],
    [other.address.toLowerCase(), /shop's own payment addresses/],
  ]) {
    const e = assertError(await request(session, address), 400, "invalid_request_error", "address_invalid");
    assert.equal(e.param, "address");
    assert.match(e.message, message, address);
  }
  for (const [json, code] of [[{}, "parameter_missing"], [{ address: 7 }, "parameter_invalid"], [{ address: shopperAddress(), amount: "1" }, "parameter_unknown"], [[], "invalid_json"]]) {
    const res = await shopperApi("POST", session, "/refund_request", { json });
    assert.equal(res.status, 400, `${JSON.stringify(json)}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, JSON.stringify(json));
  }
  const raw = (body) =>
    api("POST", `/v1/public/checkout_sessions/${session.id}/refund_request`, {
      body,
      headers: { "kasse-client-secret": session.client_secret, "content-type": "application/json" },
    });
  assertError(await raw("{not json"), 400, "invalid_request_error", "invalid_json");
  const huge = await raw(JSON.stringify({ address: "0x".padEnd(200_000, "a") }));
  assert.ok(huge.status >= 400 && huge.status < 500, `a huge body is a 4xx, not ${huge.status}`);
  assert.deepEqual((await getSession(session.id, { key })).refunds, [], "nothing was created");
});

test("after the merchant cancels the shopper's refund the offer comes back, and may be requested again", async () => {
  const { key } = await shop();
  const { session } = await paidWith(key, 60_000_000n);
  const first = ok(await request(session, shopperAddress()), 201);
  assert.equal((await shopperView(session)).refund_offer, null);
  const canceled = ok(await api("POST", `/v1/refunds/${first.id}/cancel`, { token: key }));
  assert.equal(canceled.status, "canceled");
  const view = await shopperView(session);
  assert.equal(view.shopper_refund.status, "canceled", "the shopper sees what became of it");
  assert.equal(view.refund_offer?.amount, "10010000");
  const second = ok(await request(session, shopperAddress()), 201);
  assert.notEqual(second.id, first.id);
  assert.equal((await shopperView(session)).shopper_refund.id, second.id, "the newest is shown");
});

test("five requests at once create exactly one refund", async () => {
  const { key } = await shop();
  const { session } = await paidWith(key, 60_000_000n);
  const answers = await Promise.all(Array.from({ length: 5 }, () => request(session, shopperAddress())));
  const made = answers.filter((a) => a.status === 201);
  assert.equal(made.length, 1, answers.map((a) => `${a.status} ${a.body?.error?.code ?? ""}`).join(", "));
  for (const a of answers.filter((a) => a.status !== 201)) {
    assert.equal(a.status, 409, JSON.stringify(a.body));
    assert.ok(["refund_not_available", "refund_conflict"].includes(a.body.error.code), a.body.error.code);
  }
  const refunds = (await getSession(session.id, { key })).refunds;
  assert.deepEqual(refunds, [made[0].body.id]);
  assert.equal(BigInt(made[0].body.amount), 10_010_000n);
});
