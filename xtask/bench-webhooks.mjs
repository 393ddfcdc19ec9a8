// `cargo xtask bench webhooks`: how many deliveries one cron run makes with N endpoints (16 is the limit)
// whose receivers take 200 ms each, and how long from a status change to the first attempt.
// Run by xtask against its own bench stack ($KASSE_ENV); prints figures, asserts nothing.
import { api, env, mine, newAccount, runScheduled, transfer } from "../tests/support/env.mjs";
import { startReceiver } from "../tests/support/receiver.mjs";

const USD = (value) => ({ value, currency: "USD" });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function post(path, key, json) {
  const res = await api("POST", path, { token: key, json });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function lastRun() {
  const res = await api("GET", "/v1/health/chains", { token: env.admin_token });
  return res.body.last_run ?? res.body;
}

console.log("Deliveries per cron run (receivers answer after 200 ms; backlog made due at once)");
console.log("| endpoints | backlog | delivered in one run | run's delivery phase ms | per second |");
console.log("|---|---|---|---|---|");
for (const n of [1, 4, 16]) {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const receivers = [];
  const endpoints = [];
  for (let i = 0; i < n; i++) {
    const r = await startReceiver({ delayMs: 200 });
    r.mode = "500";
    receivers.push(r);
    endpoints.push(await post("/v1/webhook_endpoints", key, { url: r.url, events: ["*"] }));
  }
  // A backlog: 40 events per endpoint, whose first two attempts failed.
  const sessions = 40;
  for (let i = 0; i < sessions; i++) await post("/v1/checkout_sessions", key, { amount: USD("1.00") });
  const want = sessions * n * 2;
  const end = Date.now() + 120_000;
  while (receivers.reduce((a, r) => a + r.requests.length, 0) < want && Date.now() < end) await sleep(250);
  await sleep(1_000); // the last answers (200 ms) are recorded
  for (const r of receivers) {
    r.mode = "ok";
    r.requests.length = 0;
  }
  for (const e of endpoints) await post(`/v1/test_helpers/webhook_endpoints/${e.id}/advance`, key, { seconds: 300 });
  await runScheduled();
  const run = await lastRun();
  const delivered = receivers.reduce((a, r) => a + r.requests.length, 0);
  const ms = run.webhook_ms ?? 0;
  console.log(`| ${n} | ${sessions * n} | ${delivered} (run says ${run.webhooks_delivered}) | ${ms} | ${ms ? Math.round((delivered * 1000) / ms) : "–"} |`);
  for (const r of receivers) await r.close();
}

console.log("\nTime from a status change to the first attempt (median of 10)");
const account = await newAccount();
const key = account.keys.sk_test;
const receiver = await startReceiver();
await post("/v1/webhook_endpoints", key, { url: receiver.url, events: ["*"] });
const created = [];
const paid = [];
for (let i = 0; i < 10; i++) {
  const before = receiver.requests.length;
  const t0 = Date.now();
  const s = await post("/v1/checkout_sessions", key, { amount: USD("1.00"), chain_id: 31337, token: "USDC" });
  const deadline = Date.now() + 30_000;
  while (receiver.requests.length === before) {
    if (Date.now() > deadline) throw new Error("no first attempt within 30 s");
    await sleep(2);
  }
  created.push(receiver.requests[before].at - t0);

  const option = s.supported_tokens.find((t) => t.token === "USDC");
  await transfer(s.address, option.amount, "USDC");
  await mine(1);
  const seen = receiver.requests.length;
  const t1 = Date.now();
  await runScheduled();
  const runMs = Date.now() - t1;
  const paidBy = Date.now() + 30_000;
  while (!receiver.requests.slice(seen).some((q) => q.json?.type === "session.paid")) {
    if (Date.now() > paidBy) throw new Error("no session.paid attempt within 30 s");
    await sleep(2);
  }
  const arrival = receiver.requests.slice(seen).find((q) => q.json?.type === "session.paid").at;
  paid.push([arrival - t1, runMs]);
}
console.log(`- session.created (request → receiver, via wait_until): median ${median(created)} ms, max ${Math.max(...created)} ms`);
console.log(
  `- session.paid (cron start → receiver, in the same run after the chains): median ${median(paid.map((p) => p[0]))} ms; whole run median ${median(paid.map((p) => p[1]))} ms`,
);
await receiver.close();
