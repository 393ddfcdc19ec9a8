// Tron, the second chain family, end to end on the local stand-in (an anvil chain read as
// Tron: one JSON-RPC call per request, an API key header, confirmation by the finalized
// block): a Tron xpub per mode, the T… deposit address, payment, detection, confirmation
// and the paid event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HDNodeWallet, SigningKey, concat, encodeBase58, getBytes, keccak256, sha256 } from "ethers";
import { ANY_OPTION, USD, api, assertError, base, chainEnv, createSession, env, eventTypes, getSession, mine, newAccount, ok, randomXpub, runScheduled, shopperApi, shopperView, transfer } from "../support/env.mjs";

const TRON = 31339;
/** anvil's finalized block is this many blocks under its head. */
const FINALITY_LAG = 64;

/** A fresh wallet: its Tron account-level xpub (m/44'/195'/0') and a derivation of its
 * deposit addresses from the mnemonic, independent of the worker's. */
function tronWallet() {
  const { phrase } = HDNodeWallet.createRandom().mnemonic;
  const xpub = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/195'/0'").neuter().extendedKey;
  /** The address at m/44'/195'/0'/0/{index}: keccak of the public key, 0x41 prefix,
   * base58check (checksum: the first 4 bytes of a double SHA-256). */
  const address = (index) => {
    const leaf = HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/195'/0'/0/${index}`);
    const point = SigningKey.computePublicKey(leaf.publicKey, false);
    const payload = getBytes(`0x41${keccak256(`0x${point.slice(4)}`).slice(-40)}`);
    const checksum = getBytes(sha256(sha256(payload))).slice(0, 4);
    return encodeBase58(concat([payload, checksum]));
  };
  return { xpub, address };
}

/** The 20 bytes of a T… address: what the chain's logs and `transfer` name. */
function hex20(tron) {
  const bytes = getBytes(`0x${BigInt(decode58(tron)).toString(16).padStart(50, "0")}`);
  assert.equal(bytes[0], 0x41);
  return `0x${Buffer.from(bytes.slice(1, 21)).toString("hex")}`;
}
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const decode58 = (s) => [...s].reduce((n, c) => n * 58n + BigInt(ALPHABET.indexOf(c)), 0n);

/** An account with a test wallet for EVM and one for Tron, registered by the operator. */
async function tronAccount() {
  const wallet = tronWallet();
  const account = await newAccount({ xpub_tron_test: wallet.xpub });
  return { wallet, account, key: account.keys.sk_test };
}

const proxy = async () => (await fetch(`${chainEnv(TRON).worker_rpc_url}/__fault`)).json();

test("a Tron session is paid with the stand-in's USDT, seen at once and paid once its block is finalized", async () => {
  const { wallet, key } = await tronAccount();
  const session = await createSession({ amount: USD("12.34"), chain_id: TRON, token: "USDT" }, { key });

  // The Tron address is derived at the session's index from the Tron xpub, as a Tron wallet
  // derives it; the EVM address stays the session's `address`.
  assert.equal(session.address_tron, wallet.address(session.derivation_index));
  assert.match(session.address, /^0x[0-9a-fA-F]{40}$/);
  const [option] = session.supported_tokens;
  assert.equal(option.chain_id, TRON);
  assert.equal(option.address, session.address_tron);
  assert.equal(option.contract_address, "TKHqfuoj8LdpnbdxHZALyA68Gghps5oCVY");
  assert.equal(BigInt(option.amount), 12_340_000n);
  assert.equal(session.payment_uri, null, "no EIP-681 on Tron");
  assert.equal(session.confirmations_required, 1);

  const view = await shopperView(session);
  assert.equal(view.address_tron, session.address_tron);
  assert.equal(view.selected.address, session.address_tron);
  assert.equal(view.selected.tron, true);
  assert.equal(view.payment_uri, null);
  assert.equal(view.wallet_transaction, null, "no browser-wallet transaction for Tron");

  const before = await proxy();
  await transfer(hex20(session.address_tron), 12_340_000n, "USDT", TRON);
  await mine(2, TRON);
  await runScheduled();
  const detected = await getSession(session.id, { key });
  assert.equal(detected.status, "detected", "seen, not final: its block is above the finalized one");
  assert.equal(detected.payments.length, 1);
  assert.equal(BigInt(detected.payments[0].amount), 12_340_000n);
  assert.equal(detected.payments[0].confirmations, 0);
  assert.equal(detected.payments[0].counted, true);

  await mine(FINALITY_LAG, TRON);
  await runScheduled();
  const paid = await getSession(session.id, { key });
  assert.equal(paid.status, "paid", JSON.stringify(paid.payments));
  assert.equal(BigInt(paid.amount_received), 12_340_000n);
  assert.equal(paid.payments[0].status, "confirmed");
  assert.equal(paid.payments[0].reason, null);
  const types = await eventTypes(session.id, { key });
  assert.ok(types.includes("session.paid"), types.join(", "));
  assert.ok(types.includes("session.detected"), types.join(", "));

  // The worker never sent the stand-in a batch, and every request carried the API key:
  // the proxy refuses both (as TronGrid does) and counts the refusals.
  const after = await proxy();
  assert.equal(after.refused, 0);
  assert.ok(after.served > before.served, "the watcher read the chain");
  assert.equal(after.calls - before.calls, after.served - before.served, "one call per request");

  // Kasse prepares no Tron refund (no Tron signer in the CLI or the console) and verifies
  // no Tron sweep: both are refused plainly, nothing is written.
  const refund = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: {} });
  const e = assertError(refund, 400, "invalid_request_error", "refund_not_available");
  assert.match(e.message, /Local Tron/);
  assert.equal(ok(await api("GET", `/v1/refunds?session=${session.id}`, { token: key })).data.length, 0);
  const sweep = await api("POST", "/v1/sweeps", { token: key, json: { chain_id: TRON, tx_hash: `0x${"ab".repeat(32)}` } });
  assertError(sweep, 400, "invalid_request_error", "chain_unsupported");
});

test("the shopper's check finds a Tron payment by its hash at the Tron address, before the cron", async () => {
  const { key } = await tronAccount();
  const session = await createSession({ amount: USD("3.00"), chain_id: TRON, token: "USDT" }, { key });
  const hash = await transfer(hex20(session.address_tron), 3_000_000n, "USDT", TRON);
  const res = await shopperApi("POST", session, "/check", { json: { tx_hash: hash } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const checked = await getSession(session.id, { key });
  assert.equal(checked.payments.length, 1, JSON.stringify(checked));
  assert.equal(checked.payments[0].tx_hash, hash);
  assert.equal(BigInt(checked.payments[0].amount), 3_000_000n);
  assert.equal(checked.status, "detected", "not final until the finalized block passes it");
});

test("a Tron option is offered only to a mode with a Tron xpub, beside the EVM options", async () => {
  const { key } = await tronAccount();
  const both = await createSession({ amount: USD("5.00"), ...ANY_OPTION }, { key });
  const tron = both.supported_tokens.filter((t) => t.chain_id === TRON);
  assert.deepEqual(tron.map((t) => t.token), ["USDT"]);
  assert.equal(tron[0].address, both.address_tron);
  for (const evm of both.supported_tokens.filter((t) => t.chain_id !== TRON)) {
    assert.equal(evm.address, both.address, `${evm.token} on ${evm.chain_id} is paid to the EVM address`);
  }

  const plain = await newAccount();
  const evmOnly = await createSession({ amount: USD("5.00"), ...ANY_OPTION }, { key: plain.keys.sk_test });
  assert.ok(evmOnly.supported_tokens.length > 0);
  assert.ok(evmOnly.supported_tokens.every((t) => t.chain_id !== TRON));
  assert.equal(evmOnly.address_tron, null);
  const refused = await api("POST", "/v1/checkout_sessions", {
    token: plain.keys.sk_test,
    json: { amount: USD("5.00"), chain_id: TRON, token: "USDT" },
  });
  assert.equal(assertError(refused, 400, "invalid_request_error", "option_unavailable").param, "token");
});

test("the Tron xpub is set once per mode, by the key of that mode only", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const got = ok(await api("GET", "/v1/account", { token: key }));
  assert.equal(got.xpub_tron_test, null);
  assert.ok(!("xpub_tron_live" in got), "a test key sees nothing of live mode");

  // A test key can never set the live Tron xpub; nothing is written.
  const live = tronWallet();
  const other = await api("POST", "/v1/account", { token: key, json: { xpub_tron_live: live.xpub } });
  assert.equal(assertError(other, 403, "permission_error", "livemode_mismatch").param, "xpub_tron_live");

  // Not the EVM xpub under another name, not a malformed one.
  const sameAsEvm = await api("POST", "/v1/account", { token: key, json: { xpub_tron_test: got.xpub_test } });
  assert.equal(assertError(sameAsEvm, 400, "invalid_request_error", "xpub_invalid").param, "xpub_tron_test");
  const garbage = await api("POST", "/v1/account", { token: key, json: { xpub_tron_test: "xpub-nope" } });
  assert.equal(assertError(garbage, 400, "invalid_request_error", "xpub_invalid").param, "xpub_tron_test");

  const wallet = tronWallet();
  const set = ok(await api("POST", "/v1/account", { token: key, json: { xpub_tron_test: wallet.xpub } }));
  assert.equal(set.xpub_tron_test, wallet.xpub);
  assert.equal(set.keys, undefined, "no new keys: the mode had them");
  // The same one again changes nothing; another is refused.
  ok(await api("POST", "/v1/account", { token: key, json: { xpub_tron_test: wallet.xpub } }));
  const swap = await api("POST", "/v1/account", { token: key, json: { xpub_tron_test: tronWallet().xpub } });
  assert.equal(assertError(swap, 409, "invalid_request_error", "xpub_immutable").param, "xpub_tron_test");
  // Another account cannot register the same Tron wallet.
  const elsewhere = await newAccount();
  const taken = await api("POST", "/v1/account", { token: elsewhere.keys.sk_test, json: { xpub_tron_test: wallet.xpub } });
  assertError(taken, 400, "invalid_request_error", "xpub_in_use");

  const session = await createSession({ amount: USD("1.00"), chain_id: TRON, token: "USDT" }, { key });
  assert.equal(session.address_tron, wallet.address(session.derivation_index));
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).xpub_tron_test, wallet.xpub);
});

test("the operator registers a Tron xpub only with its mode's EVM xpub", async () => {
  const wallet = tronWallet();
  const admin = (json) => api("POST", "/v1/admin/accounts", { token: env.admin_token, json });
  const alone = await admin({ xpub_test: await randomXpub(), xpub_tron_live: wallet.xpub });
  assert.equal(assertError(alone, 400, "invalid_request_error", "parameter_missing").param, "xpub_live");
  const created = ok(await admin({ xpub_test: await randomXpub(), xpub_tron_test: wallet.xpub }));
  const got = ok(await api("GET", "/v1/account", { token: created.keys.sk_test }));
  assert.equal(got.xpub_tron_test, wallet.xpub);
  // One Tron wallet, one account.
  const again = await admin({ xpub_test: await randomXpub(), xpub_tron_test: wallet.xpub });
  assertError(again, 400, "invalid_request_error", "xpub_in_use");
});

test("the operator's account tool registers a Tron xpub with the mode's EVM xpub", async () => {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const cli = new URL("../../xtask/account.mjs", import.meta.url).pathname;
  const wallet = tronWallet();
  const opts = { env: { ...process.env, KASSE_ADMIN_TOKEN: env.admin_token, KASSE_OUTPUT: "json" } };
  const args = ["create", "--url", base, "--xpub-test", await randomXpub(), "--xpub-tron-test", wallet.xpub];
  const { stdout } = await promisify(execFile)("node", [cli, ...args], opts);
  const account = JSON.parse(stdout);
  assert.equal(ok(await api("GET", "/v1/account", { token: account.keys.sk_test })).xpub_tron_test, wallet.xpub);
});
