// `cargo xtask bench widget`: the widget's size (raw and gzip), the time from navigation to
// the QR on screen in headless Chromium (median of 10, each in a fresh browser context, so
// nothing is cached), and Lighthouse's performance and accessibility scores of the hosted
// page. Runs against xtask's bench stack ($KASSE_ENV); prints figures, asserts nothing.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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

const browser = await chromium.launch({
  executablePath: CHROME,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const times = [];
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
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`\nNavigation → QR on screen (hosted page, cold context, localhost), 10 runs:`);
console.log(`median ${times[5].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[9].toFixed(0)} ms`);

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
