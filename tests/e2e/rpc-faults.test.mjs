// Provider failures between the worker and the chain (through tests/support/rpc-proxy.mjs):
// each leaves every state as it was, shows in health, and the next good run catches up.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createSession, env, eventTypes, getSession, localChain, mine, paySession, payAndWatch, runScheduled, shopperApi } from "../support/env.mjs";

async function fault(mode, extra = {}) {
  const res = await fetch(`${env.worker_rpc_url}/__fault`, { method: "POST", body: JSON.stringify({ mode, ...extra }) });
  assert.equal(res.status, 200);
}

afterEach(async () => {
  await fault("ok");
});

for (const [mode, expected] of [
  ["http500", /HTTP 500/],
  ["http429", /HTTP 429/],
  ["malformed", /malformed/],
  ["wrong_chain", /serves chain 1, expected 31337/],
  ["node_error", /node error -32005/],
  ["short_batch", /replies to/],
  ["hang", /no answer within 2000 ms/],
]) {
  test(`${mode}: nothing changes, health says why, the next good run catches up`, async () => {
    const s = await createSession();
    await runScheduled();
    const before = await localChain();

    await fault(mode);
    const unchanged = await payAndWatch(s);
    const during = await localChain();
    assert.match(during.last_error, expected);
    assert.ok(during.last_error.startsWith(new URL(env.worker_rpc_url).host), "only the RPC host is shown");
    assert.equal(during.cursor, before.cursor, "the cursor never passes an unscanned block");
    assert.equal(unchanged.status, "pending");
    assert.equal(unchanged.payments.length, 0);

    await fault("ok");
    await runScheduled();
    const after = await localChain();
    assert.equal(after.last_error, null);
    assert.ok(after.cursor > before.cursor);
    const paid = await getSession(s.id);
    assert.equal(paid.status, "paid");
    assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid"]);
  });
}

test("a failing provider makes the on-demand check answer 503, not 500", async () => {
  const s = await createSession();
  await fault("http500");
  const res = await shopperApi("POST", s, "/check");
  assert.equal(res.status, 503);
  assert.equal(res.body.error.code, "chain_unavailable");
  assert.doesNotMatch(JSON.stringify(res.body), /127\.0\.0\.1/, "no RPC URL in responses");
});

test("a provider refusing the range: each failed run halves it until the scan fits, then it grows back", async () => {
  const s = await createSession();
  await runScheduled();
  const start = await localChain();
  assert.equal(start.scan_range, 2000);
  // The rescan always covers confirmations + margin below the cursor; allow a little more.
  const limit = start.head - start.cursor + 40;
  await fault("log_range", { max: limit });
  await paySession(s);
  await mine(200);

  const ranges = [];
  for (let run = 0; run < 40; run += 1) {
    await runScheduled();
    const h = await localChain();
    ranges.push(h.scan_range);
    if (h.cursor === h.head && h.last_error === null) break;
  }
  const end = await localChain();
  assert.equal(end.cursor, end.head, `caught up (ranges ${ranges})`);
  assert.equal(ranges[0], 1000, "the first refused run halves the range");
  assert.ok(Math.min(...ranges) < limit, `it shrank below the provider's limit (ranges ${ranges})`);
  assert.equal((await getSession(s.id)).status, "paid");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid"]);

  await fault("ok");
  for (let run = 0; run < 12; run += 1) await runScheduled();
  assert.equal((await localChain()).scan_range, 2000, "good runs double it back to the limit");
});
