// Refunds through the API: what a session may still refund, per token and per payment,
// decided exactly under concurrent creates; the refund object and its claim link; cancel;
// who may see a refund; Idempotency-Key; the refund.* events, verified with the official
// standardwebhooks library. Real sessions paid on the local chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ethers } from "ethers";
import {
  LOCAL_CHAIN,
  api,
  assertError,
  base,
  createSession,
  getSession,
  mine,
  newAccount,
  newHook,
  ok,
  payAndWatch,
  randomXpub,
  runScheduled,
} from "../support/env.mjs";
import { withReceiver } from "../support/receiver.mjs";

/** A shopper's address (a fresh random one, so no test shares it). */
const shopperAddress = () => ethers.Wallet.createRandom().address;

const refund = (key, session, json, headers = {}) => api("POST", `/v1/checkout_sessions/${session}/refunds`, { token: key, json, headers });
const getRefund = async (key, id) => ok(await api("GET", `/v1/refunds/${id}`, { token: key }));
const cancel = (key, id) => api("POST", `/v1/refunds/${id}/cancel`, { token: key });
const created = (res) => ok(res, 201);

/** A fresh account and a USDC session of it ($49.99) paid with `amount` base units. */
async function paidWith(amount, account) {
  const acct = account ?? (await newAccount());
  const key = acct.keys.sk_test;
  const session = await createSession({}, { key });
  const now = await payAndWatch(session, { amount, key });
  return { acct, key, session: now };
}

test("an overpaid session: its excess, an explicit amount, the default (what is left), too much, zero, cancel and the amount it gives back, with refund.* events", async () => {
  await withReceiver(async (receiver) => {
    const acct = await newAccount();
    const key = acct.keys.sk_test;
    await newHook(receiver, { key, events: ["refund.created", "refund.pending", "refund.canceled"] });
    const { session } = await paidWith(60_000_000n, acct);
    assert.equal(session.status, "overpaid");
    assert.equal(session.amount_received, "60000000");
    assert.equal(session.amount_excess, "10010000");
    assert.equal(session.amount_refunded, "0");
    assert.deepEqual(session.refunds, []);
    assert.match(session.payments[0].id, /^pay_[0-9A-Za-z]{24}$/);

    // The excess: waits for the shopper's address, with a claim link for the merchant to send.
    const excess = created(await refund(key, session.id, { excess: true, reason: "Paid too much" }));
    assert.match(excess.id, /^re_test_[0-9A-Za-z]{24}$/);
    assert.equal(excess.object, "refund");
    assert.equal(excess.livemode, false);
    assert.equal(excess.session, session.id);
    assert.equal(excess.payment, null);
    assert.equal(excess.chain_id, LOCAL_CHAIN);
    assert.equal(excess.chain, session.chain);
    assert.equal(excess.token, "USDC");
    assert.equal(excess.contract_address, session.supported_tokens.find((t) => t.token === "USDC").contract_address);
    assert.equal(excess.decimals, 6);
    assert.equal(excess.amount, "10010000");
    assert.equal(excess.amount_formatted, "10.01");
    assert.equal(excess.address, null);
    assert.equal(excess.status, "requires_address");
    assert.equal(excess.reason, "Paid too much");
    assert.equal(excess.requested_by, "merchant");
    assert.equal(excess.transaction, null);
    assert.equal(excess.version, 1);
    const claim = new URL(excess.claim_url);
    assert.equal(`${claim.origin}${claim.pathname}`, `${base}/r/${excess.id}`);
    assert.match(claim.hash, /^#[0-9A-Za-z]{32}$/);

    // Too much: the message says what is left, formatted and in base units.
    const tooMuch = assertError(await refund(key, session.id, { amount: "49990001" }), 400, "invalid_request_error", "refund_exceeds_refundable");
    assert.equal(tooMuch.param, "amount");
    assert.match(tooMuch.message, /49\.99 USDC \(49990000 base units\)/);
    assert.equal(assertError(await refund(key, session.id, { amount: "0" }), 400, "invalid_request_error", "amount_too_small").param, "amount");

    // An explicit amount to a given address: pending at once, no claim link.
    const to = shopperAddress();
    const part = created(await refund(key, session.id, { amount: "1500000", address: to.toLowerCase() }));
    assert.equal(part.status, "pending");
    assert.equal(part.address, to, "shown checksummed");
    assert.equal(part.amount_formatted, "1.5");
    assert.equal(part.claim_url, null);

    // The default: everything left, exactly.
    const rest = created(await refund(key, session.id, {}));
    assert.equal(BigInt(rest.amount), 60_000_000n - 10_010_000n - 1_500_000n);
    assert.equal(rest.amount, "48490000");
    const nothing = assertError(await refund(key, session.id, {}), 400, "invalid_request_error", "refund_exceeds_refundable");
    assert.match(nothing.message, /0/);

    // Cancel gives its amount back; a canceled refund cannot be canceled again.
    const canceled = ok(await cancel(key, part.id));
    assert.equal(canceled.status, "canceled");
    assert.equal(canceled.version, 2);
    assert.ok(canceled.canceled_at);
    assertError(await cancel(key, part.id), 409, "invalid_request_error", "refund_not_cancelable");
    const again = created(await refund(key, session.id, { amount: "1500000" }));
    assert.equal(again.amount, "1500000");
    assertError(await refund(key, session.id, { amount: "1" }), 400, "invalid_request_error", "refund_exceeds_refundable");

    // The session lists its refunds, oldest first; none succeeded, so nothing is refunded yet.
    const now = await getSession(session.id, { key });
    assert.deepEqual(now.refunds, [excess.id, part.id, rest.id, again.id]);
    assert.equal(now.amount_refunded, "0");
    const listed = ok(await api("GET", `/v1/checkout_sessions?limit=1`, { token: key })).data[0];
    assert.deepEqual(listed.refunds, now.refunds, "the list shows them too");

    // The list: newest first, filtered, paged.
    const all = ok(await api("GET", `/v1/refunds?session=${session.id}&limit=100`, { token: key }));
    assert.deepEqual(all.data.map((r) => r.id), [again.id, rest.id, part.id, excess.id]);
    assert.deepEqual(ok(await api("GET", "/v1/refunds?status=canceled", { token: key })).data.map((r) => r.id), [part.id]);
    const page = ok(await api("GET", `/v1/refunds?limit=2&starting_after=${rest.id}`, { token: key }));
    assert.deepEqual(page.data.map((r) => r.id), [part.id, excess.id]);
    assert.equal(page.has_more, false);
    assert.equal(assertError(await api("GET", "/v1/refunds?status=lost", { token: key }), 400, "invalid_request_error", "parameter_invalid").param, "status");

    // Events: created for each, pending for the one created with its address, canceled.
    const want = { "refund.created": 4, "refund.pending": 1, "refund.canceled": 1 };
    const count = (r, type) => r.filter((q) => q.json?.type === type).length;
    await receiver.until((r) => Object.entries(want).every(([type, n]) => count(r, type) >= n), 15_000, "the refund events");
    assert.ok(receiver.requests.every((q) => q.verified), "every delivery verifies with standardwebhooks");
    for (const [type, n] of Object.entries(want)) assert.equal(count(receiver.requests, type), n, type);
    const pending = receiver.requests.find((q) => q.json.type === "refund.pending").json;
    assert.equal(pending.data.object.id, part.id);
    assert.equal(pending.data.object.status, "pending");
    assert.equal(pending.data.object.claim_url, null, "no claim link in events");
    const canceledEvent = receiver.requests.find((q) => q.json.type === "refund.canceled").json;
    assert.equal(canceledEvent.data.object.status, "canceled");
    assert.equal(receiver.requests.find((q) => q.json.type === "refund.created" && q.json.data.object.id === excess.id).json.data.object.claim_url, null);
    const listedEvents = ok(await api("GET", `/v1/events?session=${session.id}&type=refund.created&limit=100`, { token: key })).data;
    assert.equal(listedEvents.length, 4, "the events list them under the session");
  });
});

test("8 concurrent creates for the whole amount: exactly one succeeds, the others are refused, the sum never exceeds what was received", async () => {
  const { key, session } = await paidWith(49_990_000n);
  assert.equal(session.status, "paid");
  const answers = await Promise.all(Array.from({ length: 8 }, () => refund(key, session.id, {})));
  const made = answers.filter((a) => a.status === 201);
  assert.equal(made.length, 1, answers.map((a) => `${a.status} ${a.body?.error?.code ?? ""}`).join(", "));
  assert.equal(made[0].body.amount, "49990000");
  for (const a of answers.filter((a) => a.status !== 201)) {
    assert.ok(
      (a.status === 400 && a.body.error.code === "refund_exceeds_refundable") || (a.status === 409 && a.body.error.code === "refund_conflict"),
      `${a.status} ${JSON.stringify(a.body)}`,
    );
  }
  // Halves, eight at once: two at most fit.
  const { key: key2, session: s2 } = await paidWith(49_990_000n);
  const halves = await Promise.all(Array.from({ length: 8 }, () => refund(key2, s2.id, { amount: "24995000" })));
  const ids = (await getSession(s2.id, { key: key2 })).refunds;
  const sum = (await Promise.all(ids.map((id) => getRefund(key2, id)))).reduce((t, r) => t + BigInt(r.amount), 0n);
  assert.ok(sum <= 49_990_000n, `refunded ${sum}`);
  assert.equal(halves.filter((a) => a.status === 201).length, ids.length);
  assert.ok(ids.length >= 1 && ids.length <= 2);
});

test("payment: ETH sent to a USDC session is refunded in ETH, exactly, and only once", async () => {
  const acct = await newAccount();
  const key = acct.keys.sk_test;
  const session = await createSession({}, { key });
  const eth = 123_456_789_012_345_678n;
  const seen = await payAndWatch(session, { amount: eth, token: "ETH", blocks: 1, key });
  const detected = seen.payments.find((p) => p.token === "ETH");
  assert.ok(detected, JSON.stringify(seen.payments));
  if (detected.confirmations < 2) {
    const early = assertError(await refund(key, session.id, { payment: detected.id }), 400, "invalid_request_error", "refund_exceeds_refundable");
    assert.match(early.message, /once it is confirmed/);
  }
  await mine(3);
  await runScheduled();
  const now = await getSession(session.id, { key });
  // An uncounted payment stays `detected` (the lifecycle only confirms counted ones): it is
  // refundable once as deep as its token asks.
  const paid = now.payments.find((p) => p.token === "ETH");
  assert.ok(paid.confirmations >= 3, JSON.stringify(paid));
  assert.equal(paid.id, detected.id, "a payment keeps its id");
  assert.equal(paid.counted, false);
  assert.match(paid.id, /^pay_/);
  // Nothing counted in USDC: the default has nothing to refund.
  assertError(await refund(key, session.id, {}), 400, "invalid_request_error", "refund_exceeds_refundable");
  const back = created(await refund(key, session.id, { payment: paid.id }));
  assert.equal(back.payment, paid.id);
  assert.equal(back.token, "ETH");
  assert.equal(back.contract_address, null);
  assert.equal(back.decimals, 18);
  assert.equal(back.amount, eth.toString());
  assert.equal(back.amount_formatted, "0.123456789012345678");
  const twice = assertError(await refund(key, session.id, { payment: paid.id, amount: "1" }), 400, "invalid_request_error", "refund_exceeds_refundable");
  assert.equal(twice.param, "amount");
  assert.equal(assertError(await refund(key, session.id, { payment: "pay_000000000000000000000000" }), 400, "invalid_request_error", "resource_missing").param, "payment");
  assert.equal(assertError(await refund(key, session.id, { excess: true, payment: paid.id }), 400, "invalid_request_error", "parameter_invalid").param, "excess");
});

test("bad bodies are named 400s; the session's own deposit address is refused", async () => {
  const { key, session } = await paidWith(49_990_000n);
  for (const [json, param, code] of [
    [{ amount: 5 }, "amount", "amount_not_string"],
    [{ amount: "1.5" }, "amount", "parameter_invalid"],
    [{ amount: "-1" }, "amount", "parameter_invalid"],
    [{ excess: "yes" }, "excess", "parameter_invalid"],
    [{ payment: "cs_test_nope" }, "payment", "parameter_invalid"],
    [{ reason: "x".repeat(501) }, "reason", "parameter_invalid"],
    [{ address: "0x0000000000000000000000000000000000000000" }, "address", "parameter_invalid"],
    [{ address: "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8" }, "address", "parameter_invalid"],
    [{ address: "0xA0ee7A142d267C1f36714E4a8F75612F20a79720" }, "address", "parameter_invalid"],
    [{ address: session.address }, "address", "parameter_invalid"],
    [{ colour: "red" }, "colour", "parameter_unknown"],
  ]) {
    const e = assertError(await refund(key, session.id, json), 400, "invalid_request_error", code);
    assert.equal(e.param, param, JSON.stringify(json));
  }
  assert.deepEqual((await getSession(session.id, { key })).refunds, [], "nothing was created");
});

test("who sees a refund: the secret key of its account and mode only; the claim link only to secret keys; Idempotency-Key replays", async () => {
  const acct = await newAccount({ xpub_live: await randomXpub() });
  const key = acct.keys.sk_test;
  const { session } = await paidWith(49_990_000n, acct);
  const idem = randomUUID();
  const first = await refund(key, session.id, { amount: "1000000" }, { "idempotency-key": idem });
  const made = created(first);
  const replay = await refund(key, session.id, { amount: "1000000" }, { "idempotency-key": idem });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(replay.body, made);
  assert.deepEqual((await getSession(session.id, { key })).refunds, [made.id], "one refund for the key");

  const got = await getRefund(key, made.id);
  assert.equal(got.claim_url, made.claim_url);
  assert.ok(got.claim_url);
  const other = (await newAccount()).keys.sk_test;
  for (const [token, headers, status, type] of [
    [acct.keys.pk_test, {}, 403, "permission_error"],
    [other, {}, 404, "not_found_error"],
    [acct.keys.sk_live, {}, 404, "not_found_error"],
    [undefined, { "kasse-client-secret": session.client_secret }, 401, "authentication_error"],
  ]) {
    assertError(await api("GET", `/v1/refunds/${made.id}`, { token, headers }), status, type);
    assertError(await api("POST", `/v1/refunds/${made.id}/cancel`, { token, headers }), status, type);
    assertError(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token, headers, json: {} }), status, type);
  }
  assert.deepEqual(ok(await api("GET", "/v1/refunds", { token: other })).data, []);
  assert.deepEqual(ok(await api("GET", "/v1/refunds", { token: acct.keys.sk_live })).data, []);
  assertError(await api("GET", `/v1/refunds?starting_after=${made.id}`, { token: other }), 400, "invalid_request_error", "resource_missing");
});
