// The sweeper: delegate code (EIP-7702) that lets the merchant's gas wallet move every deposit
// to the treasury in one transaction, with no native coin at any deposit address. Deposit keys
// sign authorizations; the gas wallet's type-4 transaction carries them and calls `sweepAll`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ethers, HDNodeWallet } from "ethers";
import { compile } from "../../xtask/chain/lib.mjs";
import { funded as fundedWith, newSweeper as newSweeperOn } from "../support/sweeper.mjs";
import {
  LOCAL_CHAIN,
  api,
  createSession,
  demo,
  env,
  eventTypes,
  getSession,
  mine,
  paidSession,
  payAndWatch,
  runScheduled,
  sessionEvents,
  transfer,
} from "../support/env.mjs";

/** The demo account's wallet: its xpub_test is this mnemonic's m/44'/60'/0'. */
const DEMO_MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

let provider, payer, artifacts, usdc, noBool;

before(async () => {
  // No cache: ethers otherwise answers a repeated nonce query within 250 ms from memory.
  provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  payer = await provider.getSigner(9);
  artifacts = await compile();
  usdc = new ethers.Contract(env.contracts.USDC, artifacts.TestToken.abi, payer);
  const a = artifacts.TestTokenNoBool;
  noBool = await new ethers.ContractFactory(a.abi, a.bytecode, payer).deploy("Tether USD (no bool)", "USDT0", 6);
  await noBool.waitForDeployment();
});

after(() => provider.destroy());

const tokens = () => [usdc.target, noBool.target];

const funded = (eth) => fundedWith({ provider, payer }, eth);
const newSweeper = () => newSweeperOn({ provider, payer }, artifacts);

/** A deposit address (a random key) holding the given base units of USDC, the no-bool token and ETH. */
async function deposit({ usdc: u = 0n, noBool: n = 0n, eth = 0n }) {
  const wallet = await funded(eth);
  if (u) await (await usdc.mint(wallet.address, u)).wait();
  if (n) await (await noBool.mint(wallet.address, n)).wait();
  return wallet;
}

/** What `address` holds: USDC, the no-bool token and ETH, in base units. */
async function holdings(address) {
  return { usdc: await usdc.balanceOf(address), noBool: await noBool.balanceOf(address), eth: await provider.getBalance(address) };
}

/**
 * One type-4 transaction from the gas wallet: each of `delegating` signs an authorization for
 * the sweeper, and the call sweeps `deposits` (none: it only delegates). Returns the receipt.
 */
async function sweepAll({ gasWallet, sweeper }, deposits, { delegating = deposits } = {}) {
  const authorizationList = [];
  for (const key of delegating) {
    authorizationList.push(await key.connect(provider).authorize({ address: sweeper.target, chainId: LOCAL_CHAIN }));
  }
  const overrides = authorizationList.length ? { type: 4, authorizationList } : {};
  const addresses = deposits.map((d) => d.address);
  const tx = await sweeper.connect(gasWallet).sweepAll(addresses, deposits.length ? tokens() : [], overrides);
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  return receipt;
}

async function assertDelegated(address, sweeper) {
  const code = await provider.getCode(address);
  assert.equal(code, `0xef0100${sweeper.target.slice(2).toLowerCase()}`, `${address} delegates to the sweeper`);
}

/** `method(...args)` is refused with the custom error `name`, both as a call and as a mined
 * transaction (which fails on-chain). */
async function refused(method, args, name) {
  await assert.rejects(method.staticCall(...args), (e) => {
    assert.equal(e.revert?.name, name, e.message);
    return true;
  });
  const tx = await method(...args, { gasLimit: 500_000n });
  await assert.rejects(tx.wait(), (e) => e.receipt?.status === 0);
}

test("one type-4 transaction from the gas wallet delegates five deposits and sweeps them all to the treasury", async () => {
  const fx = await newSweeper();
  const amounts = [
    { usdc: 1_250_000n, noBool: 3_000_001n }, // tokens and no ETH
    { usdc: 49_990_000n }, // one token and no ETH; the no-bool balance is zero and skipped
    { noBool: 7n, eth: 16_663_333_333_333_334n },
    { usdc: 1n, noBool: 999_999_999n, eth: 10n ** 18n },
    { eth: 12_345n }, // only ETH
  ];
  const deposits = [];
  for (const a of amounts) deposits.push(await deposit(a));
  const total = (field) => amounts.reduce((t, a) => t + (a[field] ?? 0n), 0n);
  const expected = { usdc: total("usdc"), noBool: total("noBool"), eth: total("eth") };
  const gasBefore = await provider.getBalance(fx.gasWallet.address);

  const receipt = await sweepAll(fx, deposits);

  assert.equal(receipt.from, fx.gasWallet.address);
  assert.deepEqual(await holdings(fx.treasury), expected, "the treasury holds exactly the sums");
  for (const d of deposits) {
    await assertDelegated(d.address, fx.sweeper);
    assert.deepEqual(await holdings(d.address), { usdc: 0n, noBool: 0n, eth: 0n }, `${d.address} is empty`);
  }
  // The treasury got every wei the deposits held, so none paid gas; the gas wallet paid it all.
  assert.equal(gasBefore - (await provider.getBalance(fx.gasWallet.address)), receipt.fee);

  // Each deposit address logged what it moved: one Swept per non-zero balance.
  const swept = receipt.logs
    .map((log) => ({ at: log.address, event: fx.sweeper.interface.parseLog(log) }))
    .filter((l) => l.event?.name === "Swept")
    .map((l) => `${l.at}:${l.event.args.token}:${l.event.args.to}:${l.event.args.amount}`);
  const wanted = deposits.flatMap((d, i) => [
    ...(amounts[i].usdc ? [`${d.address}:${usdc.target}:${fx.treasury}:${amounts[i].usdc}`] : []),
    ...(amounts[i].noBool ? [`${d.address}:${noBool.target}:${fx.treasury}:${amounts[i].noBool}`] : []),
    ...(amounts[i].eth ? [`${d.address}:${ethers.ZeroAddress}:${fx.treasury}:${amounts[i].eth}`] : []),
  ]);
  assert.deepEqual(swept, wanted);

  console.log(
    `sweeper gas: sweepAll with ${deposits.length} authorizations and addresses (2 tokens + ETH listed): ${receipt.gasUsed} gas, ` +
      `${receipt.gasUsed / BigInt(deposits.length)} per address`,
  );
});

test("only the gas wallet starts a sweep, and `sweep` on a deposit address is refused even to the gas wallet: nothing moves", async () => {
  const fx = await newSweeper();
  const tokenOnly = await deposit({ usdc: 5_000_000n, noBool: 6_000_000n });
  const ethOnly = await deposit({ eth: 10n ** 16n });
  await sweepAll(fx, [], { delegating: [tokenOnly, ethOnly] });
  await assertDelegated(tokenOnly.address, fx.sweeper);
  await assertDelegated(ethOnly.address, fx.sweeper);
  const before = [await holdings(tokenOnly.address), await holdings(ethOnly.address), await holdings(fx.treasury)];
  const outsider = await funded(10n ** 17n);
  const both = [tokenOnly.address, ethOnly.address];

  await refused(fx.sweeper.connect(outsider).sweepAll, [both, tokens()], "NotGasWallet");
  for (const caller of [fx.gasWallet, outsider]) {
    for (const target of both) {
      await refused(new ethers.Contract(target, artifacts.Sweeper.abi, caller).sweep, [tokens()], "NotThroughSweepAll");
    }
  }
  // The sweeper itself is no deposit: calling its own `sweep` is refused too.
  await refused(fx.sweeper.connect(fx.gasWallet).sweep, [tokens()], "NotThroughSweepAll");
  // A token transfer that fails (a frozen holder) stops the whole batch with a clear error.
  await (await noBool.freeze(tokenOnly.address, true)).wait();
  try {
    await refused(fx.sweeper.connect(fx.gasWallet).sweepAll, [both, tokens()], "TokenTransferFailed");
  } finally {
    await (await noBool.freeze(tokenOnly.address, false)).wait();
  }

  const now = [await holdings(tokenOnly.address), await holdings(ethOnly.address), await holdings(fx.treasury)];
  assert.deepEqual(now, before, "nothing moved");
});

test("a plain ETH transfer to a delegated deposit address lands, and a second sweepAll moves it", async () => {
  const fx = await newSweeper();
  const d = await deposit({ usdc: 2_000_000n });
  await sweepAll(fx, [d]);
  await assertDelegated(d.address, fx.sweeper);
  assert.deepEqual(await holdings(fx.treasury), { usdc: 2_000_000n, noBool: 0n, eth: 0n });

  const late = 123_456_789_000_000_001n;
  await transfer(d.address, late);
  assert.equal(await provider.getBalance(d.address), late, "receive() accepted it");

  const receipt = await sweepAll(fx, [d], { delegating: [] });
  assert.deepEqual(await holdings(d.address), { usdc: 0n, noBool: 0n, eth: 0n });
  assert.deepEqual(await holdings(fx.treasury), { usdc: 2_000_000n, noBool: 0n, eth: late });
  console.log(`sweeper gas: sweepAll of 1 already delegated address (ETH only of 2 tokens + ETH): ${receipt.gasUsed} gas`);
});

/** The deposit key of a demo-account session, derived as the merchant's CLI derives it. */
function depositKey(session) {
  const key = HDNodeWallet.fromPhrase(DEMO_MNEMONIC, undefined, `m/44'/60'/0'/0/${session.derivation_index}`);
  assert.equal(key.address, session.address, "the derived key is the session's deposit address");
  return key;
}

/** What a merchant sees of a native payment, without the ids and hashes that differ. */
function credited(session) {
  return {
    status: session.status,
    amount_received: session.amount_received,
    amount_excess: session.amount_excess,
    payments: session.payments.map((p) => ({ token: p.token, amount: p.amount, counted: p.counted, has_tx_hash: p.tx_hash !== null })),
  };
}

test("the watcher credits a native payment at a delegated deposit address exactly as at a plain one", async () => {
  const fx = await newSweeper();
  assert.equal(HDNodeWallet.fromPhrase(DEMO_MNEMONIC, undefined, "m/44'/60'/0'").neuter().extendedKey, demo.xpub_test);
  const delegated = await createSession({ token: "ETH" });
  await sweepAll(fx, [], { delegating: [depositKey(delegated)] });
  await assertDelegated(delegated.address, fx.sweeper);
  const plain = await createSession({ token: "ETH" });
  assert.equal(plain.payment_amount.value, delegated.payment_amount.value, "both quoted at one price");

  const a = await payAndWatch(delegated);
  const b = await payAndWatch(plain);

  assert.equal(a.status, "paid", JSON.stringify(a));
  assert.equal(a.amount_received, delegated.payment_amount.value);
  assert.deepEqual(credited(a), credited(b));
  assert.deepEqual(await eventTypes(delegated.id), await eventTypes(plain.id));
  assert.equal(await provider.getBalance(delegated.address), BigInt(delegated.payment_amount.value), "still at the deposit address");
});

// ----- the watcher after a sweep ---------------------------------------------------------------
// Money leaving a deposit address is no payment: it never lowers what was received, never
// changes a status and raises nothing; money arriving after the sweep is still a payment.

/** Blocks the watcher reads again behind its cursor on the local chain: its two
 * confirmations and the rescan margin of five. */
const RESCANNED = 2 + 5;

/** Moves the watcher's cursor `blocks` on, by one run: what came before is then behind its
 * rescan window. */
async function moveWatcherOn(blocks = RESCANNED + 1) {
  await mine(blocks);
  await runScheduled();
}

/** The session and its events as the merchant reads them. A payment's `confirmations` is
 * left out: the API computes it from the chain's head at every read, so it grows with each
 * mined block while nothing about the payment changes. */
async function merchantView(id) {
  const session = await getSession(id);
  const payments = session.payments.map(({ confirmations, ...stored }) => stored);
  return { session: { ...session, payments }, events: await sessionEvents(id) };
}

/**
 * Delegates the session's deposit address and sweeps it in one transaction from the gas
 * wallet, then lets the watcher run on two more blocks. Returns what the merchant saw just
 * before the sweep and after the watcher ran, and the sweep's receipt.
 */
async function sweepAndWatch(fx, session) {
  const before = await merchantView(session.id);
  const receipt = await sweepAll(fx, [depositKey(session)]);
  await assertDelegated(session.address, fx.sweeper);
  assert.deepEqual(await holdings(session.address), { usdc: 0n, noBool: 0n, eth: 0n }, "swept empty");
  await moveWatcherOn(2);
  return { before, after: await merchantView(session.id), receipt };
}

/** A paid session, still watched, that a sweep left exactly as it was: nothing was decided,
 * so not even `version` or `updated_at` moved, and no event was raised. */
function assertUntouched({ before, after }, paid) {
  assert.equal(before.session.status, "paid");
  assert.equal(before.session.amount_received, paid.payment_amount.value);
  assert.ok(Date.parse(before.session.late_until) > Date.now(), "still inside its late window");
  assert.deepEqual(after, before);
}

test("an ETH session swept once its payment is behind the rescan window stays paid with all it received", async () => {
  const fx = await newSweeper();
  const session = await paidSession({ token: "ETH" });
  await moveWatcherOn();

  assertUntouched(await sweepAndWatch(fx, session), session);
  assert.equal((await holdings(fx.treasury)).eth, BigInt(session.payment_amount.value), "the treasury holds the payment");
});

// The rescan finds the address's balance back where it started (empty) and searches
// nothing; the credit's block is still on chain, so the credit stands.
test("an ETH session swept while its payment is still in the rescan window stays paid with all it received", async () => {
  const fx = await newSweeper();
  const session = await paidSession({ token: "ETH" });

  assertUntouched(await sweepAndWatch(fx, session), session);
});

test("a late ETH payment to a swept, delegated deposit address is credited as after any close", async () => {
  const fx = await newSweeper();
  const session = await paidSession({ token: "ETH" });
  await moveWatcherOn();
  assertUntouched(await sweepAndWatch(fx, session), session);
  const quoted = BigInt(session.payment_amount.value);
  const late = 1_000_000_000_000_001n; // not the swept amount: see the next test

  const now = await payAndWatch(session, { amount: late, token: "ETH" });

  // Decided already: the status stays, the second payment is excess and raises its own event.
  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.amount_received, String(quoted + late));
  assert.equal(now.amount_pending, "0");
  assert.equal(now.amount_excess, String(late));
  assert.deepEqual(credited(now).payments, [
    { token: "ETH", amount: String(quoted), counted: true, has_tx_hash: true },
    { token: "ETH", amount: String(late), counted: true, has_tx_hash: true },
  ]);
  assert.deepEqual(now.payments.map((p) => p.status), ["confirmed", "confirmed"]);
  assert.deepEqual(await eventTypes(session.id), ["session.created", "session.paid", "session.payment_after_close"]);
  assert.equal(await provider.getBalance(session.address), late, "at the deposit address until the next sweep");
});

// A shopper paying the same amount again soon after the sweep leaves the balance where it
// was. The reported sweep tells the watcher what left the address and when, so the rescan
// compares what arrived instead and finds the payment.
test("a late ETH payment of the swept amount, in the sweep's rescan window, is credited once the sweep is reported", async () => {
  const fx = await newSweeper();
  const session = await paidSession({ token: "ETH" });
  await moveWatcherOn();
  const watched = await sweepAndWatch(fx, session);
  assertUntouched(watched, session);
  const tx_hash = watched.receipt.hash;
  const reported = await api("POST", "/v1/sweeps", { token: demo.secret_key, json: { chain_id: LOCAL_CHAIN, tx_hash } });
  assert.equal(reported.status, 200, JSON.stringify(reported.body));
  const quoted = BigInt(session.payment_amount.value);

  await payAndWatch(session, { amount: quoted, token: "ETH" }); // this run verifies the sweep
  assert.equal((await api("GET", `/v1/sweeps/${reported.body.id}`, { token: demo.secret_key })).body.status, "succeeded");
  await moveWatcherOn(20); // a cron run's worth of blocks on a fast chain
  const now = await getSession(session.id);

  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.amount_received, String(2n * quoted));
  assert.equal(now.amount_excess, String(quoted));
  assert.deepEqual(now.swept.map((s) => [s.token, s.amount]), [["ETH", String(quoted)]]);
  assert.deepEqual(await eventTypes(session.id), ["session.created", "session.paid", "session.payment_after_close"]);
  assert.equal(await provider.getBalance(session.address), quoted, "at the deposit address until the next sweep");
});

test("a USDC session swept while its payment is still in the rescan window stays paid with all it received", async () => {
  const fx = await newSweeper();
  const session = await paidSession();

  assertUntouched(await sweepAndWatch(fx, session), session);
  assert.equal((await holdings(fx.treasury)).usdc, BigInt(session.payment_amount.value), "the treasury holds the payment");
});

test("a USDC session swept once its payment is behind the rescan window stays paid with all it received", async () => {
  const fx = await newSweeper();
  const session = await paidSession();
  await moveWatcherOn();

  assertUntouched(await sweepAndWatch(fx, session), session);
});
