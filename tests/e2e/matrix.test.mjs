// The bad-input matrix: every route of the OpenAPI document, each kind of bad input, one
// table. Routes are read from www/openapi.json, so a new route is covered (or this test
// fails for want of a fixture) without anyone remembering to add it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { USD, api, assertError, base, d1, env, newAccount, randomXpub } from "../support/env.mjs";

const spec = JSON.parse(readFileSync(new URL("../../www/openapi.json", import.meta.url), "utf8"));

/** Every (method, path, operation) of the document. */
const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ["get", "post", "delete"].includes(method))
    .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);

/** `n` base62 characters, as the worker makes ids and secrets. */
function base62(n) {
  const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return [...randomBytes(n)].map((b) => chars[b % 62]).join("");
}

/** A refund of `session` waiting for its address, written in D1 (the session is unpaid, so
 * the API would refuse to create one): what the refund routes' `{id}` need. */
function refundOf(account, session) {
  const refund = { id: `re_test_${base62(24)}`, claim_secret: base62(32) };
  d1(`INSERT INTO refunds (id, account_id, livemode, session_id, chain_id, token, contract_address, decimals, amount, status,
        requested_by, claim_secret, created_block, created_at, created_unix, updated_at)
      VALUES ('${refund.id}', '${account.id}', 0, '${session.id}', 31337, 'USDC', '${env.contracts.USDC.toLowerCase()}', 6, '1000000',
        'requires_address', 'merchant', '${refund.claim_secret}', 1, '2026-11-30T00:00:00Z', 1796083200, '2026-11-30T00:00:00Z')`);
  return refund;
}

/** Objects of a fresh account for the routes' `{id}`. */
async function fixtures() {
  const account = await newAccount({ xpub_live: await randomXpub() });
  const sk = account.keys.sk_test;
  const post = async (path, json) => {
    const res = await api("POST", path, { token: sk, json });
    assert.ok(res.status < 300, `${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const session = await post("/v1/checkout_sessions", { amount: USD("5.00") });
  const link = await post("/v1/payment_links", { amount: USD("5.00") });
  const key = await post("/v1/api_keys", { kind: "publishable" });
  const endpoint = await post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/h", events: ["*"] });
  const events = await api("GET", `/v1/events?session=${session.id}`, { token: sk });
  const sweep = await post("/v1/sweeps", { chain_id: 31337, tx_hash: `0x${"ab".repeat(32)}` });
  const refund = refundOf(account, session);
  const ids = {
    "/v1/checkout_sessions/{id}": session.id,
    "/v1/public/checkout_sessions/{id}": session.id,
    "/v1/payment_links/{id}": link.id,
    "/v1/public/payment_links/{id}": link.id,
    "/l/{id}": link.id,
    "/v1/api_keys/{id}": key.id,
    "/v1/webhook_endpoints/{id}": endpoint.id,
    "/v1/events/{id}": events.body.data[0].id,
    "/v1/sweeps/{id}": sweep.id,
    "/v1/refunds/{id}": refund.id,
    "/v1/public/refunds/{id}": refund.id,
    "/v1/test_helpers/checkout_sessions/{id}": session.id,
    "/v1/test_helpers/webhook_endpoints/{id}": endpoint.id,
    "/v1/admin/accounts/{id}": account.id,
  };
  const idFor = (path) => {
    const prefix = Object.keys(ids).find((p) => path.startsWith(p));
    assert.ok(prefix, `no fixture for ${path}: add one to the matrix`);
    return ids[prefix];
  };
  return { account, sk, pk: account.keys.pk_test, session, refund, idFor };
}

/** The security schemes an operation takes, any one of which will do. */
const schemesOf = (op) => (op.security || []).flatMap((s) => Object.keys(s));

function authOf(op) {
  return schemesOf(op)[0] || "none";
}

/** What the console's page sends: its own origin, so the same-origin rule lets it through. */
const SAME_ORIGIN = { "sec-fetch-site": "same-origin" };

/** The credentials an operation takes, for a request that should get past them. The
 * console's sign-in and sign-out take none, but only answer the console's own page. */
function credentials(op, f, path = "") {
  if (path.startsWith("/v1/console/")) return { headers: SAME_ORIGIN };
  switch (authOf(op)) {
    case "secretKey":
      return { token: f.sk };
    case "publishableKey":
      return { token: f.pk };
    case "clientSecret":
      return { headers: { "kasse-client-secret": f.session.client_secret } };
    case "claimSecret":
      return { headers: { "kasse-claim-secret": f.refund.claim_secret } };
    case "adminToken":
      return { token: env.admin_token };
    default:
      return {};
  }
}

const concrete = (path, id) => path.replace("{id}", id);
const takesJson = (op) => Boolean(op.requestBody?.content?.["application/json"]);

test("matrix: no credentials → 401, for every route that needs them", async () => {
  const f = await fixtures();
  let checked = 0;
  for (const { method, path, op } of operations) {
    if (authOf(op) === "none") continue;
    const url = concrete(path, path.includes("{id}") ? f.idFor(path) : "");
    const res = await api(method, url, takesJson(op) ? { json: {} } : {});
    assertError(res, 401, "authentication_error");
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} routes need credentials?`);
});

test("matrix: a secret-key route with a publishable key → 403; a live key never sees test ids", async () => {
  const f = await fixtures();
  for (const { method, path, op } of operations) {
    // Routes a publishable key may also call are not refused to it; the console's cookie is
    // the secret key in another form.
    if (authOf(op) !== "secretKey" || schemesOf(op).filter((s) => s !== "consoleSession").length > 1) continue;
    if (path.startsWith("/v1/test_helpers")) continue;
    const url = concrete(path, path.includes("{id}") ? f.idFor(path) : "");
    const pk = await api(method, url, { token: f.pk, ...(takesJson(op) ? { json: {} } : {}) });
    assertError(pk, 403, "permission_error");
    if (path.includes("{id}")) {
      const live = await api(method, url, { token: f.account.keys.sk_live, ...(takesJson(op) ? { json: {} } : {}) });
      assertError(live, 404, "not_found_error");
    }
  }
});

test("matrix: an id that does not exist → 404 on every route with an {id}", async () => {
  const f = await fixtures();
  const wrong = [];
  for (const { method, path, op } of operations) {
    if (!path.includes("{id}")) continue;
    const res = await api(method, concrete(path, "nope_000000000000000000000000"), {
      ...credentials(op, f),
      ...(takesJson(op) ? { json: {} } : {}),
    });
    // A client (or claim) secret belongs to one session (or refund): for another id it is
    // simply not valid.
    const want = ["clientSecret", "claimSecret"].includes(authOf(op)) ? [401, 404] : [404];
    if (!want.includes(res.status)) wrong.push(`${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
    // `/l/{id}` is a page for people: its 404 is HTML; every API route's is the JSON error.
    else if (path.startsWith("/l/")) assert.match(res.headers.get("content-type"), /text\/html/);
    else assertError(res, res.status, res.status === 404 ? "not_found_error" : "authentication_error");
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} routes answered otherwise`);
});

test("matrix: malformed JSON → 400 invalid_json, over 64 KB → 413, unknown field → 400 parameter_unknown", async () => {
  const f = await fixtures();
  let checked = 0;
  const wrong = [];
  for (const { method, path, op } of operations) {
    if (!takesJson(op)) continue;
    const url = concrete(path, path.includes("{id}") ? f.idFor(path) : "");
    const creds = credentials(op, f, path);
    const headers = { ...(creds.headers || {}), "content-type": "application/json" };
    const send = (body) => api(method, url, { token: creds.token, headers, body });
    for (const [body, status, code, param] of [
      ['{"amount": ', 400, "invalid_json", null],
      [JSON.stringify({ description: "x".repeat(70_000) }), 413, "body_too_large", null],
      [JSON.stringify({ colour: "red" }), 400, "parameter_unknown", "colour"],
    ]) {
      const res = await send(body);
      const e = res.body?.error || {};
      if (res.status !== status || e.code !== code || e.param !== param) {
        wrong.push(`${method} ${path} ${body.slice(0, 20)} → ${res.status} ${e.code} ${e.param}`);
      } else assertError(res, status, "invalid_request_error", code);
    }
    checked++;
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} routes answered otherwise`);
  assert.ok(checked >= 18, `only ${checked} routes take JSON?`);
});

test("matrix: wrong types, long strings, bad URLs, bad amounts, unsupported options → named 400s", async () => {
  const f = await fixtures();
  const live = f.account.keys.sk_live;
  const big = "x".repeat(5_001);
  // [path, key, body, param, code]
  const rows = [
    // sessions
    ["/v1/checkout_sessions", f.sk, { amount: { value: 5, currency: "USD" } }, "amount.value", "amount_not_string"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.001") }, "amount.value", "amount_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("0") }, "amount.value", "amount_out_of_range"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("-1.00") }, "amount.value", "amount_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("1e3") }, "amount.value", "amount_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("1000000.00") }, "amount.value", "amount_out_of_range"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("99999999999999999999999999999999") }, "amount.value", "amount_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: { value: "5.00", currency: "EUR" } }, "amount.currency", "currency_unsupported"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), chain_id: 1, token: "USDC" }, "token", "option_unavailable"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), chain_id: 31337, token: "DOGE" }, "token", undefined],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), chain_id: "31337", token: "USDC" }, "chain_id", "parameter_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), success_url: "javascript:alert(1)" }, "success_url", "url_invalid"],
    ["/v1/checkout_sessions", live, { amount: USD("5.00"), success_url: "http://shop.example/ok" }, "success_url", "url_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), description: big }, "description", undefined],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), customer_email: "not-an-email" }, "customer_email", undefined],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), metadata: { k: 1 } }, "metadata[k]", "metadata_invalid"],
    ["/v1/checkout_sessions", f.sk, { amount: USD("5.00"), expires_in: 10 }, "expires_in", "parameter_invalid"],
    ["/v1/checkout_sessions", f.sk, { payment_link: "plink_nope" }, "payment_link", undefined],
    // payment links
    ["/v1/payment_links", f.sk, { amount: USD("0.001") }, "amount.value", "amount_invalid"],
    ["/v1/payment_links", f.sk, { amount: USD("5.00"), active: "yes" }, "active", "parameter_invalid"],
    ["/v1/payment_links", f.sk, { amount: USD("5.00"), active: null }, "active", "parameter_invalid"],
    ["/v1/webhook_endpoints", f.sk, { url: "https://a.example", events: ["*"], enabled: null }, "enabled", "parameter_invalid"],
    ["/v1/payment_links", f.sk, { amount: USD("5.00"), cancel_url: "ftp://x" }, "cancel_url", "url_invalid"],
    // webhooks
    ["/v1/webhook_endpoints", f.sk, { url: 42, events: ["*"] }, "url", undefined],
    ["/v1/webhook_endpoints", f.sk, { url: "https://a.example", events: "*" }, "events", "parameter_invalid"],
    ["/v1/webhook_endpoints", live, { url: "https://192.168.1.1/h", events: ["*"] }, "url", "url_invalid"],
    ["/v1/webhook_endpoints", f.sk, { url: "https://a.example", events: ["*"], description: big }, "description", undefined],
    // account and keys
    ["/v1/account", f.sk, { session_ttl_secs: "900" }, "session_ttl_secs", undefined],
    ["/v1/account", f.sk, { allowed_origins: ["not a url"] }, "allowed_origins[0]", undefined],
    ["/v1/api_keys", f.sk, { kind: "root" }, "kind", undefined],
    // shopper
    [`/v1/public/checkout_sessions/${f.session.id}/select`, null, { chain_id: 31337, token: "DOGE" }, "token", undefined],
    [`/v1/public/checkout_sessions/${f.session.id}/check`, null, { tx_hash: "0x12" }, "tx_hash", "parameter_invalid"],
    // a refund request: the address is checked before whether there is anything to refund
    [`/v1/public/checkout_sessions/${f.session.id}/refund_request`, null, { address: "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8" }, "address", "address_invalid"],
    [`/v1/public/checkout_sessions/${f.session.id}/refund_request`, null, { address: 7 }, "address", "parameter_invalid"],
    [`/v1/public/checkout_sessions/${f.session.id}/refund_request`, null, {}, "address", "parameter_missing"],
    // refunds: the hash is read before the refund's status
    [`/v1/refunds/${f.refund.id}/submit`, f.sk, { tx_hash: "0x12" }, "tx_hash", "parameter_invalid"],
    [`/v1/refunds/${f.refund.id}/submit`, f.sk, { tx_hash: 12 }, "tx_hash", "parameter_invalid"],
    [`/v1/refunds/${f.refund.id}/submit`, f.sk, {}, "tx_hash", "parameter_missing"],
    [`/v1/public/refunds/${f.refund.id}/address`, null, { address: "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8" }, "address", "address_invalid"],
    [`/v1/public/refunds/${f.refund.id}/address`, null, { address: `0x${"0".repeat(40)}` }, "address", "address_invalid"],
    [`/v1/public/refunds/${f.refund.id}/address`, null, { address: 7 }, "address", "parameter_invalid"],
    [`/v1/public/refunds/${f.refund.id}/address`, null, {}, "address", "parameter_missing"],
    // refunds (the fixture's session received nothing)
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, { amount: 5 }, "amount", "amount_not_string"],
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, { amount: "1.5" }, "amount", "parameter_invalid"],
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, { excess: "yes" }, "excess", "parameter_invalid"],
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, { reason: big }, "reason", "parameter_invalid"],
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, { address: "vitalik.eth" }, "address", "parameter_invalid"],
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, { payment: "pay_nope" }, "payment", "parameter_invalid"],
    [`/v1/checkout_sessions/${f.session.id}/refunds`, f.sk, {}, "amount", "refund_exceeds_refundable"],
  ];
  const wrong = [];
  for (const [path, token, json, param, code] of rows) {
    const headers = token ? {} : { "kasse-client-secret": f.session.client_secret, "kasse-claim-secret": f.refund.claim_secret };
    const res = await api("POST", path, { token: token || undefined, headers, json });
    const e = res.body?.error || {};
    if (res.status !== 400 || e.param !== param || (code && e.code !== code)) {
      wrong.push(`${path} ${JSON.stringify(json).slice(0, 100)} → ${res.status} ${e.code} ${e.param} (want ${param} ${code ?? ""})`);
      continue;
    }
    assertError(res, 400, "invalid_request_error", code);
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} routes answered otherwise`);
});

test("matrix: a GET route's bad query → a named 400; the same route with a good one → 200", async () => {
  const f = await fixtures();
  // [path with query, param, code]
  const rows = [
    ["/v1/search", "q", "parameter_missing"],
    ["/v1/search?q=", "q", "parameter_missing"],
    ["/v1/search?q=hello", "q", "parameter_invalid"],
    [`/v1/search?q=${"a".repeat(201)}`, "q", "parameter_invalid"],
    ["/v1/search?q=a%40example.com&limit=101", "limit", "parameter_invalid"],
    ["/v1/search?q=a%40example.com&colour=red", "colour", "parameter_unknown"],
    ["/v1/refunds?status=lost", "status", "parameter_invalid"],
    ["/v1/refunds?session=nope", "session", "parameter_invalid"],
    ["/v1/refunds?limit=0", "limit", "parameter_invalid"],
    ["/v1/refunds?starting_after=re_test_000000000000000000000000", "starting_after", "resource_missing"],
    ["/v1/refunds?colour=red", "colour", "parameter_unknown"],
  ];
  const wrong = [];
  for (const [path, param, code] of rows) {
    const res = await api("GET", path, { token: f.sk });
    const e = res.body?.error || {};
    if (res.status !== 400 || e.param !== param || e.code !== code) wrong.push(`${path.slice(0, 60)} → ${res.status} ${e.code} ${e.param} (want ${param} ${code})`);
    else assertError(res, 400, "invalid_request_error", code);
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} queries answered otherwise`);
  const good = await api("GET", `/v1/search?q=${f.session.id}`, { token: f.sk });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.deepEqual(good.body.data.map((s) => s.id), [f.session.id]);
});

test("matrix: exports refuse a bad or backwards range with a named 400, never a 500", async () => {
  const f = await fixtures();
  const wrong = [];
  for (const path of ["/v1/exports/payments.csv", "/v1/exports/sessions.csv"]) {
    // [query, param, code]
    for (const [query, param, code] of [
      ["created[gte]=20&created[lte]=10", "created[lte]", "parameter_invalid"],
      ["created[gte]=soon", "created[gte]", "parameter_invalid"],
      ["created[lte]=2026-13-01T00:00:00Z", "created[lte]", "parameter_invalid"],
      ["created[gte]=999999999999", "created[gte]", "parameter_invalid"],
      ["status=paid", "status", "parameter_unknown"],
    ]) {
      const res = await api("GET", `${path}?${query}`, { token: f.sk });
      const e = res.body?.error || {};
      if (res.status !== 400 || e.param !== param || e.code !== code) wrong.push(`${path}?${query} → ${res.status} ${e.code} ${e.param}`);
      else assertError(res, 400, "invalid_request_error", code);
    }
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} answers otherwise`);
});

test("matrix: every secret-key route takes the console's cookie instead; without one 401 console_session_ended, from another site 403", async () => {
  const f = await fixtures();
  const signedIn = await api("POST", "/v1/console/sessions", { json: { api_key: f.sk }, headers: SAME_ORIGIN });
  assert.equal(signedIn.status, 201, JSON.stringify(signedIn.body));
  const cookie = /^(kasse_console_test=[A-Za-z0-9]+);/.exec(signedIn.headers.get("set-cookie"))[1];
  const consoleOps = operations.filter(({ op }) => schemesOf(op).includes("consoleSession"));
  const secretOps = operations.filter(({ op }) => schemesOf(op).includes("secretKey"));
  assert.deepEqual(consoleOps.map((o) => `${o.method} ${o.path}`), secretOps.map((o) => `${o.method} ${o.path}`), "the cookie is documented on every secret-key route, and only there");
  const wrong = [];
  const code = (res) => `${res.status} ${res.body?.error?.code}`;
  // DELETE last: it removes the endpoint other rows name.
  const ordered = [...consoleOps].sort((a, b) => (a.method === "DELETE") - (b.method === "DELETE"));
  for (const { method, path, op } of ordered) {
    const url = concrete(path, path.includes("{id}") ? f.idFor(path) : "");
    const send = (headers) => api(method, url, { ...(takesJson(op) ? { json: {} } : {}), headers: { "kasse-mode": "test", ...headers } });
    const row = `${method} ${path}`;
    const none = await send(SAME_ORIGIN);
    if (code(none) !== "401 console_session_ended") wrong.push(`${row} without a cookie → ${code(none)}`);
    if (method !== "GET") {
      const cross = await send({ cookie, "sec-fetch-site": "cross-site" });
      if (code(cross) !== "403 cross_site_request") wrong.push(`${row} from another site → ${code(cross)}`);
    }
    const own = await send({ cookie, ...SAME_ORIGIN });
    if ([401, 403].includes(own.status) || own.status >= 500) wrong.push(`${row} with the cookie → ${code(own)}`);
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} answers otherwise`);
  assert.ok(consoleOps.length >= 30, `only ${consoleOps.length} routes take the cookie?`);
});

test("matrix: the console's sign-in and sign-out refuse bad input with named errors, never a 500", async () => {
  const f = await fixtures();
  // [method, path, headers, body, status, code, param]
  const rows = [
    ["POST", "/v1/console/sessions", SAME_ORIGIN, {}, 400, "parameter_missing", "api_key"],
    ["POST", "/v1/console/sessions", SAME_ORIGIN, { api_key: "" }, 400, "parameter_missing", "api_key"],
    ["POST", "/v1/console/sessions", SAME_ORIGIN, { api_key: ["sk_test_1"] }, 400, "parameter_invalid", "api_key"],
    ["POST", "/v1/console/sessions", SAME_ORIGIN, { api_key: "sk_test_nope" }, 401, "invalid_api_key", null],
    ["POST", "/v1/console/sessions", SAME_ORIGIN, { api_key: "whsec_abc" }, 401, "invalid_api_key", null],
    ["POST", "/v1/console/sessions", SAME_ORIGIN, { api_key: f.pk }, 403, "secret_key_required", null],
    ["POST", "/v1/console/sessions", {}, { api_key: f.sk }, 403, "cross_site_request", null],
    ["POST", "/v1/console/sessions", { origin: "https://evil.example" }, { api_key: f.sk }, 403, "cross_site_request", null],
    ["POST", "/v1/console/sessions", { "sec-fetch-site": "cross-site", origin: base }, { api_key: f.sk }, 403, "cross_site_request", null],
    ["DELETE", "/v1/console/sessions/current", { ...SAME_ORIGIN, "kasse-mode": "Live" }, undefined, 400, "parameter_invalid", "Kasse-Mode"],
    ["DELETE", "/v1/console/sessions/current", { "sec-fetch-site": "same-site" }, undefined, 403, "cross_site_request", null],
    ["GET", "/v1/account", { "kasse-mode": "sandbox" }, undefined, 400, "parameter_invalid", "Kasse-Mode"],
  ];
  const types = { 400: "invalid_request_error", 401: "authentication_error", 403: "permission_error" };
  const wrong = [];
  for (const [method, path, headers, json, status, code, param] of rows) {
    const res = await api(method, path, { json, headers });
    const e = res.body?.error || {};
    if (res.status !== status || e.code !== code || e.param !== param) wrong.push(`${method} ${path} ${JSON.stringify(headers)} ${JSON.stringify(json)} → ${res.status} ${e.code} ${e.param}`);
    else assertError(res, status, types[status], code);
  }
  assert.equal(wrong.join("\n"), "", `${wrong.length} answers otherwise`);
});
