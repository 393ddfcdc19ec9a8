// `cargo xtask bench console`: the console's bundle size (raw and gzip) and the time from
// navigation to the sessions table of an account with 1,000 sessions in headless Chromium
// (median of 10, each in a fresh browser context, so nothing is cached), and to the
// overview's figures. Runs against xtask's bench stack ($KASSE_ENV); prints figures,
// asserts nothing.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { USD, api, base, createSession, newAccount, paidSession } from "../tests/support/env.mjs";

const CHROME = process.env.CHROMIUM || "/usr/bin/chromium";
const SESSIONS = 1_000;
const RUNS = 10;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

console.log("Console bundle (what a merchant's browser downloads)");
console.log("| file | raw | gzip -9 |");
console.log("|---|---|---|");
let raw = 0;
let gz = 0;
for (const file of [
  "www/pkg/console/kasse_console_bg.wasm",
  "www/pkg/console/kasse_console.js",
  "www/console.js",
  "www/console.css",
  "www/console.html",
]) {
  const bytes = readFileSync(file);
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += zipped;
  console.log(`| ${file} | ${kib(bytes.length)} | ${kib(zipped)} |`);
}
console.log(`| total | ${kib(raw)} | ${kib(gz)} |`);

// One paid session (the overview has a figure), then copies of an open one up to 1,000.
const key = (await newAccount({ display_name: "Bench shop" })).keys.sk_test;
await paidSession({ amount: USD("12.34") }, { key });
const open = await createSession({ amount: USD("5.00") }, { key });
const cloned = await api("POST", `/v1/test_helpers/checkout_sessions/${open.id}/clone`, { token: key, json: { count: SESSIONS - 2 } });
if (cloned.status !== 200) throw new Error(`clone: ${cloned.status} ${JSON.stringify(cloned.body)}`);

const browser = await chromium.launch({
  executablePath: CHROME,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** Milliseconds from navigation to `selector` on screen, in a fresh signed-in context. */
async function timeTo(hash, selector) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Signed in as the form does it (same origin), so only the page load is timed.
  const signedIn = await context.request.post(`${base}/v1/console/sessions`, {
    data: { api_key: key },
    headers: { origin: base },
  });
  if (signedIn.status() !== 201) throw new Error(`sign-in: ${signedIn.status()} ${await signedIn.text()}`);
  const page = await context.newPage();
  await page.addInitScript((wanted) => {
    const look = () => {
      if (document.querySelector(wanted)) window.__shownAt = performance.now();
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  }, selector);
  await page.goto(`${base}/console${hash}`);
  await page.waitForFunction(() => window.__shownAt !== undefined, null, { timeout: 30_000 });
  const at = await page.evaluate(() => window.__shownAt);
  await context.close();
  return at;
}

const targets = [
  ["sessions table (first page)", "#/sessions", 'section[data-page="sessions"][data-loaded="true"] tr[data-session-id]'],
  ["overview figures", "#/", 'section[data-page="overview"][data-loaded="true"] table[data-testid="received"]'],
];
const results = [];
for (const [label, hash, selector] of targets) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeTo(hash, selector));
  times.sort((a, b) => a - b);
  results.push({ label, times });
}
await browser.close();

console.log(`\nNavigation → on screen, account with ${SESSIONS.toLocaleString("en")} sessions (cold context, localhost), ${RUNS} runs:`);
console.log("| view | median ms | min ms | max ms |");
console.log("|---|---|---|---|");
for (const { label, times } of results) {
  const median = (times[RUNS / 2 - 1] + times[RUNS / 2]) / 2;
  console.log(`| ${label} | ${median.toFixed(0)} | ${times[0].toFixed(0)} | ${times[RUNS - 1].toFixed(0)} |`);
}
