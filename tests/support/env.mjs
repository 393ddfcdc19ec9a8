// What the test stack (`cargo xtask test`) started: read from $KASSE_ENV.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";
import { pay, root } from "../../xtask/chain/lib.mjs";

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

export const demo = env.demo;

/** Creates a checkout session with the demo account's secret key; asserts 200. */
export async function createSession(body = {}) {
  const res = await api("POST", "/v1/checkout_sessions", {
    token: demo.secret_key,
    json: { amount: { value: "49.99", currency: "USD" }, chain_id: 31337, token: "USDC", ...body },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

export async function getSession(id) {
  const res = await api("GET", `/v1/checkout_sessions/${id}`, { token: demo.secret_key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

export async function sessionEvents(id) {
  const res = await api("GET", `/v1/events?session=${id}&limit=100`, { token: demo.secret_key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

/** Mines `n` empty blocks on the local chain. */
export async function mine(n = 1) {
  await rpc("anvil_mine", [`0x${n.toString(16)}`]);
}

/** Sends `amount` base units of `token` (a local contract's symbol, or ETH) to `to` from anvil account #9. */
export async function transfer(to, amount, token = "ETH") {
  return pay(env.rpc_url, { contract: env.contracts[token], to, amount: BigInt(amount) });
}

/** Pays a session's selected token (`amount` in base units, default exact). */
export async function paySession(session, amount) {
  const option = session.supported_tokens.find((t) => t.token === session.selected_token) || session.supported_tokens[0];
  return transfer(session.address, amount ?? option.amount, option.token);
}

/** Moves a session's clock forward (test helper; the worker runs with KASSE_TEST_HELPERS). */
export async function advance(id, seconds) {
  const res = await api("POST", `/v1/test_helpers/checkout_sessions/${id}/advance`, { token: demo.secret_key, json: { seconds } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

export async function eventTypes(id) {
  return (await sessionEvents(id)).map((e) => e.type).sort();
}

/** The account-level xpub (m/44'/60'/0') of a fresh random wallet. */
export async function randomXpub() {
  const { HDNodeWallet } = await import("ethers");
  const { phrase } = HDNodeWallet.createRandom().mnemonic;
  return HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
}

/** A fresh account with a random test wallet, so a test sees only its own objects. */
export async function newAccount(body = {}) {
  const xpub = await randomXpub();
  const res = await api("POST", "/v1/admin/accounts", { token: env.admin_token, json: { display_name: "Shop", xpub_test: xpub, ...body } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Rows of a SQL statement run against the test stack's local D1 (the state `wrangler dev` serves). */
export function d1(sql) {
  const out = execFileSync(
    join(root, "node_modules", ".bin", "wrangler"),
    ["d1", "execute", "DB", "--local", "--json", "--config", join(dirname(env.state_dir), "wrangler.toml"), "--persist-to", env.state_dir, "--command", sql],
    { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  return JSON.parse(out)[0].results;
}

/** anvil's account #9, the shopper of local payments (unlocked: it sends without signing). */
export const PAYER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

const word = (hex) => hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");

/** Sends (unmined while automine is off) a mint of `amount` base units of a local token to `to`. */
export async function sendMint(token, to, amount) {
  return rpc("eth_sendTransaction", [{ from: PAYER, to: env.contracts[token], gas: "0x30000", data: `0x40c10f19${word(to)}${word(BigInt(amount).toString(16))}` }]);
}

/** Runs `send` with automine off, then mines everything it sent in one block. */
export async function inOneBlock(send) {
  const automine = await rpc("anvil_getAutomine", []);
  await rpc("evm_setAutomine", [false]);
  try {
    await send();
    await rpc("evm_mine", []);
  } finally {
    await rpc("evm_setAutomine", [automine]);
  }
}
