// Verifying refunds on the local chain: the watcher finds the transfer that pays a pending
// refund (exactly its amount, of its token, to its address, after it was created) with or
// without a reported hash, records it, and makes the refund `succeeded` once it is as deep as
// the account's payments must be, with `refund.succeeded`; a reorg takes it back to pending.
// `POST /v1/refunds/{id}/submit` verifies a reported transaction at once. Watching refunds
// costs the scan no request: their addresses join its `Transfer` filter.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import {
  PAYER, api, assertError, chainHealth, env, mine, newAccount, newHook, paidSession, rpc, runScheduled, sendMint, transfer,
} from "../support/env.mjs";
import { withReceiver } from "../support/receiver.mjs";

/** A merchant of these tests alone (its endpoints and refunds are nobody else's). */
let key;
/** Confirmations the merchant's refunds need on the local chain. */
let required;

before(async () => {
  key = (await newAccount({ display_name: "Refund verification" })).keys.sk_test;
  const account = await api("GET", "/v1/account", { token: key });
  assert.equal(account.status, 200, JSON.stringify(account.body));
  required = 2 + (account.body.extra_confirmations?.["31337"] ?? 0);
});

/** A fresh address nobody has ever paid. */
const freshAddress = () => ethers.Wallet.createRandom().address;

/** 1.5 USDC, in base units. */
const AMOUNT = 1_500_000n;

/** A paid $49.99 USDC session and a pending refund of `amount` to a fresh address. */
async function pendingRefund({ amount = AMOUNT, address = freshAddress(), session, merchantKey = key } = {}) {
  session ??= await paidSession({}, { key: merchantKey });
  const res = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, {
    token: merchantKey,
    json: { amount: String(amount), address },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.status, "pending");
  assert.equal(res.body.address, address);
  return { session, refund: res.body, to: address };
}

async function getRefund(id, merchantKey = key) {
  const res = await api("GET", `/v1/refunds/${id}`, { token: merchantKey });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const submit = (id, txHash, merchantKey = key) =>
  api("POST", `/v1/refunds/${id}/submit`, { token: merchantKey, json: { tx_hash: txHash } });

/** The block and log index of the token transfer to `to` in a mined transaction. */
async function mined(hash, to) {
  // A transaction that reverts is mined like any other, but may land a block later.
  let receipt = await rpc("eth_getTransactionReceipt", [hash]);
  for (let i = 0; !receipt && i < 100; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    receipt = await rpc("eth_getTransactionReceipt", [hash]);
  }
  assert.ok(receipt, `${hash} is mined`);
  const topic = `0x${to.slice(2).toLowerCase().padStart(64, "0")}`;
  const log = receipt.logs.find((l) => l.topics[2]?.toLowerCase() === topic);
  return { block: Number(receipt.blockNumber), logIndex: log ? Number(log.logIndex) : null, status: receipt.status };
}

const word = (hex) => hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");

/** Sends (from `from`, an unlocked anvil account) an ERC-20 `transfer(to, amount)` of a local
 * token with a fixed gas limit, so a transfer that reverts is mined all the same. */
function sendTokenTransfer(token, to, amount, from = PAYER) {
  const data = `0xa9059cbb${word(to)}${word(BigInt(amount).toString(16))}`;
  return rpc("eth_sendTransaction", [{ from, to: env.contracts[token], gas: "0x30000", data }]);
}

/** The local chain's figures of the last scheduled run. */
async function lastRun() {
  return (await chainHealth()).last_run.chains.find((c) => c.chain_id === 31337);
}

test("watcher: a plain USDC transfer from any wallet completes a pending refund after its confirmations; refund.succeeded is delivered once", async () => {
  await withReceiver(async (receiver) => {
    await newHook(receiver, { key, events: ["refund.succeeded"] });
    const { refund, to } = await pendingRefund();

    // Another amount, another token: neither completes it, however deep.
    await transfer(to, AMOUNT - 1n, "USDC");
    await transfer(to, AMOUNT + 1n, "USDC");
    await transfer(to, AMOUNT, "USDT");
    await mine(required + 1);
    await runScheduled();
    let now = await getRefund(refund.id);
    assert.equal(now.status, "pending");
    assert.equal(now.transaction, null);
    assert.equal(now.version, refund.version, "nothing was written");

    const hash = await transfer(to, AMOUNT, "USDC");
    const { block, logIndex } = await mined(hash, to);
    await runScheduled();
    now = await getRefund(refund.id);
    assert.equal(now.status, "pending", "one confirmation is not enough");
    assert.deepEqual(now.transaction, { tx_hash: hash, log_index: logIndex, block_number: block, confirmations: 1 });
    assert.equal(now.submitted_hash, null, "found without a reported hash");
    assert.equal(now.succeeded_at, null);

    await mine(required - 1);
    await runScheduled();
    now = await getRefund(refund.id);
    assert.equal(now.status, "succeeded", JSON.stringify(now));
    assert.deepEqual(now.transaction, { tx_hash: hash, log_index: logIndex, block_number: block, confirmations: required });
    assert.equal(now.amount, "1500000");
    assert.ok(now.succeeded_at);

    await receiver.until((reqs) => reqs.some((r) => r.json?.data?.object?.id === refund.id), 20_000, "refund.succeeded");
    await mine(1);
    await runScheduled();
    const delivered = receiver.processed().filter((r) => r.json?.data?.object?.id === refund.id);
    assert.equal(delivered.length, 1, "one event, delivered once");
    const [event] = delivered;
    assert.ok(event.verified, "verified with the official standardwebhooks library");
    assert.equal(event.json.type, "refund.succeeded");
    const object = event.json.data.object;
    assert.equal(object.status, "succeeded");
    assert.equal(object.amount, "1500000");
    assert.equal(object.token, "USDC");
    assert.equal(object.address, to);
    assert.equal(object.transaction.tx_hash, hash);
    assert.equal(object.transaction.block_number, block);
    assert.equal(object.transaction.confirmations, required, "as deep as when it succeeded");
    assert.equal(object.claim_url, null, "events never carry the claim link");
    assert.equal((await getRefund(refund.id)).version, now.version, "a succeeded refund is final");
  });
});

test("watcher: a transfer mined at or before the refund's creation block does not pay it, nor does it by hash", async () => {
  const to = freshAddress();
  const early = await transfer(to, AMOUNT, "USDC");
  await runScheduled(); // the head the refund is created at is the one the watcher recorded
  const { refund } = await pendingRefund({ address: to });
  const { block } = await mined(early, to);
  assert.ok(block > 0);
  await mine(required + 1);
  await runScheduled();
  const now = await getRefund(refund.id);
  assert.equal(now.status, "pending");
  assert.equal(now.transaction, null);

  const e = assertError(await submit(refund.id, early), 400, "invalid_request_error", "refund_transfer_mismatch");
  assert.equal(e.param, "tx_hash");
  assert.match(e.message, /before the refund was created/);
  const after = await getRefund(refund.id);
  assert.equal(after.submitted_hash, null, "nothing kept");
  assert.equal(after.version, refund.version);
});

test("watcher: a reorg that removes the refund's transfer returns it to pending; mined again, it completes it", async () => {
  const { refund, to } = await pendingRefund();
  const hash = await transfer(to, AMOUNT, "USDC");
  const raw = await rpc("eth_getRawTransactionByHash", [hash]);
  await runScheduled();
  let now = await getRefund(refund.id);
  assert.equal(now.transaction?.tx_hash, hash, JSON.stringify(now));
  assert.equal(now.status, "pending");

  // Replace the transfer's block with an empty one at the same height.
  await rpc("anvil_reorg", [1, []]);
  await runScheduled();
  now = await getRefund(refund.id);
  assert.equal(now.status, "pending", JSON.stringify(now));
  assert.equal(now.transaction, null, "the transfer left the chain");
  await mine(required + 1);
  await runScheduled();
  now = await getRefund(refund.id);
  assert.equal(now.status, "pending", "it never comes back by itself");
  assert.equal(now.transaction, null);

  // The same signed transfer mined again, in a later block.
  await rpc("eth_sendRawTransaction", [raw]);
  await mine(required);
  await runScheduled();
  now = await getRefund(refund.id);
  assert.equal(now.status, "succeeded", JSON.stringify(now));
  assert.equal(now.transaction.tx_hash, hash);
  assert.equal(now.transaction.block_number, (await mined(hash, to)).block);
});

test("watcher: the account's extra confirmations hold a refund back as they hold payments", async () => {
  const account = await newAccount({ display_name: "Careful shop" });
  const careful = account.keys.sk_test;
  const session = await paidSession({}, { key: careful });
  const set = await api("POST", "/v1/account", { token: careful, json: { extra_confirmations: { 31337: 2 } } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const { refund, to } = await pendingRefund({ session, merchantKey: careful });
  await transfer(to, AMOUNT, "USDC");
  await mine(2); // three confirmations of four
  await runScheduled();
  let now = await getRefund(refund.id, careful);
  assert.equal(now.status, "pending");
  assert.equal(now.transaction.confirmations, 3);
  await mine(1);
  await runScheduled();
  now = await getRefund(refund.id, careful);
  assert.equal(now.status, "succeeded");
  assert.equal(now.transaction.confirmations, 4);
});

test("submit: a transaction not mined yet is kept and read again until the watcher completes the refund", async () => {
  const { refund, to } = await pendingRefund();
  await sendMint("USDC", PAYER, AMOUNT);
  await rpc("evm_mine", []);
  const automine = await rpc("anvil_getAutomine", []);
  await rpc("evm_setAutomine", [false]);
  let hash;
  try {
    hash = await sendTokenTransfer("USDC", to, AMOUNT);
    const res = await submit(refund.id, hash);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, "pending");
    assert.equal(res.body.submitted_hash, hash);
    assert.equal(res.body.transaction, null);
    assert.equal(res.body.version, refund.version + 1);
    await rpc("evm_mine", []);
  } finally {
    await rpc("evm_setAutomine", [automine]);
  }
  await mine(required - 1);
  await runScheduled();
  const now = await getRefund(refund.id);
  assert.equal(now.status, "succeeded", JSON.stringify(now));
  assert.equal(now.transaction.tx_hash, hash);
  assert.equal(now.submitted_hash, hash);
});

test("submit: a mined transaction that does not pay the refund is refused (400) and nothing is kept", async () => {
  const { refund, to } = await pendingRefund();
  const cases = [
    ["one base unit less", await transfer(to, AMOUNT - 1n, "USDC"), /it sends 1\.499999 USDC \(1499999 base units\)/],
    ["another token", await transfer(to, AMOUNT, "USDT"), /it sends no USDC to/],
    ["another address", await transfer(freshAddress(), AMOUNT, "USDC"), /it sends no USDC to/],
  ];
  for (const [what, hash, message] of cases) {
    const e = assertError(await submit(refund.id, hash), 400, "invalid_request_error", "refund_transfer_mismatch");
    assert.equal(e.param, "tx_hash", what);
    assert.match(e.message, message, what);
    assert.match(e.message, /exactly 1\.5 USDC \(1500000 base units\)/, what);
  }
  const now = await getRefund(refund.id);
  assert.equal(now.submitted_hash, null, "nothing kept");
  assert.equal(now.version, refund.version, "nothing written");
  assert.equal(now.status, "pending");

  assertError(await submit(refund.id, "0x1234"), 400, "invalid_request_error", "parameter_invalid");
  const missing = assertError(await api("POST", `/v1/refunds/${refund.id}/submit`, { token: key, json: {} }), 400, "invalid_request_error", "parameter_missing");
  assert.equal(missing.param, "tx_hash");
  const hash = cases[0][1];
  assertError(await submit("re_test_000000000000000000000000", hash), 404, "not_found_error", "resource_missing");
  const stranger = (await newAccount({ display_name: "Stranger" })).keys.sk_test;
  assertError(await submit(refund.id, hash, stranger), 404, "not_found_error", "resource_missing");
});

test("submit: a reverted transaction fails the refund with refund.failed", async () => {
  await withReceiver(async (receiver) => {
    await newHook(receiver, { key, events: ["refund.failed"] });
    const { refund, to } = await pendingRefund();
    // anvil's account #6 holds no USDC: its transfer reverts.
    const broke = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
    const hash = await sendTokenTransfer("USDC", to, AMOUNT, broke);
    assert.equal((await mined(hash, to)).status, "0x0");
    const res = await submit(refund.id, hash);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, "failed");
    assert.equal(res.body.failure_code, "transaction_reverted");
    assert.match(res.body.failure_message, /reverted/);
    assert.equal(res.body.submitted_hash, hash);
    assert.equal(res.body.transaction, null);
    await receiver.until((reqs) => reqs.some((r) => r.json?.data?.object?.id === refund.id), 20_000, "refund.failed");
    const [event] = receiver.processed().filter((r) => r.json?.data?.object?.id === refund.id);
    assert.ok(event.verified);
    assert.equal(event.json.type, "refund.failed");
    assert.equal(event.json.data.object.failure_code, "transaction_reverted");
    assertError(await submit(refund.id, hash), 409, "invalid_request_error", "refund_not_pending");
  });
});

test("submit: a matching transfer that is deep enough succeeds at once; a refund that is not pending refuses any report (409)", async () => {
  const { refund, to } = await pendingRefund();
  const hash = await transfer(to, AMOUNT, "USDC");
  const { block, logIndex } = await mined(hash, to);
  await mine(required - 1);
  const res = await submit(refund.id, hash);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "succeeded");
  assert.deepEqual(res.body.transaction, { tx_hash: hash, log_index: logIndex, block_number: block, confirmations: required });
  assert.equal(res.body.submitted_hash, hash);
  assert.ok(res.body.succeeded_at);
  assert.deepEqual(await getRefund(refund.id).then(({ transaction, ...r }) => r), (({ transaction, ...r }) => r)(res.body));

  const again = assertError(await submit(refund.id, hash), 409, "invalid_request_error", "refund_not_pending");
  assert.match(again.message, /succeeded/);

  // Without an address yet, and canceled: nothing to report either.
  const session = await paidSession({}, { key });
  const created = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: { amount: "1000000" } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, "requires_address");
  assertError(await submit(created.body.id, hash), 409, "invalid_request_error", "refund_not_pending");
  const { refund: canceled } = await pendingRefund({ session, amount: 1_000_000n });
  assert.equal((await api("POST", `/v1/refunds/${canceled.id}/cancel`, { token: key })).status, 200);
  assertError(await submit(canceled.id, hash), 409, "invalid_request_error", "refund_not_pending");
});

test("ETH: a native refund is verified from its reported hash, by the transaction's recipient and value", async () => {
  const session = await paidSession({ token: "ETH" }, { key });
  const amount = 1_000_000_000_000_000n; // 0.001 ETH
  const { refund, to } = await pendingRefund({ session, amount });
  assert.equal(refund.token, "ETH");
  assert.equal(refund.contract_address, null);

  // Without a hash the watcher cannot tell a coin transfer apart: the refund waits for one.
  const wrong = await transfer(to, amount - 1n, "ETH");
  const hash = await transfer(to, amount, "ETH");
  await runScheduled();
  assert.equal((await getRefund(refund.id)).transaction, null);

  const e = assertError(await submit(refund.id, wrong), 400, "invalid_request_error", "refund_transfer_mismatch");
  assert.match(e.message, /it sends 0\.000999999999999999 ETH/);
  const res = await submit(refund.id, hash);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { block } = await mined(hash, to);
  assert.equal(res.body.transaction.tx_hash, hash);
  assert.equal(res.body.transaction.log_index, null);
  assert.equal(res.body.transaction.block_number, block);
  assert.equal(res.body.status, required <= 1 ? "succeeded" : "pending");

  await mine(required);
  await runScheduled();
  const now = await getRefund(refund.id);
  assert.equal(now.status, "succeeded", JSON.stringify(now));
  assert.equal(now.transaction.tx_hash, hash);
  assert.equal(now.amount, String(amount));
});

test("watching pending refunds adds no request to the scan; the reported hashes it reads again cost one batch, whatever their number", async () => {
  const proxy = async () => (await fetch(`${env.worker_rpc_url}/__fault`)).json();
  async function run() {
    const before = await proxy();
    await runScheduled();
    const after = await proxy();
    const local = await lastRun();
    return { requests: after.served - before.served, scanRequests: local.subrequests, calls: local.rpc_calls, failed: local.refunds_failed };
  }
  const session = await paidSession({}, { key });
  await runScheduled();
  const baseline = await run();
  assert.equal((await run()).scanRequests, baseline.scanRequests, "a quiet run costs the same each time");

  const refunds = [];
  for (let i = 0; i < 6; i += 1) refunds.push((await pendingRefund({ session, amount: 1_000_000n })).refund);
  const watching = await run();
  assert.equal(watching.scanRequests, baseline.scanRequests, "no request for pending refunds");
  assert.equal(watching.requests, baseline.requests, "the RPC proxy saw as many requests");
  assert.equal(watching.failed, 0);

  // Reported hashes no node knows: each run reads their receipts and transactions again.
  const report = async (refund) => {
    const res = await submit(refund.id, ethers.hexlify(ethers.randomBytes(32)));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, "pending");
  };
  await report(refunds[0]);
  const one = await run();
  await report(refunds[1]);
  await report(refunds[2]);
  const three = await run();
  console.log(
    `refund-verify: one run: ${baseline.scanRequests} scan request(s) and ${baseline.calls} calls without refunds; ` +
      `${watching.scanRequests} and ${watching.calls} with 6 pending; ${one.scanRequests} and ${one.calls} with 1 reported hash; ${three.scanRequests} and ${three.calls} with 3`,
  );
  // One batch more, unless another suite's refund had a reported hash already.
  assert.ok([baseline.scanRequests, baseline.scanRequests + 1].includes(one.scanRequests), "one batch for the reported hashes");
  assert.equal(three.scanRequests, one.scanRequests, "the same batch for three");
  assert.equal(three.requests, one.requests);
  assert.equal(three.calls, one.calls + 4, "two calls more for each hash");
  assert.equal(three.failed, 0);
  for (const refund of refunds) {
    assert.equal((await api("POST", `/v1/refunds/${refund.id}/cancel`, { token: key })).status, 200);
  }
});
