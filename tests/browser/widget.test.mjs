// Headless Chromium loads the hosted checkout page from the worker and the Yew widget mounts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { base } from "../support/env.mjs";

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

test("the hosted page mounts the widget and hides the client secret", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  const response = await page.goto(`${base}/c/cs_test_smoke#cs_secret_abc`);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.equal(headers["cache-control"], "no-store");

  const widget = page.locator("[data-kasse-ready]");
  await widget.waitFor({ timeout: 15000 });
  assert.match(await widget.innerText(), /cs_test_smoke/);
  assert.equal(new URL(page.url()).hash, "", "the secret is removed from the address bar");
  assert.deepEqual(errors, []);
  await page.close();
});
