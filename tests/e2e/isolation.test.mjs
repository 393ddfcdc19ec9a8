// One session can never stop the watcher: a failure stays with the session that has it, a
// dense block never halts the chain, and the lifecycle's edges (late confirmations, checks
// after the grace window, old deposits) hold on the real stack.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  USD, api, demo, createSession, expiredSession, getSession, runScheduled, mine, paySession, payAndWatch, paidSession, advance, chainHealth,
  localChain, sessionEvents, newAccount, d1, sendMint, inOneBlock, shopperApi, sleep, transfer,
} from "../support/env.mjs";

const check = (id, json = {}, token = demo.secret_key) => api("POST", `/v1/checkout_sessions/${id}/check`, { token, json });

/** Runs the cron until every session in `ids` is paid, at most `max` runs; returns the D1 queries of each run. */
async function runsUntilPaid(ids, max) {
  const queries = [];
  for (let run = 1; run <= max; run++) {
    await runScheduled();
    queries.push((await chainHealth()).last_run.d1_queries);
    const statuses = d1(`SELECT status, COUNT(*) AS n FROM checkout_sessions WHERE id IN (${ids.map((i) => `'${i}'`).join(",")}) GROUP BY status`);
    if (statuses.length === 1 && statuses[0].status === "paid") return queries;
  }
  return null;
}

test("two unexpected transfers in one block raise one event each and hold up no other session", async () => {
  const poisoned = await createSession({ amount: USD("5.00") });
  const victim = await createSession({ amount: USD("5.00") });
  await runScheduled();
  await inOneBlock(async () => {
    await sendMint("USDT", poisoned.address, 1_000_000);
    await sendMint("USDT", poisoned.address, 1_000_000);
  });
  await paySession(victim);
  await mine(2);
  const answered = await check(poisoned.id);
  assert.equal(answered.status, 200, JSON.stringify(answered.body));
  await runScheduled();

  assert.equal((await getSession(victim.id)).status, "paid");
  const after = await getSession(poisoned.id);
  assert.equal(after.status, "pending");
  assert.equal(after.payments.length, 2);
  assert.ok(after.payments.every((p) => p.token === "USDT" && !p.counted));
  const unexpected = (await sessionEvents(poisoned.id)).filter((e) => e.type === "session.payment_unexpected");
  assert.equal(unexpected.length, 2, "one event per transfer");
  const named = unexpected.map((e) => `${e.data.payment.tx_hash}:${e.data.payment.log_index}`);
  assert.equal(new Set(named).size, 2, "each event names its own transfer");
  assert.ok(unexpected.every((e) => e.data.payment.token === "USDT" && !e.data.payment.counted));
  assert.equal((await localChain()).sessions_failed, 0);
});

test("a session whose stored document is corrupt fails alone, is counted in health and retried next run", async () => {
  const broken = await createSession({ amount: USD("5.00") });
  const healthy = await createSession({ amount: USD("5.00") });
  await advance(broken.id, 1900); // past expiry: due on the next run
  const [{ data }] = d1(`SELECT data FROM checkout_sessions WHERE id = '${broken.id}'`);
  d1(`UPDATE checkout_sessions SET data = '{"id": "truncated' WHERE id = '${broken.id}'`);
  try {
    assert.equal((await payAndWatch(healthy)).status, "paid", "a healthy session is paid in the same run");
    assert.equal((await localChain()).sessions_failed, 1);
    const [{ failures }] = d1(`SELECT failures FROM watch WHERE session_id = '${broken.id}'`);
    assert.equal(failures, 1);
    await runScheduled();
    assert.equal(d1(`SELECT failures FROM watch WHERE session_id = '${broken.id}'`)[0].failures, 2, "retried every run");
  } finally {
    d1(`UPDATE checkout_sessions SET data = '${data.replaceAll("'", "''")}' WHERE id = '${broken.id}'`);
  }
  await runScheduled();
  assert.equal((await getSession(broken.id)).status, "expired", "once readable, it is decided");
  assert.equal(d1(`SELECT failures FROM watch WHERE session_id = '${broken.id}'`)[0].failures, 0);
  assert.equal((await localChain()).sessions_failed, 0);
});

test("300 transfers to 300 sessions in one block are all paid within 3 runs, under 1,000 D1 queries a run", async () => {
  const key = (await newAccount()).keys.sk_test;
  const sessions = [];
  for (let i = 0; i < 300; i++) sessions.push(await createSession({ amount: USD("1.00") }, { key }));
  await runScheduled();
  await inOneBlock(async () => {
    for (const s of sessions) await sendMint("USDC", s.address, 1_000_000);
  });
  await mine(2);
  const queries = await runsUntilPaid(sessions.map((s) => s.id), 3);
  assert.ok(queries, "every session paid within 3 runs");
  assert.ok(Math.max(...queries) <= 1000, `D1 queries per run: ${queries}`);
  const total = queries.reduce((a, b) => a + b, 0);
  assert.ok(total <= 3 * 300, `${total} D1 queries for 300 payments: at most 3 each`);
  const events = d1(`SELECT COUNT(*) AS n FROM events WHERE type = 'session.paid' AND session_id IN (${sessions.map((s) => `'${s.id}'`).join(",")})`);
  assert.equal(events[0].n, 300, "one session.paid each");
});

test("a payment still confirming at late_until completes after it", async () => {
  const s = await createSession({ amount: USD("5.00") });
  await paySession(s); // one confirmation of two
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "detected");
  await advance(s.id, 88_300); // past late_until
  await runScheduled();
  await mine(2);
  await runScheduled();
  const done = await getSession(s.id);
  assert.equal(done.status, "paid_late", "the payment made before the end is honoured");
  assert.equal(done.payments[0].status, "confirmed");
});

test("a check after late_until changes nothing, even with a transaction hash", async () => {
  const s = await expiredSession(200_000, { amount: USD("5.00") });
  const tx = await paySession(s);
  for (let i = 0; i < 2; i++) {
    const res = await shopperApi("POST", s, "/check", { json: { tx_hash: tx } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, "expired");
    await sleep(2100); // one check per 2 s per session
  }
  const after = await getSession(s.id);
  assert.equal(after.status, "expired");
  assert.equal(after.payments.length, 0);
});

test("a check's tx_hash counts only in a block after the session's creation", async () => {
  const { HDNodeWallet } = await import("ethers");
  const wallet = HDNodeWallet.createRandom();
  const xpub = HDNodeWallet.fromPhrase(wallet.mnemonic.phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
  const key = (await newAccount({ xpub_test: xpub })).keys.sk_test;
  const first = HDNodeWallet.fromPhrase(wallet.mnemonic.phrase, undefined, "m/44'/60'/0'/0/0").address;
  const old = await transfer(first, 5_000_000, "USDC"); // an old deposit to the next address
  await runScheduled();
  const s = await createSession({ amount: USD("5.00") }, { key });
  assert.equal(s.address, first);
  const checked = await check(s.id, { tx_hash: old }, key);
  assert.equal(checked.status, 200, JSON.stringify(checked.body));
  assert.equal(checked.body.status, "pending");
  assert.equal(checked.body.payments.length, 0, "the old deposit is not this session's");
  await runScheduled();
  assert.equal((await getSession(s.id, { key })).payments.length, 0);
  assert.equal((await payAndWatch(s, { key })).status, "paid");
});

test("a paid session stops being evaluated, and its watch row goes at late_until", async () => {
  const s = await paidSession({ amount: USD("5.00") });
  for (let i = 0; i < 3; i++) {
    await runScheduled(); // the transfer is found again inside the rescan window
    const [row] = d1(`SELECT settling FROM watch WHERE session_id = '${s.id}'`);
    assert.equal(row.settling, 0, "a transfer found again does not make a decided session settle again");
  }
  await advance(s.id, 88_300);
  await runScheduled();
  assert.deepEqual(d1(`SELECT chain_id FROM watch WHERE session_id = '${s.id}'`), []);
});

test("25 unexpected transfers in one block raise 25 events over a few runs, each snapshot bounded", async () => {
  const s = await createSession({ amount: USD("5.00") });
  await inOneBlock(async () => {
    for (let i = 0; i < 25; i++) await sendMint("USDT", s.address, 1);
  });
  for (let i = 0; i < 4; i++) await runScheduled();
  const events = (await sessionEvents(s.id)).filter((e) => e.type === "session.payment_unexpected");
  assert.equal(events.length, 25, "one event per transfer");
  assert.ok(events.every((e) => e.data.object.payments.length <= 21), "snapshots list at most 20 uncounted payments");
  assert.equal((await getSession(s.id)).payments.length, 25, "the API lists them all");
});
