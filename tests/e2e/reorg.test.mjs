// Reorgs on the real local chain (anvil_reorg): a detected payment whose block is replaced
// moves the session back with `session.updated`, and no paid event is ever emitted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSession, eventTypes, getSession, localChain, mine, paidSession, paySession, rpc, runScheduled, sessionEvents } from "../support/env.mjs";

test("a detected payment reorged out moves the session back and is never paid", async () => {
  const s = await createSession();
  await paySession(s);
  await runScheduled();
  let now = await getSession(s.id);
  assert.equal(now.status, "detected");
  const block = now.payments[0].block_number;

  // Replace the payment's block with an empty one at the same height.
  await rpc("anvil_reorg", [1, []]);
  await runScheduled();
  now = await getSession(s.id);
  assert.equal(now.status, "pending", JSON.stringify(now));
  assert.equal(now.amount_pending, "0");
  assert.equal(now.payments.length, 1, "the payment stays on record");
  assert.equal(now.payments[0].status, "reorged");
  assert.equal(now.payments[0].block_number, block);

  // The chain moves on; the transfer never comes back, so the session is never paid.
  await mine(3);
  await runScheduled();
  now = await getSession(s.id);
  assert.equal(now.status, "pending");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.detected", "session.updated"]);
  const updated = (await sessionEvents(s.id)).find((e) => e.type === "session.updated");
  assert.equal(updated.data.object.status, "pending");
  assert.equal(updated.data.object.payments[0].status, "reorged");
});

test("a confirmed payment stays paid when a shallower reorg happens above it", async () => {
  const s = await paidSession();
  await rpc("anvil_reorg", [2, []]);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.payments[0].status, "confirmed");
});

test("a reorg deeper than the confirmations keeps a paid session paid and is shown in health", async () => {
  const s = await paidSession();

  // Replace the payment's block and both blocks above it: deeper than the 2 confirmations.
  await rpc("anvil_reorg", [3, []]);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid", "a final status never moves back");
  assert.equal(now.payments[0].status, "reorged", "the record tells the truth");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid"]);
  const local = await localChain();
  assert.match(local.deep_reorg, new RegExp(`${s.id}.*deeper than the confirmations; the status stays paid`));
});

for (const token of ["USDC", "ETH"]) {
  test(`${token}: a payment reorged out and mined again is found again and paid, once`, async () => {
    const s = await createSession({ token });
    const hash = await paySession(s);
    const raw = await rpc("eth_getRawTransactionByHash", [hash]);
    await runScheduled();
    assert.equal((await getSession(s.id)).status, "detected");

    await rpc("anvil_reorg", [1, []]);
    await runScheduled();
    let now = await getSession(s.id);
    assert.equal(now.status, "pending", JSON.stringify(now));
    assert.equal(now.payments[0].status, "reorged");

    // The same signed transaction is mined again, in a later block.
    await rpc("eth_sendRawTransaction", [raw]);
    await mine(1);
    await runScheduled();
    now = await getSession(s.id);
    assert.equal(now.status, "paid", JSON.stringify(now));
    const live = now.payments.filter((p) => p.status !== "reorged");
    assert.equal(live.length, 1);
    assert.equal(live[0].tx_hash, hash);
    assert.equal(live[0].status, "confirmed");
    // A token transfer is the same payment found again; a native credit is a new one
    // (credits are keyed by block) beside the reorged record.
    assert.equal(now.payments.length, token === "ETH" ? 2 : 1);
    assert.deepEqual(await eventTypes(s.id), ["session.created", "session.detected", "session.paid", "session.updated"]);
  });
}
