// Modes are sealed: a test key reads and changes only test mode (settings, xpub, keys,
// objects), a live key only live mode, and the operator alone registers a mode's xpub on an
// existing account. Every object reads the settings of its own mode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import {
  ANY_OPTION, USD, api, assertError, base, createLink, createSession, d1, env, newAccount, randomXpub, shopperApi, shopperView,
} from "../support/env.mjs";

const spec = JSON.parse(readFileSync(new URL("../../www/openapi.json", import.meta.url), "utf8"));

const addXpub = (id, json, token = env.admin_token) => api("POST", `/v1/admin/accounts/${id}/xpubs`, { token, json });
const count = (sql) => d1(sql)[0].n;
const liveRows = (table, id) => count(`SELECT COUNT(*) AS n FROM ${table} WHERE account_id = '${id}' AND livemode = 1`);

/** A base62 id as the worker makes them (prefix + 24 characters). */
function fakeId(prefix) {
  const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return prefix + [...randomBytes(24)].map((b) => chars[b % 62]).join("");
}

/** The settings part of an account object. */
const settingsOf = (a) => ({
  session_ttl_secs: a.session_ttl_secs,
  late_grace_secs: a.late_grace_secs,
  underpayment_tolerance_bps: a.underpayment_tolerance_bps,
  native_quote_secs: a.native_quote_secs,
  extra_confirmations: a.extra_confirmations,
  enabled_options: a.enabled_options,
  allowed_origins: a.allowed_origins,
  branding: a.branding,
  refund_requests: a.refund_requests,
});

async function preflightAllows(path, origin) {
  const res = await fetch(base + path, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
  return res.headers.get("access-control-allow-origin") === origin;
}

test("a test key cannot register a live xpub: 403 naming xpub_live, and nothing is written", async () => {
  const account = await newAccount({ display_name: "Test-only shop" });
  const key = account.keys.sk_test;
  const xpub = await randomXpub();
  const res = await api("POST", "/v1/account", { token: key, json: { xpub_live: xpub, session_ttl_secs: 600 } });
  assert.equal(assertError(res, 403, "permission_error", "livemode_mismatch").param, "xpub_live");
  assert.ok(!JSON.stringify(res.body).includes("sk_live"), "no live key in the answer");

  assert.equal((await api("GET", "/v1/account", { token: key })).body.session_ttl_secs, 1800, "the settings sent with it were not written either");
  assert.equal(liveRows("account_xpubs", account.id), 0, "no live xpub stored");
  assert.equal(liveRows("api_keys", account.id), 0, "no live key issued");

  // The xpub stayed free: the operator registers it, and only now do live keys exist.
  const added = await addXpub(account.id, { mode: "live", xpub });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.equal(liveRows("api_keys", account.id), 2);
});

test("the operator registers a mode's xpub once: its keys once, then 409; 404, 400 and 401 otherwise", async () => {
  const account = await newAccount();
  const xpub = await randomXpub();
  const first = await addXpub(account.id, { mode: "live", xpub });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.id, account.id);
  assert.equal(first.body.livemode, true);
  assert.equal(first.body.xpub, xpub);
  assert.deepEqual(Object.keys(first.body.keys).sort(), ["pk_live", "sk_live"]);
  assert.match(first.body.keys.sk_live, /^sk_live_[A-Za-z0-9]{32}$/);
  assert.match(first.body.keys.pk_live, /^pk_live_[A-Za-z0-9]{32}$/);

  // The keys work, in live mode only.
  const got = await api("GET", "/v1/account", { token: first.body.keys.sk_live });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(got.body.livemode, true);
  assert.equal(got.body.xpub_live, xpub);
  assert.equal(got.body.addresses_issued_live, 0);
  assert.ok(!("xpub_test" in got.body) && !("addresses_issued_test" in got.body), "a live key sees nothing of test mode");
  const testView = (await api("GET", "/v1/account", { token: account.keys.sk_test })).body;
  assert.ok(!JSON.stringify(testView).includes(xpub), "the test key never sees the live xpub");

  // Once per mode: the same xpub or another, the keys are never shown again.
  for (const [mode, again] of [["live", xpub], ["live", await randomXpub()], ["test", await randomXpub()]]) {
    const res = await addXpub(account.id, { mode, xpub: again });
    const e = assertError(res, 409, "invalid_request_error", "xpub_immutable");
    assert.equal(e.param, "xpub");
    assert.ok(!JSON.stringify(res.body).includes("sk_"), "no keys in a refusal");
  }
  assert.equal(liveRows("api_keys", account.id), 2, "no second set of live keys");

  const other = await newAccount();
  const otherTest = (await api("GET", "/v1/account", { token: other.keys.sk_test })).body.xpub_test;
  const rows = [
    [{ mode: "live", xpub: "xpub123" }, 400, "xpub", "xpub_invalid"],
    [{ mode: "live", xpub }, 400, "xpub", "xpub_in_use"], // registered to the first account
    [{ mode: "live", xpub: otherTest }, 400, "xpub", "xpub_in_use"], // its own test wallet
    [{ mode: "prod", xpub: await randomXpub() }, 400, "mode", "parameter_invalid"],
    [{ mode: true, xpub: await randomXpub() }, 400, "mode", "parameter_invalid"],
    [{ xpub: await randomXpub() }, 400, "mode", "parameter_missing"],
    [{ mode: "live" }, 400, "xpub", "parameter_missing"],
    [{ mode: "live", xpub: 7 }, 400, "xpub", "parameter_invalid"],
    [{ mode: "live", xpub: await randomXpub(), display_name: "x" }, 400, "display_name", "parameter_unknown"],
  ];
  for (const [json, status, param, code] of rows) {
    const e = assertError(await addXpub(other.id, json), status, "invalid_request_error", code);
    assert.equal(e.param, param, JSON.stringify(json));
  }
  assertError(await addXpub("acct_nope00000000000000000000", { mode: "live", xpub: await randomXpub() }), 404, "not_found_error");
  assertError(await addXpub(other.id, { mode: "live", xpub: await randomXpub() }, other.keys.sk_test), 401, "authentication_error");
  assertError(await addXpub(other.id, { mode: "live", xpub: await randomXpub() }, null), 401, "authentication_error");
  assert.equal(liveRows("account_xpubs", other.id), 0, "no refusal wrote anything");
});

test("settings are per mode: a test key's change leaves live mode alone, and each object reads its own mode's", async (t) => {
  const account = await newAccount({ display_name: "Two modes", xpub_live: await randomXpub() });
  const { sk_test: testKey, sk_live: liveKey } = account.keys;
  const defaults = {
    session_ttl_secs: 1800,
    late_grace_secs: 86_400,
    underpayment_tolerance_bps: 0,
    native_quote_secs: 1800,
    extra_confirmations: {},
    enabled_options: [],
    allowed_origins: [],
    branding: { display_name: "Two modes", logo_url: null, accent_color: null },
    refund_requests: false,
  };
  const testSettings = {
    session_ttl_secs: 600,
    late_grace_secs: 604_800,
    underpayment_tolerance_bps: 1000,
    native_quote_secs: 120,
    extra_confirmations: { 31337: 3 },
    enabled_options: ["31337:USDC"],
    allowed_origins: ["https://test.example"],
    branding: { display_name: "Test face", logo_url: null, accent_color: "#111111" },
    refund_requests: true,
  };
  const changed = await api("POST", "/v1/account", { token: testKey, json: testSettings });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.equal(changed.body.livemode, false);
  assert.deepEqual(settingsOf(changed.body), testSettings);

  const live = async () => (await api("GET", "/v1/account", { token: liveKey })).body;
  assert.deepEqual(settingsOf(await live()), defaults, "live mode kept every setting");
  // A live key's update starts from the live settings (what its sessions are created
  // with), so an empty one writes back live defaults, not the test key's values.
  const empty = await api("POST", "/v1/account", { token: liveKey, json: {} });
  assert.equal(empty.status, 200, JSON.stringify(empty.body));
  assert.deepEqual(settingsOf(await live()), defaults);

  const liveSettings = { session_ttl_secs: 900, late_grace_secs: 3600, allowed_origins: ["https://live.example"], branding: { display_name: "Live face" } };
  assert.equal((await api("POST", "/v1/account", { token: liveKey, json: liveSettings })).status, 200);
  const testNow = (await api("GET", "/v1/account", { token: testKey })).body;
  assert.deepEqual(settingsOf(testNow), testSettings, "a live change leaves test mode alone");

  // A test session takes the test settings: TTL, grace, options, origins, branding.
  const s = await createSession({ amount: USD("5.00"), ...ANY_OPTION }, { key: testKey });
  assert.equal(Date.parse(s.expires_at) - Date.parse(s.created_at), 600_000);
  assert.equal(Date.parse(s.late_until) - Date.parse(s.expires_at), 604_800_000);
  assert.deepEqual(s.supported_tokens.map((o) => o.token), ["USDC"]);
  const view = await shopperView(s);
  assert.equal(view.branding.display_name, "Test face");
  const sessionPath = `/v1/public/checkout_sessions/${s.id}/select`;
  assert.ok(await preflightAllows(sessionPath, "https://test.example"));
  assert.ok(!(await preflightAllows(sessionPath, "https://live.example")), "live origins are not a test session's");
  // Its shopper's refund request reads the test setting (on), not live's (off): refused for
  // having nothing to refund, not for the shop taking no requests.
  const requestPath = `/v1/public/checkout_sessions/${s.id}/refund_request`;
  const asked = await shopperApi("POST", s, "/refund_request", { json: { address: "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f" } });
  assert.match(assertError(asked, 409, "invalid_request_error", "refund_not_available").message, /nothing to refund/);
  assert.ok(await preflightAllows(requestPath, "https://test.example"));
  assert.ok(!(await preflightAllows(requestPath, "https://live.example")));

  // Payment links: each page and each start answers with its own mode's settings.
  const link = (key) => createLink({ amount: USD("5.00"), success_url: "https://shop.example/ok" }, { key });
  for (const [mode, key, own, other] of [
    ["test", testKey, ["Test face", "https://test.example"], ["Live face", "https://live.example"]],
    ["live", liveKey, ["Live face", "https://live.example"], ["Test face", "https://test.example"]],
  ]) {
    const l = await link(key);
    assert.equal(l.livemode, mode === "live");
    const page = await (await fetch(`${base}/l/${l.id}`)).text();
    assert.ok(page.includes(own[0]), `${mode} link page shows ${own[0]}`);
    assert.ok(!page.includes(other[0]), `${mode} link page never shows ${other[0]}`);
    const start = `/v1/public/payment_links/${l.id}/sessions`;
    assert.ok(await preflightAllows(start, own[1]), `${mode} link allows ${own[1]}`);
    assert.ok(!(await preflightAllows(start, other[1])), `${mode} link refuses ${other[1]}`);
  }

  // A live session takes the live settings. It needs a served live chain; the test stack
  // serves only the local (test) chain, so there live creation is refused for want of an
  // option, and this part runs wherever a live chain is configured.
  const ls = await api("POST", "/v1/checkout_sessions", { token: liveKey, json: { amount: USD("5.00"), success_url: "https://shop.example/ok" } });
  if (ls.status === 200) {
    assert.equal(ls.body.livemode, true);
    assert.equal(Date.parse(ls.body.expires_at) - Date.parse(ls.body.created_at), 900_000);
    assert.equal(Date.parse(ls.body.late_until) - Date.parse(ls.body.expires_at), 3_600_000);
  } else {
    const e = assertError(ls, ls.status, ls.body?.error?.type);
    assert.ok(["no_payment_options", "price_unavailable"].includes(e.code), JSON.stringify(ls.body));
    t.diagnostic("no live chain served: live settings were checked through the live key and live links");
  }
});

test("every account has its settings in both modes, and the migration copies existing ones into both", async () => {
  // On the running stack: each account created has exactly one settings row per mode.
  const odd = d1("SELECT a.id FROM accounts a WHERE (SELECT COUNT(*) FROM account_settings s WHERE s.account_id = a.id AND s.livemode IN (0, 1)) <> 2");
  assert.deepEqual(odd, []);

  // The migration itself, on a D1 of the schema before it (workerd's SQLite, in-process).
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({ modules: true, script: "export default { fetch() { return new Response(null) } }", d1Databases: ["DB"] });
  try {
    const db = await mf.getD1Database("DB");
    const dir = new URL("../../worker/migrations/", import.meta.url);
    const apply = async (file) => {
      const sql = readFileSync(new URL(file, dir), "utf8").replace(/--[^\n]*/g, "");
      const statements = sql.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter(Boolean);
      await db.batch(statements.map((s) => db.prepare(s)));
    };
    const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    const at = files.findIndex((f) => f.startsWith("0008_"));
    assert.ok(at > 0, "the settings migration exists");
    for (const f of files.slice(0, at)) await apply(f);
    const custom = JSON.stringify({ session_ttl_secs: 600, underpayment_tolerance_bps: 25, branding: { display_name: "Old shop" } });
    await db.batch([
      db.prepare("INSERT INTO accounts (id, settings, created_at, updated_at) VALUES ('acct_a', ?1, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')").bind(custom),
      db.prepare("INSERT INTO accounts (id, settings, created_at, updated_at) VALUES ('acct_b', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"),
    ]);
    await apply(files[at]);
    const rows = (await db.prepare("SELECT account_id, livemode, settings, updated_at FROM account_settings ORDER BY account_id, livemode").all()).results;
    assert.deepEqual(rows, [
      { account_id: "acct_a", livemode: 0, settings: custom, updated_at: "2026-02-01T00:00:00Z" },
      { account_id: "acct_a", livemode: 1, settings: custom, updated_at: "2026-02-01T00:00:00Z" },
      { account_id: "acct_b", livemode: 0, settings: "{}", updated_at: "2026-01-01T00:00:00Z" },
      { account_id: "acct_b", livemode: 1, settings: "{}", updated_at: "2026-01-01T00:00:00Z" },
    ]);
    const columns = (await db.prepare("PRAGMA table_info(accounts)").all()).results.map((c) => c.name);
    assert.ok(!columns.includes("settings"), "no account-wide copy is left to read by mistake");
    for (const f of files.slice(at + 1)) await apply(f);
  } finally {
    await mf.dispose();
  }
});

/** Every (method, path, operation) of the OpenAPI document that a secret key may call. */
const secretRoutes = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method, op]) => ["get", "post", "delete"].includes(method) && (op.security || []).some((s) => "secretKey" in s))
    .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);

/**
 * A live session and one of its events. The test stack serves no live chain, so the live
 * key cannot create one: a test session is copied in D1 as a live one of the same account
 * (new id, address and client secret), with its `session.created` event.
 */
async function liveSessionWithEvent(account) {
  const from = (await createSession({ amount: USD("5.00"), ...ANY_OPTION }, { key: account.keys.sk_test })).id;
  const id = fakeId("cs_live_");
  const event = fakeId("evt_");
  const address = `0x${randomBytes(20).toString("hex")}`;
  d1(`INSERT INTO checkout_sessions (id, account_id, livemode, status, version, write_token, payment_link, address, customer_email, funded, data, created_at, created_unix, updated_at)
      SELECT '${id}', account_id, 1, status, version, write_token, NULL, '${address}', customer_email, funded,
             json_set(data, '$.id', '${id}', '$.livemode', json('true'), '$.address', '${address}', '$.client_secret', '${id}_secret_${fakeId("")}'),
             created_at, created_unix, updated_at
      FROM checkout_sessions WHERE id = '${from}';
      INSERT INTO events (id, account_id, livemode, type, session_id, session_version, body, created_at, created_unix)
      SELECT '${event}', account_id, 1, type, '${id}', session_version,
             json_set(body, '$.id', '${event}', '$.livemode', json('true'), '$.data.object.id', '${id}', '$.data.object.livemode', json('true')),
             created_at, created_unix
      FROM events WHERE session_id = '${from}' AND type = 'session.created'`);
  // The copies are real live objects: the live key sees them.
  const session = await api("GET", `/v1/checkout_sessions/${id}`, { token: account.keys.sk_live });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  assert.equal(session.body.livemode, true);
  const got = await api("GET", `/v1/events/${event}`, { token: account.keys.sk_live });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  return { session: id, event };
}

/** A live sweep of `account`, reported on Ethereum: written in D1, as the test stack serves no
 * live chain to report it on. It stays pending (no run reads chain 1 here). */
function liveSweepOf(account) {
  const id = fakeId("sw_");
  const tx_hash = `0x${randomBytes(32).toString("hex")}`;
  d1(`INSERT INTO sweeps (id, account_id, livemode, chain_id, tx_hash, status, created_at, created_unix, updated_at)
      VALUES ('${id}', '${account.id}', 1, 1, '${tx_hash}', 'pending', '2026-11-30T00:00:00Z', 1796083200, '2026-11-30T00:00:00Z')`);
  return { id, tx_hash };
}

/** A live refund of `session` (live) waiting for its address, written in D1 (no live chain
 * pays the session here). */
function liveRefundOf(account, session) {
  const id = fakeId("re_live_");
  d1(`INSERT INTO refunds (id, account_id, livemode, session_id, chain_id, token, contract_address, decimals, amount, status,
        requested_by, claim_secret, created_block, created_at, created_unix, updated_at)
      VALUES ('${id}', '${account.id}', 1, '${session}', 1, 'USDC', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', 6, '1000000',
        'requires_address', 'merchant', '${fakeId("")}', 1, '2026-11-30T00:00:00Z', 1796083200, '2026-11-30T00:00:00Z')`);
  return id;
}

test("isolation table: on every secret-key route a test key never reads or changes anything live", async () => {
  const liveXpub = await randomXpub();
  const account = await newAccount({ display_name: "Sealed", xpub_live: liveXpub });
  const { sk_test: testKey, sk_live: liveKey } = account.keys;
  const made = async (path, json) => {
    const res = await api("POST", path, { token: liveKey, json });
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.livemode, true);
    return res.body;
  };
  const liveLink = await made("/v1/payment_links", { amount: USD("5.00"), success_url: "https://shop.example/ok" });
  const liveEndpoint = await made("/v1/webhook_endpoints", { url: "https://shop.example/live-hooks", events: ["*"] });
  const liveApiKey = await made("/v1/api_keys", { kind: "publishable" });
  await api("POST", "/v1/account", { token: liveKey, json: { session_ttl_secs: 900, allowed_origins: ["https://live.example"] } });
  const { session: liveSession, event: liveEvent } = await liveSessionWithEvent(account);
  const liveSweep = liveSweepOf(account);
  const liveRefund = liveRefundOf(account, liveSession);

  const liveIds = {
    "/v1/checkout_sessions/{id}": liveSession,
    "/v1/test_helpers/checkout_sessions/{id}": liveSession,
    "/v1/payment_links/{id}": liveLink.id,
    "/v1/api_keys/{id}": liveApiKey.id,
    "/v1/webhook_endpoints/{id}": liveEndpoint.id,
    "/v1/test_helpers/webhook_endpoints/{id}": liveEndpoint.id,
    "/v1/events/{id}": liveEvent,
    "/v1/sweeps/{id}": liveSweep.id,
    "/v1/refunds/{id}": liveRefund,
  };
  const secrets = [liveSession, liveEvent, liveSweep.id, liveRefund, liveSweep.tx_hash, liveLink.id, liveEndpoint.id, liveApiKey.id, liveXpub, liveKey, account.keys.pk_live, liveEndpoint.secret].filter(Boolean);
  /** An answer to a test key: nothing of live mode in it (a refusal may echo the id asked for). */
  const noLive = (res, what) => {
    const text = JSON.stringify(res.body);
    assert.ok(res.status < 500, `${what}: ${res.status} ${text}`);
    if (res.status >= 400) {
      assertError(res, res.status, res.body.error.type);
      return;
    }
    for (const s of secrets) assert.ok(!text.includes(s), `${what} shows live ${s.slice(0, 12)}…`);
    assert.ok(!/"livemode":true/.test(text), `${what} holds a live object`);
    assert.ok(!/(sk|pk)_live_|cs_live_/.test(text), `${what} holds a live id or key`);
  };

  /** Everything live, as the live key reads it: compared before and after the table. */
  const snapshot = async () => {
    const out = {};
    for (const path of [
      `/v1/checkout_sessions/${liveSession}`,
      "/v1/checkout_sessions?limit=100",
      `/v1/payment_links/${liveLink.id}`,
      "/v1/payment_links?limit=100",
      `/v1/webhook_endpoints/${liveEndpoint.id}`,
      `/v1/webhook_endpoints/${liveEndpoint.id}/deliveries`,
      "/v1/webhook_endpoints?limit=100",
      `/v1/events/${liveEvent}`,
      "/v1/events?limit=100",
      "/v1/api_keys",
      "/v1/account",
      `/v1/sweeps/${liveSweep.id}`,
      "/v1/sweeps?limit=100",
      `/v1/refunds/${liveRefund}`,
      "/v1/refunds?limit=100",
      "/v1/balances",
    ]) {
      const res = await api("GET", path, { token: liveKey });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      out[path] = res.body;
    }
    return out;
  };
  const before = await snapshot();

  // Bodies that would change the object if the route reached it (default: {} for JSON).
  const bodies = {
    "POST /v1/payment_links/{id}": { active: false },
    "POST /v1/webhook_endpoints/{id}": { enabled: false },
    "POST /v1/test_helpers/checkout_sessions/{id}/advance": { seconds: 86_400 },
    "POST /v1/test_helpers/checkout_sessions/{id}/age_events": { seconds: 86_400 },
    "POST /v1/test_helpers/checkout_sessions/{id}/clone": { count: 1 },
    "POST /v1/test_helpers/webhook_endpoints/{id}/advance": { seconds: 86_400 },
    "POST /v1/refunds/{id}/submit": { tx_hash: `0x${"ef".repeat(32)}` },
  };
  const call = (method, path, json) => api(method, path, { token: testKey, json });
  // Routes without an id act on the caller's mode as a whole: each answers with test data
  // only, and what it creates or changes is test mode's.
  const accountLevel = {
    "GET /v1/checkout_sessions": async () => {
      noLive(await call("GET", "/v1/checkout_sessions?limit=100"), "session list");
      const byLink = await call("GET", `/v1/checkout_sessions?payment_link=${liveLink.id}`);
      noLive(byLink, "sessions of a live link");
      if (byLink.status === 200) assert.deepEqual(byLink.body.data, []);
      assertError(await call("GET", `/v1/checkout_sessions?starting_after=${liveSession}`), 400, "invalid_request_error", "resource_missing");
    },
    "POST /v1/checkout_sessions": async () => {
      const res = await call("POST", "/v1/checkout_sessions", { amount: USD("5.00") });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      noLive(res, "a new session");
      assert.match(res.body.id, /^cs_test_/);
      assertError(await call("POST", "/v1/checkout_sessions", { payment_link: liveLink.id }), 400, "invalid_request_error");
    },
    "GET /v1/payment_links": async () => {
      noLive(await call("GET", "/v1/payment_links?limit=100"), "link list");
      assertError(await call("GET", `/v1/payment_links?starting_after=${liveLink.id}`), 400, "invalid_request_error", "resource_missing");
    },
    "POST /v1/payment_links": async () => {
      const res = await call("POST", "/v1/payment_links", { amount: USD("5.00") });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      noLive(res, "a new link");
    },
    "GET /v1/events": async () => {
      noLive(await call("GET", "/v1/events?limit=100"), "event list");
      const bySession = await call("GET", `/v1/events?session=${liveSession}`);
      noLive(bySession, "events of a live session");
      if (bySession.status === 200) assert.deepEqual(bySession.body.data, []);
    },
    "GET /v1/webhook_endpoints": async () => noLive(await call("GET", "/v1/webhook_endpoints?limit=100"), "endpoint list"),
    "POST /v1/webhook_endpoints": async () => {
      const res = await call("POST", "/v1/webhook_endpoints", { url: "http://127.0.0.1:9/test-hooks", events: ["*"] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      noLive(res, "a new endpoint");
    },
    "GET /v1/api_keys": async () => noLive(await call("GET", "/v1/api_keys"), "key list"),
    "POST /v1/api_keys": async () => {
      for (const kind of ["secret", "publishable"]) {
        const res = await call("POST", "/v1/api_keys", { kind });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        noLive(res, `a new ${kind} key`);
        assert.match(res.body.key, /^(sk|pk)_test_/, "a test key mints test keys only");
      }
    },
    "GET /v1/account": async () => {
      const res = await call("GET", "/v1/account");
      noLive(res, "the account");
      assert.equal(res.body.livemode, false);
      assert.ok(!("xpub_live" in res.body) && !("addresses_issued_live" in res.body));
      assert.deepEqual(res.body.allowed_origins, [], "not the live origins");
      assert.equal(res.body.session_ttl_secs, 1800, "not the live TTL");
    },
    "POST /v1/account": async () => {
      for (const xpub_live of [liveXpub, await randomXpub()]) {
        const res = await call("POST", "/v1/account", { xpub_live });
        assert.equal(assertError(res, 403, "permission_error", "livemode_mismatch").param, "xpub_live");
      }
      const res = await call("POST", "/v1/account", { session_ttl_secs: 1200, late_grace_secs: 60, allowed_origins: ["https://test.example"] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      noLive(res, "the updated account");
    },
    "GET /v1/chains": async () => {
      const res = await call("GET", "/v1/chains");
      noLive(res, "the chains");
      assert.deepEqual(res.body.data.map((c) => c.chain_id), [31337, 31338], "the test chains only");
    },
    "GET /v1/sweeps": async () => {
      noLive(await call("GET", "/v1/sweeps?limit=100"), "sweep list");
      assertError(await call("GET", `/v1/sweeps?starting_after=${liveSweep.id}`), 400, "invalid_request_error", "resource_missing");
    },
    "POST /v1/sweeps": async () => {
      // The live sweep's chain is not served to a test key; the same hash on a test chain is
      // a test sweep of its own.
      assertError(await call("POST", "/v1/sweeps", { chain_id: 1, tx_hash: liveSweep.tx_hash }), 400, "invalid_request_error", "chain_unsupported");
      const res = await call("POST", "/v1/sweeps", { chain_id: 31337, tx_hash: `0x${"cd".repeat(32)}` });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      noLive(res, "a new sweep");
    },
    "GET /v1/refunds": async () => {
      noLive(await call("GET", "/v1/refunds?limit=100"), "refund list");
      const bySession = await call("GET", `/v1/refunds?session=${liveSession}`);
      noLive(bySession, "refunds of a live session");
      if (bySession.status === 200) assert.deepEqual(bySession.body.data, []);
      assertError(await call("GET", `/v1/refunds?starting_after=${liveRefund}`), 400, "invalid_request_error", "resource_missing");
    },
    "GET /v1/balances": async () => {
      const res = await call("GET", "/v1/balances");
      noLive(res, "the balances");
      assert.equal(res.body.livemode, false);
    },
    "GET /v1/search": async () => {
      // The live session's email is set in its column only, so the live snapshot (built from
      // the document) stays as it was; search reads the column.
      const email = `sealed-${randomBytes(4).toString("hex")}@example.com`;
      d1(`UPDATE checkout_sessions SET customer_email = '${email}' WHERE id = '${liveSession}'`);
      const { address } = (await api("GET", `/v1/checkout_sessions/${liveSession}`, { token: liveKey })).body;
      for (const q of [liveSession, address, email.toUpperCase()]) {
        const path = `/v1/search?q=${encodeURIComponent(q)}`;
        assert.deepEqual((await api("GET", path, { token: liveKey })).body.data.map((s) => s.id), [liveSession], `the live key finds ${q}`);
        const res = await call("GET", path);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        noLive(res, `a search for ${q}`);
        assert.deepEqual(res.body.data, [], `the test key finds nothing for ${q}`);
      }
    },
    "GET /v1/exports/payments.csv": async () => {
      const res = await call("GET", "/v1/exports/payments.csv");
      assert.equal(res.status, 200, String(res.body).slice(0, 200));
      noLive(res, "the payments export");
      assert.match(res.headers.get("content-disposition"), /filename="payments-test-/);
    },
    "GET /v1/exports/sessions.csv": async () => {
      const res = await call("GET", "/v1/exports/sessions.csv");
      assert.equal(res.status, 200, String(res.body).slice(0, 200));
      noLive(res, "the sessions export");
      assert.match(res.body, /^id,created,/);
      // The same export under the live key does hold the live session.
      const live = await api("GET", "/v1/exports/sessions.csv", { token: liveKey });
      assert.ok(live.status === 200 && live.body.includes(liveSession), "the live export lists the live session");
    },
    "POST /v1/test_helpers/smoke": async () => noLive(await call("POST", "/v1/test_helpers/smoke", { value: "isolation" }), "smoke"),
  };

  const missing = [];
  const wrong = [];
  for (const { method, path, op } of secretRoutes) {
    const row = `${method} ${path}`;
    if (!path.includes("{id}")) {
      if (accountLevel[row]) await accountLevel[row]();
      else missing.push(row);
      continue;
    }
    const prefix = Object.keys(liveIds).find((p) => path.startsWith(p));
    if (!prefix) {
      missing.push(row);
      continue;
    }
    const json = bodies[row] ?? (op.requestBody?.content?.["application/json"] ? {} : undefined);
    const res = await call(method, path.replace("{id}", liveIds[prefix]), json);
    if (res.status !== 404 || res.body?.error?.type !== "not_found_error") wrong.push(`${row} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
  }
  assert.deepEqual(missing, [], "secret-key routes without an isolation row: add them to this table");
  assert.equal(wrong.join("\n"), "", "a test key reached a live object");
  assert.ok(secretRoutes.length >= 25, `only ${secretRoutes.length} secret-key routes?`);

  // The console's test cookie acts as the test key: through it, too, every route with an id
  // answers a live id with 404, and the account-wide reads hold nothing live.
  const signedIn = await api("POST", "/v1/console/sessions", { json: { api_key: testKey }, headers: { "sec-fetch-site": "same-origin" } });
  assert.equal(signedIn.status, 201, JSON.stringify(signedIn.body));
  const cookie = /^(kasse_console_test=[A-Za-z0-9]+);/.exec(signedIn.headers.get("set-cookie"))[1];
  const viaCookie = (method, path, json, mode = "test") =>
    api(method, path, { json, headers: { cookie, "kasse-mode": mode, "sec-fetch-site": "same-origin" } });
  const wrongViaCookie = [];
  for (const { method, path, op } of secretRoutes) {
    const row = `${method} ${path}`;
    const prefix = Object.keys(liveIds).find((p) => path.startsWith(p));
    if (!path.includes("{id}") || !prefix) continue;
    const json = bodies[row] ?? (op.requestBody?.content?.["application/json"] ? {} : undefined);
    const res = await viaCookie(method, path.replace("{id}", liveIds[prefix]), json);
    if (res.status !== 404 || res.body?.error?.type !== "not_found_error") wrongViaCookie.push(`${row} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
  }
  assert.equal(wrongViaCookie.join("\n"), "", "the test cookie reached a live object");
  for (const path of ["/v1/account", "/v1/api_keys", "/v1/checkout_sessions?limit=100", "/v1/payment_links?limit=100", "/v1/events?limit=100", "/v1/webhook_endpoints?limit=100", "/v1/sweeps?limit=100", "/v1/refunds?limit=100", "/v1/balances", "/v1/chains"]) {
    const res = await viaCookie("GET", path);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    noLive(res, `${path} through the test cookie`);
  }
  // Naming live mode with only the test cookie is no live sign-in.
  assertError(await viaCookie("GET", "/v1/account", undefined, "live"), 401, "authentication_error", "console_session_ended");

  assert.deepEqual(await snapshot(), before, "nothing live changed");
});

test("a mode's Tron xpub is sealed like its EVM xpub: the operator or that mode's key sets it, no other key sees it", async () => {
  const { HDNodeWallet } = await import("ethers");
  const tronXpub = () => HDNodeWallet.fromPhrase(HDNodeWallet.createRandom().mnemonic.phrase, undefined, "m/44'/195'/0'").neuter().extendedKey;
  const account = await newAccount();
  const tron = tronXpub();
  const added = await addXpub(account.id, { mode: "live", xpub: await randomXpub(), xpub_tron: tron });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.equal(added.body.xpub_tron, tron);
  const live = added.body.keys.sk_live;
  assert.equal((await api("GET", "/v1/account", { token: live })).body.xpub_tron_live, tron);
  const testView = (await api("GET", "/v1/account", { token: account.keys.sk_test })).body;
  assert.equal(testView.xpub_tron_test, null);
  assert.ok(!("xpub_tron_live" in testView) && !JSON.stringify(testView).includes(tron), "the test key never sees the live Tron xpub");
  for (const [key, json, param] of [
    [account.keys.sk_test, { xpub_tron_live: tronXpub() }, "xpub_tron_live"],
    [live, { xpub_tron_test: tronXpub() }, "xpub_tron_test"],
  ]) {
    const res = await api("POST", "/v1/account", { token: key, json });
    assert.equal(assertError(res, 403, "permission_error", "livemode_mismatch").param, param);
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM account_xpubs WHERE account_id = '${account.id}' AND xpub_tron IS NOT NULL`), 1, "only the operator's");
});
