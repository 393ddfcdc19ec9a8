// The balance reader the watcher sends as a state override, run on the local chain exactly as
// the worker calls it: one eth_call to an address with no code, the runtime placed there by
// the call's third parameter, the addresses packed 20 bytes each. The answers are compared
// with eth_getBalance, at the head and at an earlier block. Then the watcher behind a provider
// that refuses overrides (an error) or ignores them (an empty answer): the run falls back to
// Multicall3, the payment is found, and the chain reads through Multicall3 from then on.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ethers } from "ethers";
import { compile, root } from "../../xtask/chain/lib.mjs";
import { createSession, d1, env, localChain, mine, payAndWatch, rpc, runScheduled, transfer } from "../support/env.mjs";

const READER = "0x0000000000000000000000000000004b61737365";
const runtime = `0x${readFileSync(join(root, "shared", "contracts", "BalanceReader.runtime.hex"), "utf8").trim()}`;

const readerCall = (addresses, block = "latest", code = runtime) =>
  rpc("eth_call", [
    { to: READER, data: `0x${addresses.map((a) => a.slice(2).toLowerCase()).join("")}` },
    block,
    { [READER]: { code } },
  ]);

const balancesOf = (answer) => (answer.slice(2).match(/.{64}/g) ?? []).map((w) => BigInt(`0x${w}`));

test("the runtime shared embeds is what BalanceReader.sol compiles to", async () => {
  const { BalanceReader } = await compile();
  assert.equal(runtime, BalanceReader.deployed, "run `node xtask/chain/artifact.mjs` after changing BalanceReader.sol");
  assert.ok((runtime.length - 2) / 2 <= 160, `the reader stays tiny: ${(runtime.length - 2) / 2} bytes`);
});

test("one call reads packed balances in order, at the head and at an earlier block", async () => {
  const addresses = [0, 1, 2].map(() => ethers.Wallet.createRandom().address);
  await transfer(addresses[0], 1n);
  await transfer(addresses[2], 1_234_567_890_123_456_789n);
  await mine(1);
  const before = await rpc("eth_blockNumber");
  await transfer(addresses[1], 42n);
  await mine(1);

  const now = balancesOf(await readerCall(addresses));
  assert.deepEqual(now, [1n, 42n, 1_234_567_890_123_456_789n]);
  for (const [i, a] of addresses.entries()) {
    assert.equal(now[i], BigInt(await rpc("eth_getBalance", [a, "latest"])));
  }
  assert.deepEqual(balancesOf(await readerCall(addresses, before)), [1n, 0n, 1_234_567_890_123_456_789n]);
  assert.deepEqual(balancesOf(await readerCall([addresses[2], addresses[2]])), [
    1_234_567_890_123_456_789n,
    1_234_567_890_123_456_789n,
  ]);
});

test("no addresses read nothing; a partial address reverts; without the override there is no answer", async () => {
  assert.equal(await readerCall([]), "0x");
  await assert.rejects(
    rpc("eth_call", [{ to: READER, data: `0x${"11".repeat(21)}` }, "latest", { [READER]: { code: runtime } }]),
    /revert/i,
  );
  // What a provider that ignores the override answers: the worker must read this as a refusal.
  const ignored = await rpc("eth_call", [{ to: READER, data: `0x${"22".repeat(20)}` }, "latest"]);
  assert.equal(ignored, "0x");
});

const REFUSED_KEY = "balance_reader_refused:31337";
const forget = () => d1(`DELETE FROM meta WHERE key = '${REFUSED_KEY}'`);
const remembered = () => d1(`SELECT key FROM meta WHERE key = '${REFUSED_KEY}'`).length === 1;

/** Sets the worker's RPC proxy's fault mode; returns its counters. */
async function fault(mode) {
  const res = await fetch(`${env.worker_rpc_url}/__fault`, { method: "POST", body: JSON.stringify({ mode }) });
  assert.equal(res.status, 200);
  return res.json();
}
const overridesSent = async () => (await (await fetch(`${env.worker_rpc_url}/__fault`)).json()).overrides;

after(async () => {
  await fault("ok");
  forget();
});

test("the watcher reads native balances through the reader while the provider accepts overrides", async () => {
  forget();
  const s = await createSession({ token: "ETH" });
  await runScheduled();
  const before = await overridesSent();
  const paid = await payAndWatch(s);
  assert.equal(paid.status, "paid", JSON.stringify(paid));
  const quoted = s.supported_tokens.find((t) => t.token === "ETH").amount;
  assert.equal(paid.payments[0].amount, quoted);
  assert.ok((await overridesSent()) > before, "the run's balance reads carried the override");
  assert.equal(remembered(), false);
});

for (const mode of ["no_override", "drop_override"]) {
  test(`${mode}: the run falls back to Multicall3, finds the payment, and the chain stays on Multicall3`, async () => {
    forget();
    const s = await createSession({ token: "ETH" });
    await runScheduled();
    await fault(mode);
    const paid = await payAndWatch(s);
    assert.equal(paid.status, "paid", JSON.stringify(paid));
    assert.equal(paid.payments.length, 1);
    const health = await localChain();
    assert.equal(health.last_error, null, "a refused override is no chain error");
    assert.ok(remembered(), "the refusal is remembered for the chain");

    const sent = await overridesSent();
    const next = await createSession({ token: "ETH" });
    const alsoPaid = await payAndWatch(next);
    assert.equal(alsoPaid.status, "paid", JSON.stringify(alsoPaid));
    assert.equal(await overridesSent(), sent, "once refused, no run sends the override again");

    await fault("ok");
    forget();
    await createSession({ token: "ETH" });
    await runScheduled();
    assert.ok((await overridesSent()) > sent, "forgotten, the reader is tried again");
  });
}
