// Smoke tests proving each layer of the stack runs: workerd serves the Rust worker,
// D1 works, the scheduled handler runs and reads the local chain over JSON-RPC.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, demo, env, localChain, rpc, runScheduled } from "../support/env.mjs";

test("the worker answers JSON under workerd, on /v1 and /api/v1", async () => {
  for (const prefix of ["/v1", "/api/v1"]) {
    const res = await api("GET", `${prefix}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assert.equal(res.body.object, "health");
    assert.equal(res.body.status, "ok");
  }
});

test("a value round-trips through D1", async () => {
  const value = `smoke-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const res = await api("POST", "/v1/test_helpers/smoke", { token: demo.secret_key, json: { value } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.d1, value);
});

test("the scheduled handler reads the local chain's head over RPC", async () => {
  await rpc("anvil_mine", ["0x3"]);
  const head = parseInt(await rpc("eth_blockNumber"), 16);
  await runScheduled();

  const health = await api("GET", "/v1/health");
  assert.match(health.body.last_scheduled_run, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const local = await localChain();
  assert.ok(local, "chain 31337 is reported");
  assert.equal(local.head, head);
  assert.equal(local.last_error, null);
  assert.equal(local.rpc_host, new URL(env.worker_rpc_url).host);
});

test("chain health needs the admin token", async () => {
  assertError(await api("GET", "/v1/health/chains"), 401, "authentication_error");
  assertError(await api("GET", "/v1/health/chains", { token: "wrong" }), 401, "authentication_error");
});

test("unknown routes and bad bodies get JSON errors, not 500s", async () => {
  const missing = assertError(await api("GET", "/v1/nope"), 404, "not_found_error", "route_not_found");
  assert.match(missing.message, /GET \/v1\/nope/);
  assertError(await api("DELETE", "/v1/health"), 405, "invalid_request_error", "method_not_allowed");
  const smoke = (opts) => api("POST", "/v1/test_helpers/smoke", { token: demo.secret_key, ...opts });
  assertError(await smoke({ body: "{not json" }), 400, "invalid_request_error", "invalid_json");
  const tooLong = assertError(await smoke({ json: { value: "" } }), 400, "invalid_request_error");
  assert.equal(tooLong.param, "value");
});

test("the OpenAPI document is served and describes the health routes", async () => {
  const res = await fetch(`${env.worker_url}/openapi.json`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  assert.ok(doc.paths["/v1/health"].get);
  assert.ok(doc.paths["/v1/health/chains"].get);
});
