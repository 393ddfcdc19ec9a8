// Sweeps through the API: the merchant's tool reports the transaction that emptied deposit
// addresses (`POST /v1/sweeps`), the watcher verifies it from its receipt, and the sweep, the
// sessions' `swept`, the balances and the `sweep.*` events say what moved. Real sweeps on the
// local chain: a Sweeper deployed here, deposit keys derived from the account's own mnemonic.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ethers, HDNodeWallet } from "ethers";
import { compile } from "../../xtask/chain/lib.mjs";
import { funded as fundedWith, newSweeper as newSweeperOn } from "../support/sweeper.mjs";
import {
  LOCAL_CHAIN,
  USD,
  api,
  assertError,
  d1,
  env,
  eventTypes,
  getSession,
  mine,
  newAccount,
  newHook,
  ok,
  paidSession,
  payAndWatch,
  runScheduled,
  transfer,
} from "../support/env.mjs";
import { withReceiver } from "../support/receiver.mjs";

let provider, payer, artifacts;

before(async () => {
  provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  payer = await provider.getSigner(9);
  artifacts = await compile();
});

after(() => provider.destroy());

/** The local chain's confirmations, plus the rescan margin: blocks after which the watcher has
 * moved past a payment. */
const PAST_THE_RESCAN = 8;

/** A fresh account with its own test wallet, whose mnemonic the test keeps (as the merchant's
 * CLI does), so its balances hold only this test's money. */
async function newMerchant() {
  const { phrase } = HDNodeWallet.createRandom().mnemonic;
  const xpub = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
  const account = await newAccount({ xpub_test: xpub });
  return { phrase, key: account.keys.sk_test, pk: account.keys.pk_test };
}

/** The deposit key of `session`, derived from its `derivation_index` as the CLI derives it. */
function depositKey({ phrase }, session) {
  const key = HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/60'/0'/0/${session.derivation_index}`);
  assert.equal(key.address, session.address, "the derived key is the session's deposit address");
  return key.connect(provider);
}

const funded = (eth) => fundedWith({ provider, payer }, eth);
const newSweeper = () => newSweeperOn({ provider, payer }, artifacts);

/** One type-4 transaction from the gas wallet: each deposit key delegates to the sweeper and
 * its USDC and ETH move to the treasury. */
async function sweepAll({ gasWallet, sweeper }, keys) {
  const authorizationList = [];
  for (const key of keys) authorizationList.push(await key.authorize({ address: sweeper.target, chainId: LOCAL_CHAIN }));
  const addresses = keys.map((k) => k.address);
  const tx = await sweeper.connect(gasWallet).sweepAll(addresses, [env.contracts.USDC], { type: 4, authorizationList });
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  return receipt;
}

const report = (key, tx_hash, chain_id = LOCAL_CHAIN) => api("POST", "/v1/sweeps", { token: key, json: { chain_id, tx_hash } });
const getSweep = async (key, id) => ok(await api("GET", `/v1/sweeps/${id}`, { token: key }));
const balances = async (key) => ok(await api("GET", "/v1/balances", { token: key }));

/** Mines past the chain's confirmations and runs the watcher, which verifies pending sweeps. */
async function verify() {
  await mine(2);
  await runScheduled();
}

/** Base units as the API formats them: whole tokens without trailing zeros. */
function formatted(amount, decimals) {
  return ethers.formatUnits(amount, decimals).replace(/\.0$/, "");
}

test("USDC and ETH sessions swept in one type-4 transaction: the sweep, the sessions' swept, the balances and sweep.succeeded say exactly what moved", async () => {
  const merchant = await newMerchant();
  const { key } = merchant;
  await withReceiver(async (receiver) => {
    const hook = await newHook(receiver, { key, events: ["sweep.succeeded"] });
    const usdcPaid = await paidSession({ amount: USD("1.25") }, { key });
    const ethPaid = await paidSession({ token: "ETH" }, { key });
    await mine(PAST_THE_RESCAN);
    await runScheduled();
    const before = [await getSession(usdcPaid.id, { key }), await getSession(ethPaid.id, { key })];
    const [usdcSession, ethSession] = before;
    assert.deepEqual(before.map((s) => s.swept), [[], []], "nothing has moved out yet");
    const ethAmount = BigInt(ethSession.amount_received);
    assert.equal(usdcSession.amount_received, "1250000");

    const fx = await newSweeper();
    const receipt = await sweepAll(fx, before.map((s) => depositKey(merchant, s)));
    const reported = ok(await report(key, receipt.hash));
    assert.match(reported.id, /^sw_[0-9A-Za-z]{24}$/);
    assert.equal(reported.object, "sweep");
    assert.equal(reported.status, "pending");
    assert.equal(reported.tx_hash, receipt.hash);
    assert.deepEqual(reported.transfers, []);
    assert.equal(reported.verified_at, null);
    // Another merchant reporting the same transaction: none of its addresses moved anything.
    const stranger = await newMerchant();
    const theirs = ok(await report(stranger.key, receipt.hash));
    assert.notEqual(theirs.id, reported.id);

    await verify();
    const theirsNow = await getSweep(stranger.key, theirs.id);
    assert.equal(theirsNow.status, "failed");
    assert.equal(theirsNow.failure_code, "no_deposit_transfers");
    assert.deepEqual(theirsNow.transfers, []);
    const sweep = await getSweep(key, reported.id);
    assert.equal(sweep.status, "succeeded", JSON.stringify(sweep));
    assert.equal(sweep.block_number, receipt.blockNumber);
    assert.equal(sweep.failure_code, null);
    assert.equal(sweep.chain_id, LOCAL_CHAIN);
    assert.equal(sweep.livemode, false);
    assert.ok(sweep.verified_at);
    const byToken = (a, b) => a.token.localeCompare(b.token);
    assert.deepEqual([...sweep.transfers].sort(byToken), [
      {
        session: ethSession.id, address: ethSession.address, to: fx.treasury, token: "ETH", contract_address: null,
        decimals: 18, amount: String(ethAmount), amount_formatted: formatted(ethAmount, 18),
      },
      {
        session: usdcSession.id, address: usdcSession.address, to: fx.treasury, token: "USDC",
        contract_address: ethers.getAddress(env.contracts.USDC), decimals: 6, amount: "1250000", amount_formatted: "1.25",
      },
    ]);
    assert.deepEqual(ok(await report(key, receipt.hash)), sweep, "the same transaction reported again is the same sweep");

    // The sessions: what moved out, and nothing else changed.
    for (const [i, was] of before.entries()) {
      const res = await api("GET", `/v1/checkout_sessions/${was.id}`, { token: key });
      const now = ok(res);
      assert.match(res.headers.get("kasse-d1-usage"), /^round_trips=1,/, "a retrieve stays one D1 round trip");
      if (i === 0) console.log(`sweeps: D1 usage of a session retrieve with swept: ${res.headers.get("kasse-d1-usage")}`);
      const moved = sweep.transfers.find((t) => t.session === was.id);
      assert.deepEqual(now.swept, [
        { sweep: sweep.id, chain_id: LOCAL_CHAIN, token: moved.token, amount: moved.amount, amount_formatted: moved.amount_formatted, tx_hash: receipt.hash, swept_at: sweep.verified_at },
      ]);
      const { swept, payments, ...rest } = now;
      const { swept: _, payments: paymentsBefore, ...restBefore } = before[i];
      assert.deepEqual(rest, restBefore, "status, amounts, version unchanged");
      assert.deepEqual(payments.map(({ confirmations, ...p }) => p), paymentsBefore.map(({ confirmations, ...p }) => p));
    }
    const listing = await api("GET", "/v1/checkout_sessions?limit=100", { token: key });
    const listed = ok(listing).data;
    console.log(`sweeps: D1 usage of a session list with swept: ${listing.headers.get("kasse-d1-usage")}`);
    assert.deepEqual(listed.map((s) => s.swept.length).sort(), [1, 1]);

    // The balances: everything received has left the deposit addresses.
    const expected = [
      { token: "ETH", contract_address: null, decimals: 18, amount: ethAmount },
      { token: "USDC", contract_address: ethers.getAddress(env.contracts.USDC), decimals: 6, amount: 1_250_000n },
    ];
    const balanceRow = ({ token, contract_address, decimals, amount }, left = 0n) => ({
      chain_id: LOCAL_CHAIN, chain: sweep.chain, token, contract_address, decimals,
      received: String(amount + left), received_formatted: formatted(amount + left, decimals),
      swept: String(amount), swept_formatted: formatted(amount, decimals),
      at_deposit_addresses: String(left), at_deposit_addresses_formatted: formatted(left, decimals),
    });
    const balancesRes = await api("GET", "/v1/balances", { token: key });
    console.log(`sweeps: D1 usage of GET /v1/balances: ${balancesRes.headers.get("kasse-d1-usage")}`);
    const got = ok(balancesRes);
    assert.equal(got.object, "balances");
    assert.equal(got.livemode, false);
    assert.deepEqual([...got.data].sort(byToken), expected.map((e) => balanceRow(e)));

    // sweep.succeeded: delivered, verified by the standardwebhooks library, the sweep as decided.
    await receiver.until((r) => r.some((q) => q.json?.type === "sweep.succeeded"), 15_000, "sweep.succeeded");
    const delivered = receiver.requests.filter((q) => q.json?.type === "sweep.succeeded");
    assert.equal(delivered.length, 1);
    assert.ok(delivered[0].verified, "signed as Standard Webhooks");
    assert.deepEqual(delivered[0].json.data.object, sweep);
    assert.ok(receiver.requests.every((q) => q.json?.type === "sweep.succeeded"), "the endpoint asked for sweep.succeeded only");
    const events = ok(await api("GET", "/v1/events?type=sweep.succeeded", { token: key })).data;
    assert.deepEqual(events.map((e) => e.data.object.id), [sweep.id]);
    assert.equal(events[0].id, delivered[0].json.id);
    assert.deepEqual(ok(await api("GET", `/v1/events/${events[0].id}`, { token: key })), delivered[0].json);
    assert.ok(hook.id);

    // ETH sent to the swept, delegated address is still a payment, and stays at the address.
    const late = 1_000_000_000_000_001n;
    const now = await payAndWatch(ethSession, { amount: late, token: "ETH", key });
    assert.equal(now.status, ethSession.status);
    assert.equal(now.amount_received, String(ethAmount + late));
    assert.equal(now.amount_excess, String(BigInt(ethSession.amount_excess) + late));
    assert.ok((await eventTypes(ethSession.id, { key })).includes("session.payment_after_close"));
    assert.equal(now.swept.length, 1, "a payment in is not a sweep");
    const after = await balances(key);
    assert.deepEqual([...after.data].sort(byToken), [balanceRow(expected[0], late), balanceRow(expected[1])]);
  });
});

test("reports: the same transaction twice is one sweep; bad hashes, unserved chains and publishable keys are refused; a sweep is its account's and mode's only", async () => {
  const merchant = await newMerchant();
  const { key } = merchant;
  const plain = await (await payer.sendTransaction({ to: ethers.Wallet.createRandom().address, value: 12_345n })).wait();

  const first = ok(await report(key, plain.hash));
  const second = ok(await report(key, plain.hash.toUpperCase().replace(/^0X/, "0x")));
  assert.equal(second.id, first.id, "the same hash, whatever its case, is the same sweep");

  assert.equal(assertError(await report(key, "0x1234"), 400, "invalid_request_error", "parameter_invalid").param, "tx_hash");
  assert.equal(assertError(await report(key, plain.hash.slice(2)), 400, "invalid_request_error", "parameter_invalid").param, "tx_hash");
  assert.equal(assertError(await report(key, plain.hash, "31337"), 400, "invalid_request_error", "parameter_invalid").param, "chain_id");
  assert.equal(assertError(await report(key, plain.hash, 1), 400, "invalid_request_error", "chain_unsupported").param, "chain_id");
  assertError(await report(merchant.pk, plain.hash), 403, "permission_error", "secret_key_required");
  for (const path of ["/v1/sweeps", `/v1/sweeps/${first.id}`, "/v1/balances", "/v1/chains"]) {
    assertError(await api("GET", path, { token: merchant.pk }), 403, "permission_error", "secret_key_required");
  }

  const other = await newMerchant();
  assertError(await api("GET", `/v1/sweeps/${first.id}`, { token: other.key }), 404, "not_found_error");
  assert.deepEqual(ok(await api("GET", "/v1/sweeps", { token: other.key })).data, []);

  // A live sweep of the same account: a test key never sees it.
  const account = d1(`SELECT account_id FROM sweeps WHERE id = '${first.id}'`)[0].account_id;
  const liveId = `sw_${ethers.hexlify(ethers.randomBytes(12)).slice(2)}`;
  d1(`INSERT INTO sweeps (id, account_id, livemode, chain_id, tx_hash, status, created_at, created_unix, updated_at)
      VALUES ('${liveId}', '${account}', 1, 8453, '${plain.hash}', 'pending', '2026-01-01T00:00:00Z', 1767225600, '2026-01-01T00:00:00Z')`);
  assertError(await api("GET", `/v1/sweeps/${liveId}`, { token: key }), 404, "not_found_error");

  // A plain transfer by someone else moved nothing out of a deposit address.
  await verify();
  const failed = await getSweep(key, first.id);
  assert.equal(failed.status, "failed");
  assert.equal(failed.failure_code, "no_deposit_transfers");
  assert.equal(typeof failed.failure_message, "string");
  assert.equal(failed.block_number, plain.blockNumber);
  assert.deepEqual(failed.transfers, []);

  const list = ok(await api("GET", "/v1/sweeps?limit=100", { token: key })).data;
  assert.deepEqual(list.map((s) => s.id), [first.id], "the live sweep is not listed");
  assert.deepEqual(ok(await api("GET", "/v1/sweeps?status=failed", { token: key })).data.map((s) => s.id), [first.id]);
  assert.deepEqual(ok(await api("GET", "/v1/sweeps?status=succeeded", { token: key })).data, []);
  assert.deepEqual(ok(await api("GET", `/v1/sweeps?chain_id=${LOCAL_CHAIN}`, { token: key })).data.map((s) => s.id), [first.id]);
  assert.equal(assertError(await api("GET", "/v1/sweeps?status=done", { token: key }), 400, "invalid_request_error").param, "status");
  assert.deepEqual((await balances(key)).data, [], "nothing received, nothing swept");

  const chains = ok(await api("GET", "/v1/chains", { token: key }));
  const local = chains.data.find((c) => c.chain_id === LOCAL_CHAIN);
  assert.equal(local.object, "chain");
  assert.deepEqual(local.tokens.find((t) => t.symbol === "USDC"), { symbol: "USDC", contract_address: ethers.getAddress(env.contracts.USDC), decimals: 6 });
  assert.ok(!JSON.stringify(chains).includes(env.rpc_url), "no RPC URL");
  await runScheduled();
  const watched = ok(await api("GET", "/v1/chains", { token: key })).data.find((c) => c.chain_id === LOCAL_CHAIN).watcher;
  assert.equal(watched.status, "ok", JSON.stringify(watched));
  assert.ok(Number.isInteger(watched.head) && watched.head > 0 && Number.isInteger(watched.lag) && watched.lag >= 0, JSON.stringify(watched));
  assert.ok(Date.now() - Date.parse(watched.checked_at) < 120_000, "checked in the run just made");
  d1(`DELETE FROM sweeps WHERE id = '${liveId}'`);
});

test("a reverted sweep fails with transaction_reverted and raises sweep.failed", async () => {
  const merchant = await newMerchant();
  const { key } = merchant;
  await withReceiver(async (receiver) => {
    await newHook(receiver, { key, events: ["*"] });
    const session = await paidSession({ amount: USD("2.00") }, { key });
    const fx = await newSweeper();
    const outsider = await funded(10n ** 17n);
    // Only the gas wallet may sweep: the outsider's transaction is mined and reverts.
    const tx = await fx.sweeper.connect(outsider).sweepAll([session.address], [env.contracts.USDC], { gasLimit: 500_000n });
    await assert.rejects(tx.wait(), (e) => e.receipt?.status === 0);

    const reported = ok(await report(key, tx.hash));
    await verify();
    const sweep = await getSweep(key, reported.id);
    assert.equal(sweep.status, "failed", JSON.stringify(sweep));
    assert.equal(sweep.failure_code, "transaction_reverted");
    assert.deepEqual(sweep.transfers, []);
    assert.deepEqual((await getSession(session.id, { key })).swept, []);

    await receiver.until((r) => r.some((q) => q.json?.type === "sweep.failed"), 15_000, "sweep.failed");
    const delivered = receiver.requests.find((q) => q.json?.type === "sweep.failed");
    assert.ok(delivered.verified);
    assert.deepEqual(delivered.json.data.object, sweep);
    const usdc = (await balances(key)).data.find((b) => b.token === "USDC");
    assert.equal(usdc.at_deposit_addresses, "2000000", "still at the deposit address");
    assert.equal(usdc.swept, "0");
  });
});

test("verification takes sweeps in turns across merchants: many pending reports of one do not hold up another's", async () => {
  const flooder = await newMerchant();
  const merchant = await newMerchant();
  const unknown = [];
  for (let i = 0; i < 60; i++) unknown.push(ok(await report(flooder.key, ethers.hexlify(ethers.randomBytes(32)))).id);
  try {
    const session = await paidSession({ amount: USD("3.00") }, { key: merchant.key });
    const receipt = await sweepAll(await newSweeper(), [depositKey(merchant, await getSession(session.id, { key: merchant.key }))]);
    const reported = ok(await report(merchant.key, receipt.hash));
    // The oldest unknown hash was reported two hours ago: no node will ever know it.
    d1(`UPDATE sweeps SET created_unix = created_unix - 7200,
          created_at = strftime('%Y-%m-%dT%H:%M:%SZ', created_unix - 7200, 'unixepoch') WHERE id = '${unknown[0]}'`);

    await verify();
    const lost = await getSweep(flooder.key, unknown[0]);
    assert.equal(lost.status, "failed");
    assert.equal(lost.failure_code, "transaction_not_found");
    assert.equal(lost.block_number, null);
    const sweep = await getSweep(merchant.key, reported.id);
    assert.equal(sweep.status, "succeeded", "verified in the first run despite 60 older pending reports");
    assert.deepEqual(sweep.transfers.map((t) => [t.session, t.token, t.amount]), [[session.id, "USDC", "3000000"]]);
    // Unknown hashes wait (an hour, then transaction_not_found).
    const waiting = ok(await api("GET", "/v1/sweeps?status=pending&limit=100", { token: flooder.key })).data;
    assert.equal(waiting.length, 59);
  } finally {
    d1(`UPDATE sweeps SET status = 'failed', failure_code = 'transaction_not_found' WHERE id IN (${unknown.map((id) => `'${id}'`).join(", ")})`);
  }
});
