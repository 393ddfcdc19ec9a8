// `cargo xtask bench dense` (and the end of `cargo xtask bench`): a dense window, N transfers
// to N sessions in one block. Prints the runs until all are paid, the D1 queries of each run
// (the most, and per payment over all runs) and each run's wall time. Asserts nothing.
import { api, env, newAccount, runScheduled, sendMint, inOneBlock, rpc, d1 } from "../tests/support/env.mjs";

const N = Number(process.env.KASSE_BENCH_DENSE ?? 300);
const MAX_RUNS = 10;

const { keys } = await newAccount();
const ids = [];
const sessions = [];
for (let i = 0; i < N; i++) {
  const res = await api("POST", "/v1/checkout_sessions", {
    token: keys.sk_test,
    json: { amount: { value: "1.00", currency: "USD" }, chain_id: 31337, token: "USDC" },
  });
  if (res.status !== 200) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  sessions.push(res.body);
  ids.push(`'${res.body.id}'`);
}
await runScheduled();
await inOneBlock(async () => {
  for (const s of sessions) await sendMint("USDC", s.address, 1_000_000);
});
await rpc("evm_mine", []); // the local chain needs 2 confirmations

const runs = [];
let paid = 0;
while (runs.length < MAX_RUNS && paid < N) {
  await runScheduled();
  const { last_run } = (await api("GET", "/v1/health/chains", { token: env.admin_token })).body;
  paid = d1(`SELECT COUNT(*) AS n FROM checkout_sessions WHERE status = 'paid' AND id IN (${ids.join(",")})`)[0].n;
  runs.push({ queries: last_run.d1_queries, wall_ms: last_run.wall_ms, evaluated: last_run.sessions_evaluated, changed: last_run.sessions_changed, paid });
}
console.log(`Dense window: ${N} USDC transfers to ${N} sessions in one block (goal: all paid within 3 runs, ≤ 1,000 D1 queries a run, ≤ 3 per payment)`);
console.log("| run | D1 queries | wall ms | evaluated | changed | paid so far |");
console.log("|---|---|---|---|---|---|");
runs.forEach((r, i) => console.log(`| ${i + 1} | ${r.queries} | ${r.wall_ms} | ${r.evaluated} | ${r.changed} | ${r.paid} |`));
const total = runs.reduce((sum, r) => sum + r.queries, 0);
console.log(
  `${paid === N ? "all paid" : `only ${paid} of ${N} paid`} after ${runs.length} run(s); ` +
    `D1 queries: max ${Math.max(...runs.map((r) => r.queries))} in one run, ${(total / N).toFixed(2)} per payment over all runs`,
);
