// Test helpers: they take a secret test key, never a live one, even where they are on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ANY_OPTION, USD, api, assertError, createEndpoint, createSession, newAccount, randomXpub } from "../support/env.mjs";

test("test helpers refuse live keys (403) and keys that are not secret; smoke needs a key", async () => {
  const account = await newAccount({ xpub_live: await randomXpub() });
  const { sk_test: test, sk_live: live, pk_test: pk } = account.keys;
  assert.match(live, /^sk_live_/);
  const session = await createSession({ amount: USD("1.00"), ...ANY_OPTION }, { key: test });
  const endpoint = await createEndpoint("http://127.0.0.1:9/h", { key: test });
  const liveSession = `cs_live_${"A".repeat(24)}`;
  const routes = [
    [`/v1/test_helpers/checkout_sessions/${session.id}/advance`, { seconds: 60 }],
    [`/v1/test_helpers/checkout_sessions/${liveSession}/advance`, { seconds: 60 }],
    [`/v1/test_helpers/checkout_sessions/${session.id}/clone`, { count: 1 }],
    [`/v1/test_helpers/checkout_sessions/${liveSession}/clone`, { count: 10_000 }],
    [`/v1/test_helpers/checkout_sessions/${session.id}/age_events`, { seconds: 60 }],
    [`/v1/test_helpers/webhook_endpoints/${endpoint.id}/advance`, { seconds: 60 }],
    ["/v1/test_helpers/smoke", { value: "x" }],
  ];
  for (const [path, json] of routes) {
    const e = assertError(await api("POST", path, { token: live, json }), 403, "permission_error", "livemode_not_allowed");
    assert.match(e.message, /test-mode keys/, path);
    assertError(await api("POST", path, { token: pk, json }), 403, "permission_error", "secret_key_required");
    assertError(await api("POST", path, { json }), 401, "authentication_error");
  }
  // The same calls with the test key work (the session is left as it was: 60 s is nothing).
  for (const [path, json] of routes.filter(([p]) => !p.includes("cs_live_"))) {
    const res = await api("POST", path, { token: test, json });
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  }
});
