// What the test stack (`cargo xtask test`) started: read from $KASSE_ENV.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const path = process.env.KASSE_ENV;
if (!path) throw new Error("KASSE_ENV is not set: run the suites through `cargo xtask test`");
export const env = JSON.parse(readFileSync(path, "utf8"));
export const base = env.worker_url;

/** A request to the worker; returns { status, headers, body } with body parsed when JSON. */
export async function api(method, path, { token, json, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    h["content-type"] = "application/json";
    body = JSON.stringify(json);
  }
  const res = await fetch(base + path, { method, headers: h, body, redirect: "manual" });
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get("content-type") || "").includes("application/json")) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Runs the scheduled handler once, as the cron trigger does in production. */
export async function runScheduled() {
  const res = await fetch(`${base}/__scheduled?cron=*+*+*+*+*`);
  assert.equal(res.status, 200, `/__scheduled answered ${res.status}`);
  await res.text();
}

/** A raw JSON-RPC call to the local chain. */
export async function rpc(method, params = []) {
  const res = await fetch(env.rpc_url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const reply = await res.json();
  if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result;
}

/** Asserts the Kasse error shape and returns the error object. */
export function assertError(res, status, type, code) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body), ["error"]);
  const e = res.body.error;
  assert.equal(e.type, type);
  if (code) assert.equal(e.code, code);
  assert.equal(typeof e.message, "string");
  assert.ok(e.message.length > 0);
  assert.ok("param" in e);
  return e;
}
