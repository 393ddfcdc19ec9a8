// `cargo xtask bench widget`: the widget's size (raw and gzip), each language's catalogue
// (fetched on top of it when the shopper's language is not English), the time from navigation to
// the QR on screen in headless Chromium (median of 10, each in a fresh browser context, so
// nothing is cached), and Lighthouse's performance and accessibility scores of the hosted
// page. Runs against xtask's bench stack ($KASSE_ENV); prints figures, asserts nothing.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { createSession } from "../tests/support/env.mjs";

const CHROME = process.env.CHROMIUM || "/usr/bin/chromium";
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

console.log("Widget size (what a shopper's browser downloads)");
console.log("| file | raw | gzip -9 |");
console.log("|---|---|---|");
let raw = 0;
let gz = 0;
for (const file of ["www/pkg/kasse_widget_bg.wasm", "www/pkg/kasse_widget.js", "www/kasse.js"]) {
  const bytes = readFileSync(file);
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += zipped;
  console.log(`| ${file} | ${kib(bytes.length)} | ${kib(zipped)} |`);
}
console.log(`| total | ${kib(raw)} | ${kib(gz)} |`);
console.log(`total gzip -9: ${gz} bytes (budget 122,880)`);

console.log("\nCatalogues (www/i18n/, one fetched when the shopper's language is not English)");
console.log("| locale | raw | gzip -9 |");
console.log("|---|---|---|");
for (const file of readdirSync("www/i18n").filter((f) => f.endsWith(".json")).sort()) {
  const bytes = readFileSync(`www/i18n/${file}`);
  console.log(`| ${file.slice(0, -5)} | ${kib(bytes.length)} | ${kib(gzipSync(bytes, { level: 9 }).length)} |`);
}

const browser = await chromium.launch({
  executablePath: CHROME,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const times = [];
const wasmDownloads = [];
const phases = { wasm: [], viewAsked: [], viewArrived: [] };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < 10; i++) {
  const session = await createSession();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    const look = () => {
      const host = document.getElementById("checkout");
      if (host?.shadowRoot?.querySelector(".kasse-qr svg")) window.__qrAt = performance.now();
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
  await page.goto(session.checkout_url);
  await page.waitForFunction(() => window.__qrAt !== undefined, null, { timeout: 20_000 });
  times.push(await page.evaluate(() => window.__qrAt));
  // Where the time goes: when the wasm arrived, when the first view was asked for and
  // arrived. The hosted page preloads the wasm: a preload the glue does not reuse is a
  // second download.
  const resources = await page.evaluate(() => performance.getEntriesByType("resource")
    .map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd })));
  const wasms = resources.filter((e) => e.name.endsWith("/kasse_widget_bg.wasm"));
  const view = resources.find((e) => e.name.includes("/v1/public/checkout_sessions/"));
  wasmDownloads.push(wasms.length);
  phases.wasm.push(wasms[0]?.end ?? NaN);
  phases.viewAsked.push(view?.start ?? NaN);
  phases.viewArrived.push(view?.end ?? NaN);
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`\nNavigation → QR on screen (hosted page, cold context, localhost), 10 runs:`);
console.log(`median ${times[5].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[9].toFixed(0)} ms`);
console.log(`wasm downloads per page load: ${[...new Set(wasmDownloads)].join(", ")}`);
console.log(`medians: wasm downloaded ${median(phases.wasm).toFixed(0)} ms, view asked ${median(phases.viewAsked).toFixed(0)} ms, view arrived ${median(phases.viewArrived).toFixed(0)} ms, QR ${median(times).toFixed(0)} ms`);

const session = await createSession();
console.log("\nLighthouse 12.8 (npm, run on demand) on the hosted page:");
try {
  const out = execFileSync(
    "npm",
    ["exec", "--yes", "--package=lighthouse@12.8.2", "--", "lighthouse", session.checkout_url,
      "--only-categories=performance,accessibility", "--output=json", "--quiet",
      "--chrome-flags=--headless --no-sandbox --disable-gpu"],
    { encoding: "utf8", env: { ...process.env, CHROME_PATH: CHROME }, maxBuffer: 64 * 1024 * 1024 },
  );
  const report = JSON.parse(out);
  const score = (c) => report.categories[c].score.toFixed(2);
  const metric = (id) => report.audits[id]?.displayValue ?? "–";
  console.log(`performance ${score("performance")}, accessibility ${score("accessibility")}`);
  console.log(`FCP ${metric("first-contentful-paint")}, LCP ${metric("largest-contentful-paint")}, TBT ${metric("total-blocking-time")}, CLS ${metric("cumulative-layout-shift")}`);
} catch (e) {
  console.log(`Lighthouse did not run: ${String(e.message).split("\n")[0]}`);
}
