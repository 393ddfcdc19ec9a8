// The merchant console's sign-in: a secret key traded for an HttpOnly cookie of its mode,
// stored as a hash, acting as the key on every secret-key route; ended at once by sign-out
// or by revoking the key, and after 12 idle hours. A cookie request that changes something
// must come from our own origin. Requests are made as a browser would send them: explicit
// Cookie, Origin and Sec-Fetch-Site headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { USD, api, assertError, base, createSession, d1, newAccount, randomXpub, runScheduled } from "../support/env.mjs";

const SAME_ORIGIN = { "sec-fetch-site": "same-origin" };
const IDLE = 43_200;

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const unixNow = () => Math.floor(Date.now() / 1000);

/** The console's sign-in, as its page sends it (same-origin unless `headers` say otherwise). */
const signIn = (apiKey, headers = SAME_ORIGIN) =>
  api("POST", "/v1/console/sessions", { json: { api_key: apiKey }, headers });

/** Signs in with `apiKey` and returns the cookie's mode and token. */
async function signedIn(apiKey) {
  const res = await signIn(apiKey);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const match = /^kasse_console_(test|live)=([A-Za-z0-9]+);/.exec(res.headers.get("set-cookie") || "");
  assert.ok(match, `no console cookie in ${res.headers.get("set-cookie")}`);
  return { mode: match[1], token: match[2], body: res.body };
}

/** A request of the console's page: no Authorization, its mode named, the cookie sent. */
function asConsole(method, path, session, { json, headers = {}, mode = session.mode } = {}) {
  return api(method, path, {
    json,
    headers: { "kasse-mode": mode, cookie: `kasse_console_${session.mode}=${session.token}`, ...SAME_ORIGIN, ...headers },
  });
}

/** The console session rows of an account. */
const rowsOf = (accountId) => d1(`SELECT * FROM console_sessions WHERE account_id = '${accountId}' ORDER BY created_at`);

/** A new secret key of the account's test mode (to sign in with, then revoke). */
async function newSecretKey(key) {
  const res = await api("POST", "/v1/api_keys", { token: key, json: { kind: "secret" } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

test("sign-in: 201 with the redacted key and an HttpOnly, SameSite=Strict session cookie; D1 holds only the token's hash", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const res = await signIn(key);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(res.body, {
    object: "console_session",
    account_id: account.id,
    livemode: false,
    key: `sk_test_…${key.slice(-4)}`,
    idle_timeout: IDLE,
  });
  const cookie = res.headers.get("set-cookie");
  const [, token] = /^kasse_console_test=([A-Za-z0-9]{43}); Path=\/; HttpOnly; SameSite=Strict$/.exec(cookie) || [];
  assert.ok(token, `the cookie: ${cookie} (a session cookie, not Secure over http)`);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.ok(!JSON.stringify(res.body).includes(token), "the token is in the cookie only");

  // The token is not the key, and the row holds neither: only the token's hash.
  assert.notEqual(token, key);
  assert.ok(!token.includes(key.slice(8)) && !key.includes(token));
  const rows = rowsOf(account.id);
  assert.equal(rows.length, 1);
  const [row] = rows;
  assert.equal(row.token_hash, sha256(token));
  assert.equal(row.livemode, 0);
  const keys = (await api("GET", "/v1/api_keys", { token: key })).body.data;
  assert.equal(row.key_id, keys.find((k) => k.kind === "secret" && k.redacted === res.body.key).id);
  assert.ok(Math.abs(row.last_seen_unix - unixNow()) <= 5, `last_seen_unix ${row.last_seen_unix}`);
  const stored = JSON.stringify(rows);
  assert.ok(!stored.includes(token) && !stored.includes(key), "neither the token nor the key is stored");

  // The token proves nothing as an API key.
  assertError(await api("GET", "/v1/account", { token }), 401, "authentication_error", "invalid_api_key");
  // Two sign-ins are two sessions, with two tokens.
  const again = await signedIn(key);
  assert.notEqual(again.token, token);
  assert.equal(rowsOf(account.id).length, 2);
});

test("the cookie acts as its key: the account, lists, a retrieve in one round trip; its mode only", async () => {
  const account = await newAccount({ display_name: "Cookie shop" });
  const key = account.keys.sk_test;
  const made = await createSession({ amount: USD("7.25") }, { key });
  const session = await signedIn(key);

  const me = await asConsole("GET", "/v1/account", session);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(me.body.id, account.id);
  assert.equal(me.body.livemode, false);
  assert.equal(me.body.branding.display_name, "Cookie shop");

  const list = await asConsole("GET", "/v1/checkout_sessions?limit=5", session);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.deepEqual(list.body.data.map((s) => s.id), [made.id]);
  assert.equal(list.body.data[0].amount_total, "7.25");

  // The retrieve reads the caller and the session in one batch, with the cookie as with a key.
  const one = await asConsole("GET", `/v1/checkout_sessions/${made.id}`, session);
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.equal(one.body.id, made.id);
  assert.match(one.headers.get("kasse-d1-usage"), /^round_trips=1,/, one.headers.get("kasse-d1-usage"));
  // No Kasse-Mode is test mode.
  const implicit = await api("GET", "/v1/account", { headers: { cookie: `kasse_console_test=${session.token}` } });
  assert.equal(implicit.status, 200, JSON.stringify(implicit.body));

  // Live mode without a live sign-in; a mode that is neither; no cookie; a forged one.
  const live = await asConsole("GET", "/v1/account", session, { mode: "live" });
  assertError(live, 401, "authentication_error", "console_session_ended");
  assert.equal(live.body.error.message, "Your console session has ended (signed out, expired, or its key was revoked). Sign in again.");
  const prod = await asConsole("GET", "/v1/account", session, { mode: "prod" });
  assert.equal(assertError(prod, 400, "invalid_request_error", "parameter_invalid").param, "Kasse-Mode");
  assertError(await api("GET", "/v1/account", { headers: { "kasse-mode": "test" } }), 401, "authentication_error", "console_session_ended");
  const forged = { mode: "test", token: randomBytes(32).toString("base64url").replace(/[-_]/g, "a").slice(0, 43) };
  assertError(await asConsole("GET", "/v1/account", forged), 401, "authentication_error", "console_session_ended");
  assertError(await asConsole("GET", `/v1/checkout_sessions/${made.id}`, forged), 401, "authentication_error", "console_session_ended");
  // An API client without credentials still hears about API keys.
  assertError(await api("GET", "/v1/account"), 401, "authentication_error", "invalid_api_key");
  // An Authorization header wins over a cookie.
  const pk = await api("GET", "/v1/account", { token: account.keys.pk_test, headers: { cookie: `kasse_console_test=${session.token}` } });
  assertError(pk, 403, "permission_error", "secret_key_required");

  // Another account's objects stay another account's.
  const other = await createSession({ amount: USD("1.00") }, { key: (await newAccount()).keys.sk_test });
  assertError(await asConsole("GET", `/v1/checkout_sessions/${other.id}`, session), 404, "not_found_error", "resource_missing");
});

test("test and live sign in apart: each cookie acts in its own mode only", async () => {
  const account = await newAccount({ xpub_live: await randomXpub() });
  const test = await signedIn(account.keys.sk_test);
  const live = await signedIn(account.keys.sk_live);
  assert.equal(live.mode, "live");
  assert.equal(live.body.livemode, true);
  assert.equal(live.body.key, `sk_live_…${account.keys.sk_live.slice(-4)}`);
  const both = { cookie: `kasse_console_test=${test.token}; kasse_console_live=${live.token}`, ...SAME_ORIGIN };
  for (const [mode, livemode] of [["test", false], ["live", true]]) {
    const res = await api("GET", "/v1/account", { headers: { ...both, "kasse-mode": mode } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.livemode, livemode, mode);
  }
  // A test token in the live cookie's name is no live session.
  const swapped = await api("GET", "/v1/account", { headers: { "kasse-mode": "live", cookie: `kasse_console_live=${test.token}` } });
  assertError(swapped, 401, "authentication_error", "console_session_ended");
});

test("sign-in refuses a publishable, unknown or revoked key and a request from another site, and keeps no row for them", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const spare = await newSecretKey(key);
  assert.equal((await api("POST", `/v1/api_keys/${spare.id}/revoke`, { token: key })).status, 200);

  assertError(await signIn(account.keys.pk_test), 403, "permission_error", "secret_key_required");
  assertError(await signIn(`sk_test_${"x".repeat(32)}`), 401, "authentication_error", "invalid_api_key");
  assertError(await signIn("hello"), 401, "authentication_error", "invalid_api_key");
  assertError(await signIn(spare.key), 401, "authentication_error", "invalid_api_key");
  for (const [json, code] of [[{}, "parameter_missing"], [{ api_key: "" }, "parameter_missing"], [{ api_key: 7 }, "parameter_invalid"]]) {
    const res = await api("POST", "/v1/console/sessions", { json, headers: SAME_ORIGIN });
    assert.equal(assertError(res, 400, "invalid_request_error", code).param, "api_key");
  }
  for (const headers of [{}, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "https://evil.example" }, { origin: "null" }]) {
    assertError(await signIn(key, headers), 403, "permission_error", "cross_site_request");
  }
  assert.equal(rowsOf(account.id).length, 0, "no refused sign-in left a row");
  // Without Sec-Fetch-Site, our own Origin is enough.
  assert.equal((await signIn(key, { origin: base })).status, 201);
  assert.equal(rowsOf(account.id).length, 1);
});

test("revoking the key ends its console sessions at once; other keys' sessions go on", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const spare = await newSecretKey(key);
  const doomed = await signedIn(spare.key);
  const kept = await signedIn(key);
  assert.equal((await asConsole("GET", "/v1/api_keys", doomed)).status, 200);

  const revoked = await api("POST", `/v1/api_keys/${spare.id}/revoke`, { token: key });
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  for (const [method, path] of [["GET", "/v1/api_keys"], ["GET", "/v1/payment_links"], ["POST", "/v1/payment_links"]]) {
    const res = await asConsole(method, path, doomed, method === "POST" ? { json: { amount: USD("1.00") } } : {});
    assertError(res, 401, "authentication_error", "console_session_ended");
  }
  assert.equal((await api("GET", "/v1/payment_links", { token: key })).body.data.length, 0, "the refused POST made nothing");
  assert.equal((await asConsole("GET", "/v1/api_keys", kept)).status, 200);
  // The console revokes a key with its own cookie, then it is signed out too.
  const own = await api("GET", "/v1/api_keys", { token: key });
  const keyId = own.body.data.find((k) => k.redacted === `sk_test_…${key.slice(-4)}`).id;
  const other = await newSecretKey(key);
  const selfRevoke = await asConsole("POST", `/v1/api_keys/${keyId}/revoke`, kept);
  assert.equal(selfRevoke.status, 200, JSON.stringify(selfRevoke.body));
  assert.ok(selfRevoke.body.revoked_at);
  assertError(await asConsole("GET", "/v1/api_keys", kept), 401, "authentication_error", "console_session_ended");
  assert.equal((await api("GET", "/v1/api_keys", { token: other.key })).status, 200);
});

test("sign-out ends the session at once and clears the cookie; it answers 200 without one, and only to our own origin", async () => {
  const account = await newAccount();
  const session = await signedIn(account.keys.sk_test);
  const signOut = (headers) => api("DELETE", "/v1/console/sessions/current", {
    headers: { "kasse-mode": "test", cookie: `kasse_console_test=${session.token}`, ...headers },
  });
  assertError(await signOut({ "sec-fetch-site": "cross-site" }), 403, "permission_error", "cross_site_request");
  assertError(await signOut({ origin: "https://evil.example" }), 403, "permission_error", "cross_site_request");
  assert.equal((await asConsole("GET", "/v1/account", session)).status, 200, "a refused sign-out ended nothing");

  const out = await signOut(SAME_ORIGIN);
  assert.equal(out.status, 200, JSON.stringify(out.body));
  assert.deepEqual(out.body, { object: "console_session", livemode: false, signed_out: true });
  assert.equal(out.headers.get("set-cookie"), "kasse_console_test=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  assert.equal(rowsOf(account.id).length, 0, "the row is gone");
  assertError(await asConsole("GET", "/v1/account", session), 401, "authentication_error", "console_session_ended");

  const again = await api("DELETE", "/v1/console/sessions/current", { headers: { ...SAME_ORIGIN, "kasse-mode": "live" } });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.deepEqual(again.body, { object: "console_session", livemode: true, signed_out: true });
  assert.equal(again.headers.get("set-cookie"), "kasse_console_live=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  const bad = await api("DELETE", "/v1/console/sessions/current", { headers: { ...SAME_ORIGIN, "kasse-mode": "both" } });
  assert.equal(assertError(bad, 400, "invalid_request_error", "parameter_invalid").param, "Kasse-Mode");
});

test("a cookie request that changes something from another site is refused and changes nothing; from our own page it works", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const session = await signedIn(key);
  const endpoint = await api("POST", "/v1/webhook_endpoints", { token: key, json: { url: "http://127.0.0.1:9/h", events: ["*"] } });
  assert.equal(endpoint.status, 200);

  // Another site, a typed URL, a sandboxed page, and a request that says nothing of where it
  // comes from ("" leaves a header out).
  const foreign = [
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site", origin: base },
    { "sec-fetch-site": "none" },
    { "sec-fetch-site": "", origin: "https://evil.example" },
    { "sec-fetch-site": "", origin: "null" },
    { "sec-fetch-site": "" },
  ];
  const from = (headers) => Object.fromEntries(Object.entries({ ...SAME_ORIGIN, ...headers }).filter(([, v]) => v !== ""));
  const send = (method, path, headers, json) => api(method, path, {
    json,
    headers: { "kasse-mode": "test", cookie: `kasse_console_test=${session.token}`, ...from(headers) },
  });
  for (const headers of foreign) {
    assertError(await send("POST", "/v1/payment_links", headers, { amount: USD("5.00") }), 403, "permission_error", "cross_site_request");
    assertError(await send("DELETE", `/v1/webhook_endpoints/${endpoint.body.id}`, headers), 403, "permission_error", "cross_site_request");
    assertError(await send("POST", "/v1/api_keys", headers, { kind: "secret" }), 403, "permission_error", "cross_site_request");
  }
  const links = await api("GET", "/v1/payment_links?limit=100", { token: key });
  assert.deepEqual(links.body.data, [], "no link was made");
  assert.equal((await api("GET", `/v1/webhook_endpoints/${endpoint.body.id}`, { token: key })).status, 200, "the endpoint stands");
  assert.equal((await api("GET", "/v1/api_keys", { token: key })).body.data.length, 2, "no key was made");

  // Reading needs no origin check (a browser sends no SameSite=Strict cookie cross-site, and
  // no answer is readable cross-origin without CORS).
  assert.equal((await send("GET", "/v1/payment_links", { "sec-fetch-site": "cross-site" })).status, 200);

  // From our own page: Sec-Fetch-Site same-origin, or our Origin without it.
  const made = await send("POST", "/v1/payment_links", {}, { amount: USD("5.00") });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const byOrigin = await send("POST", "/v1/payment_links", { "sec-fetch-site": "", origin: base }, { amount: USD("6.00") });
  assert.equal(byOrigin.status, 200, JSON.stringify(byOrigin.body));
  const listed = (await api("GET", "/v1/payment_links?limit=100", { token: key })).body.data;
  assert.deepEqual(listed.map((l) => l.id).sort(), [made.body.id, byOrigin.body.id].sort());
  assert.deepEqual(listed.map((l) => l.amount_total).sort(), ["5.00", "6.00"]);
});

test("no CORS preflight lets another site call the console's routes or a secret-key route", async () => {
  for (const path of ["/v1/console/sessions", "/v1/console/sessions/current", "/v1/payment_links"]) {
    const res = await fetch(base + path, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, kasse-mode" },
    });
    await res.text();
    assert.ok(res.status >= 400, `${path}: ${res.status}`);
    assert.equal(res.headers.get("access-control-allow-origin"), null, path);
    assert.equal(res.headers.get("access-control-allow-credentials"), null, path);
  }
});

test("12 idle hours end a session; a request before then moves it on, at most once a minute; the cron deletes idle rows", async () => {
  const account = await newAccount();
  const session = await signedIn(account.keys.sk_test);
  const hash = sha256(session.token);
  const lastSeen = () => d1(`SELECT last_seen_unix FROM console_sessions WHERE token_hash = '${hash}'`)[0]?.last_seen_unix;
  const signedInAt = lastSeen();

  // A request within the minute does not write.
  assert.equal((await asConsole("GET", "/v1/account", session)).status, 200);
  assert.equal(lastSeen(), signedInAt);

  // Used 11 h 58 min ago: still alive, and this request moves it to now.
  d1(`UPDATE console_sessions SET last_seen_unix = last_seen_unix - ${IDLE - 120} WHERE token_hash = '${hash}'`);
  assert.equal((await asConsole("GET", "/v1/account", session)).status, 200);
  assert.ok(lastSeen() >= signedInAt, `moved on to ${lastSeen()}`);

  // Idle for 12 hours and a second: ended, for reads and writes alike.
  d1(`UPDATE console_sessions SET last_seen_unix = ${unixNow() - IDLE - 1} WHERE token_hash = '${hash}'`);
  assertError(await asConsole("GET", "/v1/account", session), 401, "authentication_error", "console_session_ended");
  assertError(await asConsole("POST", "/v1/payment_links", session, { json: { amount: USD("1.00") } }), 401, "authentication_error", "console_session_ended");
  assert.ok(lastSeen() < unixNow() - IDLE, "an ended session is not moved on");

  await runScheduled();
  assert.equal(lastSeen(), undefined, "the cron deleted the idle row");
  const fresh = await signedIn(account.keys.sk_test);
  await runScheduled();
  assert.equal(rowsOf(account.id).map((r) => r.token_hash).join(), sha256(fresh.token), "a live session stays");
});

test("Idempotency-Key works with the cookie: the same answer again, sealed under the console's token", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const session = await signedIn(key);
  const idem = `console-${randomBytes(8).toString("hex")}`;
  const create = (s) => asConsole("POST", "/v1/payment_links", s, { json: { amount: USD("9.99") }, headers: { "idempotency-key": idem } });

  const first = await create(session);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.headers.get("idempotent-replayed"), null);
  const again = await create(session);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(again.body, first.body);
  assert.equal((await api("GET", "/v1/payment_links?limit=100", { token: key })).body.data.length, 1, "made once");

  // The answer is sealed under this console token: the same key space as the secret key
  // (a retry never runs twice), but neither the key nor another sign-in can open it.
  const [row] = d1(`SELECT answer, response_body FROM idempotency_keys WHERE key = '${idem}'`);
  assert.equal(row.answer, "sealed");
  assert.ok(!row.response_body.includes(first.body.id), "no plain text at rest");
  const byKey = await api("POST", "/v1/payment_links", { token: key, json: { amount: USD("9.99") }, headers: { "idempotency-key": idem } });
  assertError(byKey, 409, "idempotency_error", "idempotency_replay_unavailable");
  assertError(await create(await signedIn(key)), 409, "idempotency_error", "idempotency_replay_unavailable");
  assert.equal((await api("GET", "/v1/payment_links?limit=100", { token: key })).body.data.length, 1, "still once");
});
