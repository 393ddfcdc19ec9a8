// The bad-input matrix: every route of the OpenAPI document, each kind of bad input, one
// table. Routes are read from www/openapi.json, so a new route is covered (or this test
// fails for want of a fixture) without anyone remembering to add it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { USD, api, assertError, env, newAccount, randomXpub } from "../support/env.mjs";

const spec = JSON.parse(readFileSync(new URL("../../www/openapi.json", import.meta.url), "utf8"));

/** Every (method, path, operation) of the document. */
const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ["get", "post", "delete"].includes(method))
    .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);

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
    "/v1/test_helpers/checkout_sessions/{id}": session.id,
    "/v1/test_helpers/webhook_endpoints/{id}": endpoint.id,
    "/v1/admin/accounts/{id}": account.id,
  };
  const idFor = (path) => {
    const prefix = Object.keys(ids).find((p) => path.startsWith(p));
    assert.ok(prefix, `no fixture for ${path}: add one to the matrix`);
    return ids[prefix];
  };
  return { account, sk, pk: account.keys.pk_test, session, idFor };
}

function authOf(op) {
  const schemes = (op.security || []).flatMap((s) => Object.keys(s));
  return schemes[0] || "none";
}

/** The credentials an operation takes, for a request that should get past them. */
function credentials(op, f) {
  switch (authOf(op)) {
    case "secretKey":
      return { token: f.sk };
    case "publishableKey":
      return { token: f.pk };
    case "clientSecret":
      return { headers: { "kasse-client-secret": f.session.client_secret } };
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
    if (authOf(op) !== "secretKey" || (op.security || []).length > 1) continue;
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
    // A client secret belongs to one session: for another id it is simply not valid.
    const want = authOf(op) === "clientSecret" ? [401, 404] : [404];
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
    const creds = credentials(op, f);
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
  ];
  const wrong = [];
  for (const [path, token, json, param, code] of rows) {
    const headers = token ? {} : { "kasse-client-secret": f.session.client_secret };
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
