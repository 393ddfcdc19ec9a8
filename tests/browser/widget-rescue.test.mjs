// A payment on a network the checkout does not take, in headless Chromium against the real
// worker and both local chains: the widget says in one plain sentence that it arrived and that
// the shop can return it, and keeps the pay screen for the right network; the console's
// session page says why it does not count. Checked with axe-core (WCAG 2.1 AA) at 320 px and
// screenshotted to .kasse/test/screens/widget-rescue.png for a reviewer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { closeClean, newPage as pageOf, useBrowser } from "../support/browser.mjs";
import { L2_CHAIN, base, createSession, demo, getSession, mine, runScheduled, transfer } from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** $49.99 in the L2's 18-decimal USDC. */
const L2_AMOUNT = 49_990_000_000_000_000_000n;
const SENTENCE =
  "A payment of 49.99 USDC arrived on Local L2 (anvil), a network this checkout does not take, so it does not pay this order: contact the shop to get it back.";

test("a wrong-network payment: the widget says so in one sentence and still shows how to pay", async () => {
  const session = await createSession();
  const page = await pageOf(chrome, { width: 320 });
  await page.goto(session.checkout_url);
  await page.locator('[data-kasse-screen="pay"]').first().waitFor({ timeout: 25_000 });
  assert.equal(await page.locator("[data-wrong-network]").count(), 0, "nothing to say before the payment");

  await transfer(session.address, L2_AMOUNT, "USDC", L2_CHAIN);
  await mine(2, L2_CHAIN);
  await runScheduled();
  const now = await getSession(session.id);
  assert.equal(now.payments[0]?.reason, "network_mismatch", JSON.stringify(now.payments));

  const notice = page.locator(`[data-wrong-network="${L2_CHAIN}"]`);
  await notice.waitFor({ timeout: 25_000 });
  assert.equal((await notice.innerText()).trim(), SENTENCE);
  assert.equal(await notice.getAttribute("role"), "status");
  // The pay flow goes on: the session is still open for the right network.
  assert.equal(await page.locator('[data-kasse-screen="pay"]').count(), 1);
  assert.ok(await page.locator(".kasse-qr").first().isVisible(), "the QR is still there");
  assert.match(await page.locator(".kasse").innerText(), /49\.99 USDC/);

  await page.locator(".kasse").first().screenshot({ path: join(screens, "widget-rescue.png") });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(violations, [], "axe with the wrong-network sentence");
  await closeClean(page);
});

/** Signs in to the console with `key` and opens the session `id`'s page. */
async function consoleSession(page, key, id) {
  await page.goto(`${base}/console#/`);
  const form = page.locator('form[aria-label="Sign in"]');
  await form.waitFor({ timeout: 20_000 });
  await page.locator("#api-key").fill(key);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.locator('nav[aria-label="Console"]').waitFor({ timeout: 20_000 });
  await page.evaluate((hash) => (location.hash = hash), `#/sessions/${id}`);
  await page.locator('section[data-page="session"][data-loaded="true"]').waitFor({ timeout: 20_000 });
}

test("the console lists a wrong-network payment with why it does not count", async () => {
  const session = await createSession();
  await transfer(session.address, L2_AMOUNT, "USDC", L2_CHAIN);
  await mine(2, L2_CHAIN);
  await runScheduled();
  const page = await pageOf(chrome, { width: 1280 });
  await consoleSession(page, demo.secret_key, session.id);
  const row = page.locator('[data-testid="payments"] tr[data-base-units]');
  assert.equal(await row.count(), 1);
  assert.equal(await row.getAttribute("data-base-units"), L2_AMOUNT.toString());
  const reason = row.locator('td[data-reason="network_mismatch"]');
  assert.equal((await reason.innerText()).trim(), "no: a network this session does not take");
  assert.match(await row.innerText(), /49\.99 USDC/);
  assert.match(await row.innerText(), /Local L2 \(anvil\)/);
  await closeClean(page);
});
