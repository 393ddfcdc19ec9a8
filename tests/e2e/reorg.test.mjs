// Reorgs on the real local chain (anvil_reorg): a detected payment whose block is replaced
// moves the session back with `session.updated`, and no paid event is ever emitted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSession, getSession, mine, paySession, rpc, runScheduled, sessionEvents } from "../support/env.mjs";

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
  const types = (await sessionEvents(s.id)).map((e) => e.type).sort();
  assert.deepEqual(types, ["session.created", "session.detected", "session.updated"]);
  const updated = (await sessionEvents(s.id)).find((e) => e.type === "session.updated");
  assert.equal(updated.data.object.status, "pending");
  assert.equal(updated.data.object.payments[0].status, "reorged");
});

test("a confirmed payment stays paid when a shallower reorg happens above it", async () => {
  const s = await createSession();
  await paySession(s);
  await mine(2);
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "paid");
  await rpc("anvil_reorg", [2, []]);
  await runScheduled();
  const now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.payments[0].status, "confirmed");
});

test("a token payment reorged out and re-included is found again and paid, once", async () => {
  const s = await createSession();
  const hash = await paySession(s);
  const raw = await rpc("eth_getRawTransactionByHash", [hash]);
  await runScheduled();
  assert.equal((await getSession(s.id)).status, "detected");

  await rpc("anvil_reorg", [1, []]);
  await runScheduled();
  let now = await getSession(s.id);
  assert.equal(now.status, "pending");
  assert.equal(now.payments[0].status, "reorged");

  // The same signed transaction is mined again, in another block.
  await rpc("eth_sendRawTransaction", [raw]);
  await mine(1);
  await runScheduled();
  now = await getSession(s.id);
  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.payments.length, 1, "the same transfer, not a second one");
  assert.equal(now.payments[0].tx_hash, hash);
  assert.equal(now.payments[0].status, "confirmed");
  const types = (await sessionEvents(s.id)).map((e) => e.type).sort();
  assert.deepEqual(types, ["session.created", "session.detected", "session.paid", "session.updated"]);
});
