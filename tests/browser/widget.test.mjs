// Headless Chromium: the hosted page mounts the Yew widget, shows a QR that decodes to the
// exact EIP-681 URI, and flips to the paid screen when the payment confirms.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createSession, mine, paySession, runScheduled } from "../support/env.mjs";

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => {
  await browser?.close();
});

test("hosted checkout: QR decodes to the exact URI, then the page goes paid", async () => {
  const session = await createSession({ return_url: "https://shop.example/cart" });
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  const response = await page.goto(session.checkout_url);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.equal(headers["cache-control"], "no-store");

  await page.locator('[data-kasse-status="pending"]').waitFor({ timeout: 15000 });
  assert.equal(new URL(page.url()).hash, "", "the client secret is removed from the address bar");
  const text = await page.locator(".kasse").innerText();
  assert.match(text, /49\.99 USDC/);
  assert.ok(text.includes(session.address));
  assert.match(text, /Local \(anvil\)/);
  assert.match(text, /Expires in \d\d:\d\d/);
  assert.equal(await page.locator(".kasse-qr").getAttribute("data-payment-uri"), session.payment_uri);

  // Decode the QR from pixels with an independent decoder.
  const shot = join(mkdtempSync(join(tmpdir(), "kasse-qr-")), "qr.png");
  await page.locator(".kasse-qr svg").screenshot({ path: shot });
  const decoded = execFileSync("zbarimg", ["--raw", "-q", shot], { encoding: "utf8" }).trim();
  assert.equal(decoded, session.payment_uri);

  await paySession(session);
  await mine(2);
  await runScheduled();
  await page.locator('[data-kasse-status="paid"]').waitFor({ timeout: 25000 });
  assert.match(await page.locator(".kasse").innerText(), /Payment received/);
  assert.deepEqual(errors, []);
  await page.close();
});
