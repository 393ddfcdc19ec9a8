// Wrong-network rescue, on the two local EVM chains: a deposit address is the same key on
// every EVM chain, so every session's address is watched for the catalogue's tokens on every
// served chain of its mode. A transfer on a chain the session does not offer is recorded
// uncounted with reason `network_mismatch`, raises `session.payment_unexpected` once (also
// before a selection), shows in the shopper's view, counts in the balances and can be
// refunded; watching it costs no request per session.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ethers, HDNodeWallet, Mnemonic } from "ethers";
import { cliRunner } from "../support/cli.mjs";
import {
  ANY_OPTION,
  L2_CHAIN,
  LOCAL_CHAIN,
  advance,
  api,
  chainEnv,
  chainHealth,
  createSession,
  env,
  mine,
  newAccount,
  ok,
  payAndWatch,
  runScheduled,
  sessionEvents,
  shopperView,
} from "../support/env.mjs";

/** $49.99 in an 18-decimal stablecoin: cents × 10^16, exactly. */
const L2_AMOUNT = 49_990_000_000_000_000_000n;

/** A fresh shop, so its balances and sessions are this test's alone; `settings` go to
 * `POST /v1/account`. */
async function shop(settings) {
  const account = await newAccount({ display_name: "Rescue shop" });
  const key = account.keys.sk_test;
  if (settings) ok(await api("POST", "/v1/account", { token: key, json: settings }));
  return key;
}

/** The session's `session.payment_unexpected` events. */
async function unexpected(id, key) {
  return (await sessionEvents(id, { key })).filter((e) => e.type === "session.payment_unexpected");
}

/** Sends 49.99 USDC on the L2 to `session`, mines past its confirmations and runs the watcher
 * twice (the second run sees the head past the payment). Returns the merchant's session. */
async function payOnL2(session, key) {
  const now = await payAndWatch(session, { amount: L2_AMOUNT, token: "USDC", chain: L2_CHAIN, blocks: 3, key });
  await runScheduled();
  return now;
}

/** Checks that `p` is the L2 USDC transfer, recorded and not counted because of its network. */
function assertMismatch(p) {
  assert.ok(p, "the L2 transfer is recorded");
  assert.equal(p.chain_id, L2_CHAIN);
  assert.equal(p.token, "USDC");
  assert.equal(BigInt(p.amount), L2_AMOUNT);
  assert.equal(p.counted, false);
  assert.equal(p.reason, "network_mismatch");
}

test("a session offered on both chains is paid on the L2 with 18-decimal USDT, to the base unit", async () => {
  const key = await shop();
  const session = await createSession({ ...ANY_OPTION }, { key });
  const option = session.supported_tokens.find((t) => t.chain_id === L2_CHAIN && t.token === "USDT");
  assert.ok(option, JSON.stringify(session.supported_tokens));
  assert.ok(session.supported_tokens.some((t) => t.chain_id === LOCAL_CHAIN), "the first chain is offered too");
  assert.equal(option.decimals, 18);
  assert.equal(BigInt(option.amount), L2_AMOUNT);
  assert.equal(option.amount_formatted, "49.99");

  const now = await payAndWatch(session, { amount: L2_AMOUNT, token: "USDT", chain: L2_CHAIN, blocks: 2, key });
  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.chain_id, L2_CHAIN);
  assert.equal(now.selected_token, "USDT");
  assert.equal(BigInt(now.amount_received), L2_AMOUNT);
  assert.equal(BigInt(now.amount_excess), 0n);
  assert.equal(now.payments.length, 1);
  assert.equal(now.payments[0].counted, true);
  assert.equal(now.payments[0].reason, null);
  assert.equal(now.payment_amount.value, L2_AMOUNT.toString());
});

test("USDC sent on the L2 to a session fixed to USDC on the first chain: recorded as network_mismatch, raised once, shown to the shopper, in the balances and refundable", async () => {
  const key = await shop();
  const session = await createSession({}, { key });
  assert.deepEqual(
    session.supported_tokens.map((t) => `${t.chain_id}:${t.token}`),
    [`${LOCAL_CHAIN}:USDC`],
  );
  const now = await payOnL2(session, key);
  assert.equal(now.status, "pending", "the status does not move");
  assert.equal(now.amount_received, "0");
  assert.equal(now.amount_pending, "0");
  assert.equal(now.chain_id, LOCAL_CHAIN, "the selection stays");
  assert.equal(now.payments.length, 1);
  const [payment] = now.payments;
  assertMismatch(payment);
  assert.match(payment.id, /^pay_/);

  const events = await unexpected(session.id, key);
  assert.equal(events.length, 1, "one event, however many runs");
  assert.equal(events[0].data.payment.tx_hash, payment.tx_hash);
  assert.equal(events[0].data.payment.reason, "network_mismatch");
  assert.equal(events[0].data.payment.amount, L2_AMOUNT.toString());
  assert.equal(events[0].data.object.status, "pending");

  const view = await shopperView(session);
  assert.equal(view.status, "pending");
  assert.equal(view.payments.length, 1);
  assert.equal(view.payments[0].reason, "network_mismatch");
  assert.equal(view.payments[0].chain, "Local L2 (anvil)");
  assert.equal(view.payments[0].amount_formatted, "49.99");
  assert.equal(view.payments[0].amount, L2_AMOUNT.toString());
  assert.ok(view.payment_uri, "the shopper can still pay the right way");

  const balances = ok(await api("GET", "/v1/balances", { token: key })).data;
  const l2 = balances.find((b) => b.chain_id === L2_CHAIN && b.token === "USDC");
  assert.ok(l2, JSON.stringify(balances));
  assert.equal(BigInt(l2.received), L2_AMOUNT);
  assert.equal(BigInt(l2.at_deposit_addresses), L2_AMOUNT);
  assert.equal(l2.received_formatted, "49.99");
  assert.equal(l2.decimals, 18);
  assert.equal(balances.find((b) => b.chain_id === LOCAL_CHAIN && b.token === "USDC"), undefined, "nothing arrived on the first chain");

  const res = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: { payment: payment.id } });
  const refund = ok(res, 201);
  assert.equal(refund.payment, payment.id);
  assert.equal(refund.chain_id, L2_CHAIN);
  assert.equal(refund.token, "USDC");
  assert.equal(refund.decimals, 18);
  assert.equal(refund.amount, L2_AMOUNT.toString());
  assert.equal(refund.contract_address.toLowerCase(), chainEnv(L2_CHAIN).contracts.USDC.toLowerCase());

  // More runs raise nothing more.
  await mine(1, L2_CHAIN);
  await runScheduled();
  assert.equal((await unexpected(session.id, key)).length, 1);
});

test("a wrong-network payment to a session with no selection yet raises the event at once and selects nothing", async () => {
  const key = await shop({ enabled_options: [`${LOCAL_CHAIN}:USDC`, `${LOCAL_CHAIN}:USDT`] });
  const session = await createSession({ ...ANY_OPTION }, { key });
  assert.equal(session.chain_id, null);
  assert.ok(session.supported_tokens.every((t) => t.chain_id === LOCAL_CHAIN), JSON.stringify(session.supported_tokens));

  const now = await payOnL2(session, key);
  assert.equal(now.status, "pending");
  assert.equal(now.chain_id, null, "nothing is selected");
  assert.equal(now.selected_token, null);
  assert.equal(now.amount_received, "0");
  assertMismatch(now.payments[0]);
  const events = await unexpected(session.id, key);
  assert.equal(events.length, 1);
  assert.equal(events[0].data.payment.reason, "network_mismatch");
  assert.equal(events[0].data.object.chain_id, null);
});

test("the L2's requests per run are the same with 1 and with 30 open sessions watched there", async () => {
  const key = await shop();
  const proxy = `${chainEnv(L2_CHAIN).worker_rpc_url}/__fault`;
  const served = async () => (await (await fetch(proxy)).json()).served;
  /** One run's requests to the L2's proxy, and the subrequests the run reports for the L2. */
  async function run() {
    const before = await served();
    await runScheduled();
    const requests = (await served()) - before;
    const report = (await chainHealth()).last_run.chains.find((c) => c.chain_id === L2_CHAIN);
    return { requests, subrequests: report.subrequests };
  }

  await createSession({}, { key });
  await runScheduled();
  const one = await run();
  for (let i = 0; i < 29; i += 1) await createSession({}, { key });
  await runScheduled();
  const thirty = await run();
  console.log(`rescue: L2 requests per run: ${one.requests} (${one.subrequests} reported) with 1 session, ${thirty.requests} (${thirty.subrequests}) with 30`);
  assert.ok(one.subrequests > 0, "the L2 is scanned");
  assert.equal(thirty.subrequests, one.subrequests);
  assert.equal(thirty.requests, one.requests);
});

test("once the session is final, kasse sweep plans the wrong-network payment on its chain, read from the chain", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kasse-rescue-"));
  try {
    const phrase = Mnemonic.fromEntropy(ethers.randomBytes(16)).phrase;
    const mnemonicFile = join(dir, "mnemonic.txt");
    writeFileSync(mnemonicFile, `${phrase}\n`, { mode: 0o600 });
    const xpub = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
    const key = (await newAccount({ display_name: "Rescue sweep shop", xpub_test: xpub })).keys.sk_test;
    const session = await createSession({}, { key });
    await payOnL2(session, key);
    await advance(session.id, 88_300, { key }); // past late_until: final, and so sweepable
    await runScheduled();

    const { kasseOk } = cliRunner(() => ({
      HOME: dir,
      KASSE_URL: env.worker_url,
      KASSE_API_KEY: key,
      [`KASSE_RPC_${L2_CHAIN}`]: chainEnv(L2_CHAIN).rpc_url,
      KASSE_MNEMONIC_FILE: mnemonicFile,
      KASSE_TREASURY: ethers.Wallet.createRandom().address,
    }));
    const out = await kasseOk(["sweep", "--chain", String(L2_CHAIN)]);
    const lines = out.split("\n");
    const header = lines.find((l) => l.startsWith("SESSION "))?.split(/\s+/);
    const cells = lines.find((l) => l.startsWith(session.id))?.split(/\s+/);
    assert.ok(header && cells, out);
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    assert.equal(row.ADDRESS, session.address);
    assert.equal(row.USDC, "49.99", out);
    assert.equal(row.USDT, "0");
    assert.match(out, /nothing was sent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
