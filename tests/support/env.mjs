// What the test stack (`cargo xtask test`) started: read from $KASSE_ENV. Also the fixtures the
// suites share: sessions, payments, links, webhook endpoints and chain health, each as one
// named step. Every helper that acts for a merchant takes `{ key }` last (default: the demo
// account's secret key) and asserts the answer it expects.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";
import { pay, root } from "../../xtask/chain/lib.mjs";

const path = process.env.KASSE_ENV;
if (!path) throw new Error("KASSE_ENV is not set: run the suites through `cargo xtask test`");
export const env = JSON.parse(readFileSync(path, "utf8"));
export const base = env.worker_url;
export const demo = env.demo;

/** The local chain's id (anvil): 6-decimal USDC and USDT, ETH at $3,000. */
export const LOCAL_CHAIN = 31337;
/** The second local chain, "Local L2": 18-decimal USDC and USDT, ETH at $2,500. */
export const L2_CHAIN = 31338;

/** What the stack started for a local chain: its RPC URL (anvil), the worker's (through the
 * proxy) and its contracts by symbol. */
export function chainEnv(chainId = LOCAL_CHAIN) {
  const chain = env.chains?.[chainId];
  if (!chain) throw new Error(`the test stack runs no chain ${chainId}`);
  return chain;
}

/** An amount in US dollars, as the API takes it. */
export const USD = (value) => ({ value, currency: "USD" });

/** Spread into `createSession`'s body: no option fixed at creation, so every option the
 * account accepts is offered and the shopper (or the first payment) chooses. */
export const ANY_OPTION = { chain_id: undefined, token: undefined };

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// ----- HTTP ---------------------------------------------------------------------------------

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

/** Asserts an answer's status (200 unless told) and returns its body. */
export function ok(res, status = 200) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
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

/** Runs the scheduled handler once, as the cron trigger does in production. */
export async function runScheduled() {
  const res = await fetch(`${base}/__scheduled?cron=*+*+*+*+*`);
  assert.equal(res.status, 200, `/__scheduled answered ${res.status}`);
  await res.text();
}

// ----- accounts -----------------------------------------------------------------------------

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
  return ok(res);
}

// ----- sessions -----------------------------------------------------------------------------

/** Creates a checkout session: $49.99 in USDC on the local chain unless `body` says otherwise. */
export async function createSession(body = {}, { key = demo.secret_key } = {}) {
  const res = await api("POST", "/v1/checkout_sessions", {
    token: key,
    json: { amount: USD("49.99"), chain_id: LOCAL_CHAIN, token: "USDC", ...body },
  });
  return ok(res);
}

/** The session as its merchant reads it. */
export async function getSession(id, { key = demo.secret_key } = {}) {
  return ok(await api("GET", `/v1/checkout_sessions/${id}`, { token: key }));
}

export async function cancelSession(id, { key = demo.secret_key } = {}) {
  return ok(await api("POST", `/v1/checkout_sessions/${id}/cancel`, { token: key }));
}

/** The session's events, newest first. */
export async function sessionEvents(id, { key = demo.secret_key } = {}) {
  return ok(await api("GET", `/v1/events?session=${id}&limit=100`, { token: key })).data;
}

/** The types of the session's events, sorted. */
export async function eventTypes(id, { key = demo.secret_key } = {}) {
  return (await sessionEvents(id, { key })).map((e) => e.type).sort();
}

/** Moves a session's clock forward (test helper; the worker runs with KASSE_TEST_HELPERS). */
export async function advance(id, seconds, { key = demo.secret_key } = {}) {
  return ok(await api("POST", `/v1/test_helpers/checkout_sessions/${id}/advance`, { token: key, json: { seconds } }));
}

/** A session created with `body` and left unpaid while its clock moves `seconds` on: the
 * watcher has expired it. */
export async function expiredSession(seconds, body = {}) {
  const session = await createSession(body);
  await advance(session.id, seconds);
  await runScheduled();
  assert.equal((await getSession(session.id)).status, "expired");
  return session;
}

/** A request to one of the session's public routes (`suffix` after its path), made as the
 * shopper's browser makes it: with the session's client secret. */
export function shopperApi(method, session, suffix = "", { json, headers = {} } = {}) {
  return api(method, `/v1/public/checkout_sessions/${session.id}${suffix}`, {
    json,
    headers: { "kasse-client-secret": session.client_secret, ...headers },
  });
}

/** The session as its shopper sees it. */
export async function shopperView(session) {
  return ok(await shopperApi("GET", session));
}

// ----- the local chain and payments ---------------------------------------------------------

/** A raw JSON-RPC call to a local chain (the first unless told). */
export async function rpc(method, params = [], chain = LOCAL_CHAIN) {
  const res = await fetch(chainEnv(chain).rpc_url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const reply = await res.json();
  if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result;
}

/** Mines `n` empty blocks on a local chain (the first unless told). */
export async function mine(n = 1, chain = LOCAL_CHAIN) {
  await rpc("anvil_mine", [`0x${n.toString(16)}`], chain);
}

/** Sends `amount` base units of `token` (a local contract's symbol, or ETH) to `to` from anvil
 * account #9, on a local chain (the first unless told). */
export async function transfer(to, amount, token = "ETH", chain = LOCAL_CHAIN) {
  return pay(chainEnv(chain).rpc_url, { contract: chainEnv(chain).contracts[token], to, amount: BigInt(amount) });
}

/** The option a payment to `session` goes to unless told: the selected one, else the first. */
export function payingOption(session) {
  return (
    session.supported_tokens.find((t) => t.token === session.selected_token && t.chain_id === (session.chain_id ?? t.chain_id)) ||
    session.supported_tokens[0]
  );
}

/** Pays a session's selected option on its chain (`amount` in base units, default exact). */
export async function paySession(session, amount) {
  const option = payingOption(session);
  return transfer(session.address, amount ?? option.amount, option.token, option.chain_id);
}

/**
 * Pays a session, mines `blocks` more blocks and runs the watcher once; returns the session as
 * its merchant (`key`) then reads it. Pays exactly what the selected option asks unless
 * `amount` (base units) is given, in that option's token unless `token` is and on its chain
 * unless `chain` is.
 */
export async function payAndWatch(session, { amount, token, chain, blocks = 2, key } = {}) {
  chain ??= payingOption(session).chain_id;
  if (token) await transfer(session.address, amount, token, chain);
  else await paySession(session, amount);
  await mine(blocks, chain);
  await runScheduled();
  return getSession(session.id, { key });
}

/** A session created with `body`, paid exactly and confirmed: the watcher has made it `paid`. */
export async function paidSession(body = {}, { key } = {}) {
  const session = await createSession(body, { key });
  const now = await payAndWatch(session, { key });
  assert.equal(now.status, "paid", JSON.stringify(now));
  return session;
}

/** anvil's account #9, the shopper of local payments (unlocked: it sends without signing). */
export const PAYER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

const word = (hex) => hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");

/** Sends (unmined while automine is off) a mint of `amount` base units of a local token to `to`. */
export async function sendMint(token, to, amount) {
  return rpc("eth_sendTransaction", [{ from: PAYER, to: env.contracts[token], gas: "0x30000", data: `0x40c10f19${word(to)}${word(BigInt(amount).toString(16))}` }]);
}

/**
 * Waits until the transaction `hash` is in a block: anvil may answer `eth_sendTransaction`
 * before its automine has mined it, and a balance read in between misses it.
 */
export async function mined(hash, chain = LOCAL_CHAIN) {
  for (let i = 0; i < 100; i++) {
    if (await rpc("eth_getTransactionReceipt", [hash], chain)) return;
    await sleep(50);
  }
  throw new Error(`${hash} was not mined within 5 s`);
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

/** The operator's chain health report. */
export async function chainHealth() {
  return ok(await api("GET", "/v1/health/chains", { token: env.admin_token }));
}

/** The local chain's row of the health report: head, cursor, scan range, last error. */
export async function localChain() {
  return (await chainHealth()).data.find((c) => c.chain_id === LOCAL_CHAIN);
}

// ----- payment links ------------------------------------------------------------------------

export async function createLink(body, { key = demo.secret_key } = {}) {
  return ok(await api("POST", "/v1/payment_links", { token: key, json: body }));
}

/** The sessions started from a link. */
export async function linkSessions(linkId, { key = demo.secret_key } = {}) {
  return ok(await api("GET", `/v1/checkout_sessions?payment_link=${linkId}&limit=100`, { token: key })).data;
}

// ----- webhooks -----------------------------------------------------------------------------

/** A webhook endpoint posting `events` (default all) to `url`; its answer shows the secret once. */
export async function createEndpoint(url, { key = demo.secret_key, events = ["*"], ...fields } = {}) {
  return ok(await api("POST", "/v1/webhook_endpoints", { token: key, json: { url, events, ...fields } }));
}

/** An endpoint that delivers to a test receiver (support/receiver.mjs), which from now on
 * verifies with its secret. */
export async function newHook(receiver, { key = demo.secret_key, events = ["*"] } = {}) {
  const hook = await createEndpoint(receiver.url, { key, events });
  receiver.secrets = [hook.secret];
  return hook;
}

/** An endpoint's deliveries, newest first; `query` adds filters (`&event=…`). */
export async function deliveries(endpointId, { key = demo.secret_key, query = "" } = {}) {
  return ok(await api("GET", `/v1/webhook_endpoints/${endpointId}/deliveries?limit=100${query}`, { token: key })).data;
}

// ----- D1 -----------------------------------------------------------------------------------

/** Rows of a SQL statement run against the test stack's local D1 (the state `wrangler dev` serves). */
export function d1(sql) {
  const out = execFileSync(
    join(root, "node_modules", ".bin", "wrangler"),
    ["d1", "execute", "DB", "--local", "--json", "--config", join(dirname(env.state_dir), "wrangler.toml"), "--persist-to", env.state_dir, "--command", sql],
    { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  return JSON.parse(out)[0].results;
}
