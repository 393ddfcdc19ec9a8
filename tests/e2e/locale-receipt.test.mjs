// The shopper's language chosen by the merchant (`locale`), the receipt of a paid session in
// the shopper's view, and the answer of a check that names a transaction.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  L2_CHAIN,
  LOCAL_CHAIN,
  USD,
  api,
  assertError,
  chainEnv,
  createLink,
  createSession,
  getSession,
  mine,
  newAccount,
  ok,
  paySession,
  runScheduled,
  shopperApi,
  shopperView,
  transfer,
} from "../support/env.mjs";

/** $49.99 in the local L2's 18-decimal USDC. */
const L2_AMOUNT = 49_990_000_000_000_000_000n;

const unixNow = () => Math.floor(Date.now() / 1000);

/** A fresh shop named `name`: its secret test key. */
async function shop(name) {
  return (await newAccount({ display_name: name })).keys.sk_test;
}

/** The public check of `session` naming `txHash`. */
async function check(session, txHash) {
  return ok(await shopperApi("POST", session, "/check", { json: { tx_hash: txHash } }));
}

test("a session's locale is matched in any case, kept canonical on create, retrieve and the shopper view, and anything else is refused", async () => {
  const key = await shop("Loja");
  const created = await createSession({ locale: "pt-br" }, { key });
  assert.equal(created.locale, "pt-BR");
  assert.equal((await getSession(created.id, { key })).locale, "pt-BR");
  assert.equal((await shopperView(created)).locale, "pt-BR");

  const unset = await createSession({}, { key });
  assert.equal(unset.locale, null, "absent: the shopper's browser decides");
  assert.equal((await shopperView(unset)).locale, null);
  assert.equal((await createSession({ locale: null }, { key })).locale, null);

  for (const bad of ["xx", "pt", "de-AT", "", 7]) {
    const res = await api("POST", "/v1/checkout_sessions", {
      token: key,
      json: { amount: USD("49.99"), chain_id: LOCAL_CHAIN, token: "USDC", locale: bad },
    });
    const e = assertError(res, 400, "invalid_request_error", "parameter_invalid");
    assert.equal(e.param, "locale", JSON.stringify(bad));
    assert.match(e.message, /en, de, fr, es, it, pt-BR, nl, pl, tr, ru, uk, ja, ko, zh-CN, vi, id, ar/);
  }
});

test("a payment link's locale is its sessions' unless a session names its own; an update can clear it", async () => {
  const key = await shop("Link shop");
  const link = await createLink({ amount: USD("10.00"), locale: "ZH-cn" }, { key });
  assert.equal(link.locale, "zh-CN");
  const inherited = ok(await api("POST", "/v1/checkout_sessions", { token: key, json: { payment_link: link.id } }));
  assert.equal(inherited.locale, "zh-CN");
  const own = ok(await api("POST", "/v1/checkout_sessions", { token: key, json: { payment_link: link.id, locale: "ar" } }));
  assert.equal(own.locale, "ar");

  const cleared = ok(await api("POST", `/v1/payment_links/${link.id}`, { token: key, json: { locale: null } }));
  assert.equal(cleared.locale, null);
  const after = ok(await api("POST", "/v1/checkout_sessions", { token: key, json: { payment_link: link.id } }));
  assert.equal(after.locale, null);
  const e = assertError(
    await api("POST", `/v1/payment_links/${link.id}`, { token: key, json: { locale: "klingon" } }),
    400,
    "invalid_request_error",
    "parameter_invalid",
  );
  assert.equal(e.param, "locale");
});

test("a paid session's view carries its receipt, and a check with the paying transaction answers counted", async () => {
  const key = await shop("Receipt Shop");
  const started = unixNow();
  const session = await createSession({}, { key });
  const option = session.supported_tokens[0];
  assert.equal(option.chain_id, LOCAL_CHAIN);

  const pending = await shopperView(session);
  assert.equal(pending.receipt, null, "no receipt before it is paid");
  assert.equal("check" in pending, false, "no check answer outside a check");

  const txHash = await paySession(session);
  await mine(2);
  await runScheduled();
  const view = await shopperView(session);
  const ended = unixNow();
  assert.equal(view.status, "paid", JSON.stringify(view));
  const { receipt } = view;
  assert.ok(receipt, JSON.stringify(view));
  assert.equal(receipt.merchant, "Receipt Shop");
  assert.equal(receipt.reference, session.id);
  assert.equal(BigInt(receipt.amount), 49_990_000n);
  assert.equal(receipt.amount_formatted, "49.99");
  assert.equal(receipt.token, "USDC");
  assert.equal(receipt.decimals, 6);
  assert.equal(receipt.chain_id, LOCAL_CHAIN);
  assert.equal(receipt.chain, "Local (anvil)");
  assert.deepEqual(receipt.transactions, [{ tx_hash: txHash.toLowerCase(), url: null }], "one transaction, no explorer on the local chain");
  const paidAt = Date.parse(receipt.paid_at) / 1000;
  assert.ok(started <= paidAt && paidAt <= ended, `${started} <= ${receipt.paid_at} <= ${ended}`);
  assert.equal(receipt.paid_at, (await getSession(session.id, { key })).paid_at);

  const answer = await check(session, txHash);
  assert.deepEqual(answer.check, { tx_hash: txHash.toLowerCase(), result: "counted" });
  assert.equal(answer.status, "paid");
  assert.deepEqual(answer.receipt, receipt, "the check's view carries the same receipt");
});

test("a check names what became of a transaction: another checkout's, none at all, or one on the wrong network", async () => {
  const key = await shop("Check shop");
  const paid = await createSession({}, { key });
  const othersTx = await paySession(paid);

  const other = await createSession({}, { key });
  const notThis = await check(other, othersTx);
  assert.deepEqual(notThis.check, { tx_hash: othersTx.toLowerCase(), result: "not_this_checkout" });
  assert.equal(notThis.payments.length, 0);
  assert.equal(notThis.status, "pending");

  const missing = `0x${randomBytes(32).toString("hex")}`;
  const notFound = await check(await createSession({}, { key }), missing);
  assert.deepEqual(notFound.check, { tx_hash: missing, result: "not_found" });

  // Offered only USDC on the first chain, paid in USDC on the L2.
  const wrong = await createSession({}, { key });
  assert.deepEqual(wrong.supported_tokens.map((t) => t.chain_id), [LOCAL_CHAIN]);
  const l2Tx = await transfer(wrong.address, L2_AMOUNT, "USDC", L2_CHAIN);
  await mine(3, L2_CHAIN);
  await runScheduled();
  const notCounted = await check(wrong, l2Tx);
  assert.deepEqual(notCounted.check, { tx_hash: l2Tx.toLowerCase(), result: "not_counted" });
  const [payment] = notCounted.payments;
  assert.equal(payment.tx_hash, l2Tx.toLowerCase());
  assert.equal(payment.reason, "network_mismatch");
  assert.equal(BigInt(payment.amount), L2_AMOUNT);
  assert.equal(notCounted.status, "pending");
  assert.equal(notCounted.receipt, null);

  const scan = ok(await shopperApi("POST", await createSession({}, { key }), "/check", { json: {} }));
  assert.equal("check" in scan, false, "a check without a hash has no check answer");
});

test("a check by hash answers from the session's own chain while a chain read only for wrong-network payments fails", async () => {
  const key = await shop("Fault shop");
  const session = await createSession({}, { key });
  const txHash = await paySession(session);
  const l2Fault = (mode) =>
    fetch(`${chainEnv(L2_CHAIN).worker_rpc_url}/__fault`, { method: "POST", body: JSON.stringify({ mode }) });
  assert.equal((await l2Fault("http500")).status, 200);
  try {
    const answer = await check(session, txHash);
    assert.deepEqual(answer.check, { tx_hash: txHash.toLowerCase(), result: "counted" });
    assert.equal(answer.status, "detected");
  } finally {
    assert.equal((await l2Fault("ok")).status, 200);
  }
});
