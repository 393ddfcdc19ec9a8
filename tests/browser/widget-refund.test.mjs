// Shopper refund requests in the widget, in headless Chromium against the real worker and
// real anvil payments: a shop that takes refund requests, an overpaid session, and the
// shopper asking for the excess back from the hosted page, with the keyboard only; then the
// refund paid on-chain (the open page follows it) or declined by the shop. The offer form and
// the requested state are checked with axe-core (WCAG 2.1 AA) at 320 px and screenshotted to
// .kasse/test/screens/widget-refund-*.png for a reviewer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ethers } from "ethers";
import { closeClean, newPage as pageOf, useBrowser } from "../support/browser.mjs";
import {
  api, base, createSession, getSession, mine, newAccount, paySession, runScheduled, shopperApi, shopperView, transfer,
} from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();
const newPage = (width) => pageOf(chrome, { width });
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** A shopper's own address (EIP-55), fresh for each run so that no other refund can match a
 * transfer to it; the shopper types it in lowercase. */
const shopperAddress = () => ethers.Wallet.createRandom().address;
/** $49.99 in USDC (6 decimals), paid with 0.5 USDC too much. */
const TOTAL = 49_990_000n;
const EXCESS = 500_000n;

/** A fresh shop (so no other test sees its setting) that takes refund requests or not. */
async function shop(refundRequests) {
  const account = await newAccount({ display_name: "Refund shop" });
  const key = account.keys.sk_test;
  if (refundRequests) {
    const res = await api("POST", "/v1/account", { token: key, json: { refund_requests: true } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.refund_requests, true);
  }
  return key;
}

/** A session of the shop of `key` (created with `body`), paid 0.5 USDC too much and confirmed. */
async function overpaidSession(key, body = {}) {
  const session = await createSession(body, { key });
  await paySession(session, TOTAL + EXCESS);
  await mine(3);
  await runScheduled();
  const now = await getSession(session.id, { key });
  assert.equal(now.status, "overpaid", JSON.stringify(now));
  assert.equal(BigInt(now.amount_excess), EXCESS);
  return session;
}

/** The element that has the keyboard focus, inside the widget's shadow root. */
const focused = (page) =>
  page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return { tag: el?.tagName, id: el?.id || null, cls: el?.className || null };
  });

/** axe-core finds nothing (and ran `rules`), nothing scrolls sideways, and a screenshot is kept. */
async function check(page, name, rules = ["label", "color-contrast"]) {
  await page.locator(".kasse").first().screenshot({ path: join(screens, `widget-refund-${name}.png`) });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(violations, [], `axe on the ${name} state`);
  assert.ok(result.passes.some((p) => p.nodes.some((n) => Array.isArray(n.target[0]))), "axe checked the shadow DOM");
  const passed = result.passes.map((p) => p.id);
  for (const rule of rules) assert.ok(passed.includes(rule), `axe ran ${rule} on ${name}: ${passed}`);
  const width = page.viewportSize().width;
  assert.ok(await page.evaluate((w) => document.documentElement.scrollWidth <= w, width), `no sideways scrolling at ${width} px`);
}

/** The session's refunds as its merchant lists them. */
async function refundsOf(session, key) {
  const res = await api("GET", `/v1/refunds?session=${session.id}`, { token: key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

test("overpaid: the hosted page offers the excess, refuses a bad address with the API's words, records the request, then follows it to refunded", async () => {
  const SHOPPER = shopperAddress();
  const key = await shop(true);
  // With a success_url: the hosted page stays for the refund instead of going on to it.
  const session = await overpaidSession(key, { success_url: `${base}/openapi.json?paid=1` });
  const view = await shopperView(session);
  assert.equal(BigInt(view.refund_offer.amount), EXCESS);
  assert.equal(view.refund_offer.token, "USDC");
  assert.equal(view.shopper_refund, null);

  const page = await newPage();
  await page.goto(session.checkout_url);
  await page.locator('[data-kasse-screen="overpaid"]').waitFor({ timeout: 20_000 });
  const open = page.getByRole("button", { name: "Request a refund" });
  await open.waitFor({ timeout: 10_000 });
  assert.match(await page.locator(".kasse-refund").innerText(), /send back 0\.5 USDC on Local \(anvil\)\./);
  assert.doesNotMatch(await page.locator(".kasse").innerText(), /Taking you back/);
  assert.equal(await page.getByRole("link", { name: "Continue" }).getAttribute("href"), `${base}/openapi.json?paid=1`);

  // Keyboard only: the button, Enter; the address field takes the focus.
  await open.focus();
  await page.keyboard.press("Enter");
  const address = page.getByLabel("Your address on Local (anvil)");
  await address.waitFor({ timeout: 5_000 });
  assert.deepEqual(await focused(page), { tag: "INPUT", id: "kasse-refund-address", cls: null });
  const form = await page.locator(".kasse-refund-form").innerText();
  assert.match(form, /Refund: 0\.5 USDC on Local \(anvil\)/);
  assert.match(form, /Use an address you control on Local \(anvil\)\. Exchange deposit addresses may not credit refunds\./);
  await check(page, "form");

  // A Tron address: the server refuses it, and its message shows by the field as it is.
  await page.keyboard.type("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8");
  const refused = page.waitForResponse((r) => r.url().endsWith("/refund_request"));
  await page.keyboard.press("Enter");
  const answer = await refused;
  assert.equal(answer.status(), 400);
  const error = (await answer.json()).error;
  assert.equal(error.code, "address_invalid");
  const alert = page.getByRole("alert");
  await alert.waitFor({ timeout: 5_000 });
  assert.equal(await alert.innerText(), error.message);
  assert.match(error.message, /Local \(anvil\)/, "the message names the network");
  assert.equal(await address.getAttribute("aria-invalid"), "true");
  assert.deepEqual(await focused(page), { tag: "INPUT", id: "kasse-refund-address", cls: null }, "the focus stays on the address to correct it");
  assert.deepEqual(await refundsOf(session, key), [], "nothing was created");
  await check(page, "invalid-address");

  // A good address, in lowercase: requested, shown checksummed, and the focus on the answer.
  await address.fill("");
  await page.keyboard.type(SHOPPER.toLowerCase());
  await page.keyboard.press("Enter");
  const state = page.locator('.kasse-refund-state[data-refund-status="pending"]');
  await state.waitFor({ timeout: 10_000 });
  assert.equal(await state.innerText(), `Refund of 0.5 USDC requested to ${SHOPPER}. The shop will send it.`);
  assert.equal((await focused(page)).cls, "kasse-refund-state");
  assert.equal(await page.getByRole("button", { name: "Request a refund" }).count(), 0, "nothing more to ask for");
  assert.equal(await page.locator(".kasse-refund-form").count(), 0);
  await check(page, "requested", ["color-contrast"]);

  const refunds = await refundsOf(session, key);
  assert.equal(refunds.length, 1, JSON.stringify(refunds));
  assert.equal(refunds[0].status, "pending");
  assert.equal(refunds[0].requested_by, "shopper");
  assert.equal(BigInt(refunds[0].amount), EXCESS);
  assert.equal(refunds[0].address, SHOPPER);
  assert.equal(refunds[0].token, "USDC");

  // The hosted page removes the secret from the address bar, so a reload is the link again.
  const again = await newPage();
  await again.goto(session.checkout_url);
  await again.locator('[data-kasse-screen="overpaid"]').waitFor({ timeout: 20_000 });
  await again.locator('.kasse-refund-state[data-refund-status="pending"]').waitFor({ timeout: 10_000 });
  assert.match(await again.locator(".kasse-refund").innerText(), new RegExp(`requested to ${SHOPPER}`));
  assert.equal(await again.getByRole("button", { name: "Request a refund" }).count(), 0);
  await closeClean(again);

  // The widget embedded in a shop's page shows the same.
  const embedded = await newPage(420);
  await embedded.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
  await embedded.goto(`${base}/openapi.json`);
  await embedded.setContent(`<!doctype html><html lang="en"><head><title>Shop</title><link rel="icon" href="data:,"></head>
    <body><main><h1>Shop</h1><div data-kasse-session="${session.id}" data-kasse-secret="${session.client_secret}"></div></main></body></html>`);
  await embedded.addScriptTag({ url: `${base}/kasse.js` });
  await embedded.locator('.kasse-refund-state[data-refund-status="pending"]').waitFor({ timeout: 20_000 });
  assert.equal(await embedded.locator(".kasse-refund-state").innerText(), `Refund of 0.5 USDC requested to ${SHOPPER}. The shop will send it.`);
  await closeClean(embedded);

  // The shop sends it: the page that asked, still open, follows it to refunded with the tx.
  const hash = await transfer(SHOPPER, EXCESS, "USDC");
  for (let i = 0; i < 4 && (await refundsOf(session, key))[0].status !== "succeeded"; i++) {
    await mine(2);
    await runScheduled();
  }
  const [paid] = await refundsOf(session, key);
  assert.equal(paid.status, "succeeded", JSON.stringify(paid));
  assert.equal(paid.transaction.tx_hash, hash);
  const done = page.locator('.kasse-refund-state[data-refund-status="succeeded"]');
  await done.waitFor({ timeout: 45_000 });
  assert.equal(await done.innerText(), `Refunded: 0.5 USDC sent to ${SHOPPER}.`);
  assert.equal(await page.locator(".kasse-refund code").innerText(), hash);
  await check(page, "refunded", ["color-contrast"]);
  assert.equal(new URL(page.url()).pathname, `/c/${session.id}`, "never taken on to success_url");
  await closeClean(page);
});

test("a refund the shop declines says so, and the shopper may ask again", async () => {
  const key = await shop(true);
  const session = await overpaidSession(key);
  const asked = await shopperApi("POST", session, "/refund_request", { json: { address: shopperAddress() } });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  assert.equal(asked.body.status, "pending");
  const canceled = await api("POST", `/v1/refunds/${asked.body.id}/cancel`, { token: key });
  assert.equal(canceled.status, 200, JSON.stringify(canceled.body));

  const page = await newPage();
  await page.goto(session.checkout_url);
  const declined = page.locator('.kasse-refund-state[data-refund-status="canceled"]');
  await declined.waitFor({ timeout: 20_000 });
  assert.equal(await declined.innerText(), "The shop declined this refund.");
  assert.match(await page.locator(".kasse-refund").innerText(), /send back 0\.5 USDC/);
  await page.getByRole("button", { name: "Request a refund" }).click();
  assert.deepEqual(await focused(page), { tag: "INPUT", id: "kasse-refund-address", cls: null });
  await check(page, "declined", ["label", "color-contrast"]);
  await closeClean(page);
});

test("a shop that does not take refund requests offers nothing", async () => {
  const key = await shop(false);
  const session = await overpaidSession(key);
  const view = await shopperView(session);
  assert.equal(view.refund_offer, null);
  assert.equal(view.shopper_refund, null);
  const page = await newPage();
  await page.goto(session.checkout_url);
  await page.locator('[data-kasse-screen="overpaid"]').waitFor({ timeout: 20_000 });
  assert.match(await page.locator(".kasse").innerText(), /more than the total/);
  assert.equal(await page.locator(".kasse-refund").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Request a refund" }).count(), 0);
  await closeClean(page);
});
