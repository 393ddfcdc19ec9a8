// The walking skeleton: a session created over the API is paid on the local chain and
// reaches `paid` through the cron watcher, with each event written exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HDNodeWallet } from "ethers";
import ethUrl from "eth-url-parser";
import { api, assertError, createSession, demo, env, eventTypes, getSession, mine, paySession, runScheduled, sessionEvents, shopperApi } from "../support/env.mjs";

const USDC = env.contracts.USDC;

test("a session has an exact quote, a derived address, an EIP-681 URI and a checkout URL", async () => {
  const s = await createSession({ metadata: { order: "1001" }, success_url: "https://shop.example/ok/{CHECKOUT_SESSION_ID}" });
  assert.match(s.id, /^cs_test_[0-9A-Za-z]{24}$/);
  assert.equal(s.object, "checkout_session");
  assert.equal(s.status, "pending");
  assert.equal(s.livemode, false);
  assert.equal(s.amount_total, "49.99");
  assert.equal(s.currency, "USD");
  assert.equal(s.selected_token, "USDC");
  assert.equal(s.chain_id, 31337);
  assert.deepEqual(s.payment_amount, { value: "49990000", formatted: "49.99", decimals: 6, token: "USDC" });
  assert.equal(s.exchange_rate, "1.00");
  assert.equal(s.confirmations_required, 2);
  assert.equal(s.success_url, `https://shop.example/ok/${s.id}`);
  assert.equal(s.url, s.checkout_url);
  assert.equal(s.checkout_url, `${env.worker_url}/c/${s.id}#${s.client_secret}`);
  assert.equal(s.version, 1);

  // The address is what an independent BIP32 implementation derives from the merchant's xpub.
  const expected = HDNodeWallet.fromExtendedKey(demo.xpub_test).deriveChild(0).deriveChild(s.derivation_index).address;
  assert.equal(s.address, expected);

  // The URI is what an independent EIP-681 parser reads back.
  const parsed = ethUrl.parse(s.payment_uri);
  assert.equal(parsed.target_address.toLowerCase(), USDC.toLowerCase());
  assert.equal(parsed.chain_id, "31337");
  assert.equal(parsed.function_name, "transfer");
  assert.equal(parsed.parameters.address, s.address);
  assert.equal(parsed.parameters.uint256, "49990000");
});

test("derivation indices are reserved one by one, so addresses never repeat", async () => {
  const a = await createSession();
  const b = await createSession();
  assert.equal(b.derivation_index, a.derivation_index + 1);
  assert.notEqual(a.address, b.address);
});

test("an exact USDC payment goes pending → detected → paid, each event once", async () => {
  const s = await createSession();
  await paySession(s);
  await runScheduled();
  let now = await getSession(s.id);
  assert.equal(now.status, "detected", JSON.stringify(now));
  assert.equal(now.amount_pending, "49990000");
  assert.equal(now.payments.length, 1);
  assert.equal(now.payments[0].status, "detected");
  assert.equal(now.payments[0].counted, true);
  assert.match(now.tx_hash, /^0x[0-9a-f]{64}$/);

  await mine(1);
  await runScheduled();
  now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_received, "49990000");
  assert.equal(now.amount_pending, "0");
  assert.equal(now.payments[0].status, "confirmed");
  assert.ok(now.paid_at);

  await runScheduled();
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.detected", "session.paid"]);
  const paid = (await sessionEvents(s.id)).find((e) => e.type === "session.paid");
  assert.equal(paid.data.object.status, "paid");
  assert.equal(paid.data.object.id, s.id);
  assert.equal(paid.data.object.client_secret, undefined, "webhook snapshots carry no client secret");
});

test("overlapping scheduled runs emit each event exactly once", async () => {
  const s = await createSession();
  await paySession(s);
  await mine(2);
  await Promise.all([runScheduled(), runScheduled(), runScheduled()]);
  await Promise.all([runScheduled(), runScheduled()]);
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.payments.length, 1, "the transfer is recorded once");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid"]);
});

test("the public view needs the client secret and hides merchant-only fields", async () => {
  const s = await createSession({ metadata: { order: "7" }, customer_id: "cus_1" });
  const path = `/v1/public/checkout_sessions/${s.id}`;
  assertError(await api("GET", path), 401, "authentication_error");
  assertError(await api("GET", path, { headers: { "kasse-client-secret": "wrong" } }), 401, "authentication_error");
  const res = await shopperApi("GET", s);
  assert.equal(res.status, 200);
  const v = res.body;
  assert.equal(v.status, "pending");
  assert.equal(v.address, s.address);
  assert.equal(v.payment_uri, s.payment_uri);
  assert.equal(v.amount_total, "49.99");
  for (const hidden of ["metadata", "customer_id", "derivation_index", "client_secret", "account_id"]) {
    assert.ok(!(hidden in v), `${hidden} must not be in the shopper view`);
  }
});

test("bad input gets a 4xx JSON error naming the parameter, never a 500", async () => {
  const key = demo.secret_key;
  const post = (body) => api("POST", "/v1/checkout_sessions", { token: key, body, headers: { "content-type": "application/json" } });
  const cases = [
    ["{not json", "invalid_json", null],
    ["", "invalid_json", null],
    [JSON.stringify({}), "parameter_missing", "amount"],
    [JSON.stringify({ amount: { value: 49.99, currency: "USD" } }), "amount_not_string", "amount.value"],
    [JSON.stringify({ amount: { value: "abc", currency: "USD" } }), "amount_invalid", "amount.value"],
    [JSON.stringify({ amount: { value: "-5", currency: "USD" } }), "amount_invalid", "amount.value"],
    [JSON.stringify({ amount: { value: "1.234", currency: "USD" } }), "amount_invalid", "amount.value"],
    [JSON.stringify({ amount: { value: "5", currency: "USD" }, colour: "red" }), "parameter_unknown", "colour"],
    [JSON.stringify({ amount: { value: "5", currency: "USD" }, chain_id: 31337, token: "DAI" }), "option_unavailable", "token"],
    [JSON.stringify({ amount: { value: "5", currency: "USD" }, chain_id: 999999, token: "USDC" }), "option_unavailable", "chain_id"],
  ];
  for (const [body, code, param] of cases) {
    const e = assertError(await post(body), 400, "invalid_request_error", code);
    assert.equal(e.param, param, body);
  }
  assertError(await api("POST", "/v1/checkout_sessions", { json: {} }), 401, "authentication_error");
  assertError(await api("POST", "/v1/checkout_sessions", { token: "sk_test_wrong", json: {} }), 401, "authentication_error");
  assertError(await api("POST", "/v1/checkout_sessions", { token: demo.publishable_key, json: {} }), 403, "permission_error");
  assertError(await api("GET", "/v1/checkout_sessions/cs_test_000000000000000000000000", { token: key }), 404, "not_found_error");
  assertError(await api("GET", "/v1/checkout_sessions/nope", { token: key }), 404, "not_found_error");
  const big = JSON.stringify({ amount: { value: "5", currency: "USD" }, description: "x".repeat(70 * 1024) });
  assertError(await post(big), 413, "invalid_request_error", "body_too_large");
});

test("the admin API creates accounts and refuses a reused wallet", async () => {
  const mnemonic = HDNodeWallet.createRandom().mnemonic.phrase;
  const xpub = HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/0'").neuter().extendedKey;
  const res = await api("POST", "/v1/admin/accounts", { token: env.admin_token, json: { display_name: "Test shop", xpub_test: xpub } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.id, /^acct_/);
  assert.match(res.body.keys.sk_test, /^sk_test_/);
  assert.match(res.body.keys.pk_test, /^pk_test_/);

  const again = await api("POST", "/v1/admin/accounts", { token: env.admin_token, json: { xpub_test: xpub } });
  assertError(again, 400, "invalid_request_error", "xpub_in_use");
  // The same wallet written at depth 4 is the same node.
  const external = HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/0'/0").neuter().extendedKey;
  assertError(await api("POST", "/v1/admin/accounts", { token: env.admin_token, json: { xpub_test: external } }), 400, "invalid_request_error", "xpub_in_use");
  assertError(await api("POST", "/v1/admin/accounts", { token: env.admin_token, json: { xpub_test: "xpub-nope" } }), 400, "invalid_request_error", "xpub_invalid");
  assertError(await api("POST", "/v1/admin/accounts", { json: { xpub_test: xpub } }), 401, "authentication_error");

  // Its key works, and sees none of the demo account's sessions.
  const other = await api("GET", `/v1/checkout_sessions/${(await createSession()).id}`, { token: res.body.keys.sk_test });
  assertError(other, 404, "not_found_error");
});
