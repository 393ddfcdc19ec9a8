// The on-demand check: payments seen in seconds without waiting for the cron.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, createSession, demo, eventTypes, localChain, mine, paySession, shopperApi, sleep } from "../support/env.mjs";

test("a public check with the tx hash detects the payment at once, and never moves the cursor", async () => {
  const s = await createSession();
  const { cursor } = await localChain();
  const hash = await paySession(s);
  const res = await shopperApi("POST", s, "/check", { json: { tx_hash: hash } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "detected");
  assert.equal(res.body.object, "checkout_session.shopper_view");
  assert.deepEqual(res.body.confirmations, { current: 1, required: 2 });
  assert.equal((await localChain()).cursor, cursor, "a check never moves the chain cursor");

  await mine(1);
  await sleep(2100); // one check per 2 s per session
  const again = await api("POST", `/v1/checkout_sessions/${s.id}/check`, { token: demo.secret_key, json: {} });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.status, "paid");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.detected", "session.paid"]);
});

test("a check without a hash scans recent blocks for this address", async () => {
  const s = await createSession();
  await paySession(s);
  await mine(1);
  const res = await api("POST", `/v1/checkout_sessions/${s.id}/check`, { token: demo.secret_key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "paid");
});

test("an unknown or foreign hash changes nothing; bad hashes and bursts are refused", async () => {
  const s = await createSession();
  const other = await createSession();
  const foreign = await paySession(other); // a real transfer, to another address
  const check = (body) => api("POST", `/v1/checkout_sessions/${s.id}/check`, { token: demo.secret_key, json: body });

  const unknown = await check({ tx_hash: "0x" + "ab".repeat(32) });
  assert.equal(unknown.status, 200);
  assert.equal(unknown.body.status, "pending");
  assert.equal(unknown.body.payments.length, 0);

  const burst = await check({ tx_hash: foreign });
  assertError(burst, 429, "rate_limit_error", "rate_limited");
  assert.equal(burst.headers.get("retry-after"), "2");

  await sleep(2100);
  const wrongAddress = await check({ tx_hash: foreign });
  assert.equal(wrongAddress.status, 200);
  assert.equal(wrongAddress.body.payments.length, 0, "a transfer to another address never counts");

  for (const bad of ["0x1234", "nothex".padEnd(66, "z"), 42]) {
    const e = assertError(await check({ tx_hash: bad }), 400, "invalid_request_error", "parameter_invalid");
    assert.equal(e.param, "tx_hash");
  }
  assertError(await check({ hash: "0x" }), 400, "invalid_request_error", "parameter_unknown");
  assertError(await api("POST", `/v1/public/checkout_sessions/${s.id}/check`, { json: {} }), 401, "authentication_error");
});
