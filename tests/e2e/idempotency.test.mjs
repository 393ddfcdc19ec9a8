// Idempotency-Key on POST (spec §7): one effect per key, replays of the same request,
// 409 for another request under the same key or while the first is still running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { api, assertError, newAccount } from "../support/env.mjs";

const body = { amount: { value: "12.34", currency: "USD" }, chain_id: 31337, token: "USDC" };

async function sessions(key) {
  const res = await api("GET", "/v1/checkout_sessions?limit=100", { token: key });
  assert.equal(res.status, 200);
  return res.body.data;
}

test("a repeated request with the same key replays the first answer and creates nothing", async () => {
  const key = (await newAccount()).keys.sk_test;
  const idem = randomUUID();
  const first = await api("POST", "/v1/checkout_sessions", { token: key, json: body, headers: { "idempotency-key": idem } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.headers.get("idempotent-replayed"), null);
  const again = await api("POST", "/v1/checkout_sessions", { token: key, json: body, headers: { "idempotency-key": idem } });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(again.body, first.body, "the very same answer, byte for byte");
  assert.equal((await sessions(key)).length, 1);

  // Another request under the same key is refused; a new key is a new session.
  const other = await api("POST", "/v1/checkout_sessions", { token: key, json: { ...body, description: "other" }, headers: { "idempotency-key": idem } });
  assertError(other, 409, "idempotency_error", "idempotency_key_reused");
  const fresh = await api("POST", "/v1/checkout_sessions", { token: key, json: body, headers: { "idempotency-key": randomUUID() } });
  assert.notEqual(fresh.body.id, first.body.id);
  assert.equal((await sessions(key)).length, 2);
});

test("concurrent duplicates: exactly one session; the others wait (409) or replay it", async () => {
  const key = (await newAccount()).keys.sk_test;
  const idem = randomUUID();
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => api("POST", "/v1/checkout_sessions", { token: key, json: body, headers: { "idempotency-key": idem } })),
  );
  const ok = answers.filter((a) => a.status === 200);
  const busy = answers.filter((a) => a.status === 409);
  assert.equal(ok.length + busy.length, answers.length, JSON.stringify(answers.map((a) => a.status)));
  assert.ok(ok.length >= 1);
  assert.equal(new Set(ok.map((a) => a.body.id)).size, 1, "every success is the one session");
  for (const b of busy) {
    assert.equal(b.body.error.code, "idempotency_in_progress");
    assert.equal(b.headers.get("retry-after"), "1");
  }
  assert.equal((await sessions(key)).length, 1);
  const later = await api("POST", "/v1/checkout_sessions", { token: key, json: body, headers: { "idempotency-key": idem } });
  assert.equal(later.body.id, ok[0].body.id);
});

test("4xx answers are stored and replayed; keys are per account; bad keys are refused", async () => {
  const a = (await newAccount()).keys.sk_test;
  const b = (await newAccount()).keys.sk_test;
  const idem = randomUUID();
  const bad = { amount: { value: "1.234", currency: "USD" } };
  const first = await api("POST", "/v1/checkout_sessions", { token: a, json: bad, headers: { "idempotency-key": idem } });
  assertError(first, 400, "invalid_request_error", "amount_invalid");
  const replay = await api("POST", "/v1/checkout_sessions", { token: a, json: bad, headers: { "idempotency-key": idem } });
  assert.equal(replay.status, 400);
  assert.equal(replay.headers.get("idempotent-replayed"), "true");

  // The same key in another account is that account's own.
  const elsewhere = await api("POST", "/v1/checkout_sessions", { token: b, json: body, headers: { "idempotency-key": idem } });
  assert.equal(elsewhere.status, 200);

  assertError(await api("POST", "/v1/checkout_sessions", { token: a, json: body, headers: { "idempotency-key": "x".repeat(256) } }), 400, "invalid_request_error", "idempotency_key_invalid");
  // A bad API key is not an idempotent request: it is a 401 every time.
  assertError(await api("POST", "/v1/checkout_sessions", { token: "sk_test_nope", json: body, headers: { "idempotency-key": idem } }), 401, "authentication_error");
});

test("cancel honours the key too", async () => {
  const key = (await newAccount()).keys.sk_test;
  const s = (await api("POST", "/v1/checkout_sessions", { token: key, json: body })).body;
  const idem = randomUUID();
  const first = await api("POST", `/v1/checkout_sessions/${s.id}/cancel`, { token: key, headers: { "idempotency-key": idem } });
  assert.equal(first.body.status, "canceled");
  const again = await api("POST", `/v1/checkout_sessions/${s.id}/cancel`, { token: key, headers: { "idempotency-key": idem } });
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(again.body, first.body);
});
