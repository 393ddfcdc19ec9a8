// The refund claim page in headless Chromium against the real worker: a paid session, a
// refund of it waiting for its address, and the shopper's page at /r/{id}#{secret}. Every
// screen is checked with axe-core (WCAG 2.1 AA) at 320 px and screenshotted to
// .kasse/test/screens/ for a reviewer. The page speaks the browser's language (the catalogues'
// `claim_…` texts), right to left in Arabic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { closeClean, newPage as pageOf, useBrowser } from "../support/browser.mjs";
import { api, demo, paidSession } from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();
const newPage = (options) => pageOf(chrome, options);
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The texts of `locale`, as the translators wrote them. */
const catalogue = (locale) => JSON.parse(readFileSync(new URL(`../../www/i18n/${locale}.json`, import.meta.url), "utf8"));
/** `text` with its `{name}` placeholders filled. */
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (whole, name) => values[name] ?? whole);

/** anvil's account #8, lowercase as a shopper might paste it; the API answers it checksummed. */
const SHOPPER = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";

/** A paid $49.99 USDC session of the demo shop and a refund of all of it, without address. */
async function newRefund() {
  const session = await paidSession();
  const res = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: demo.secret_key, json: {} });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.status, "requires_address");
  return res.body;
}

const merchantRefund = async (id) => {
  const res = await api("GET", `/v1/refunds/${id}`, { token: demo.secret_key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};

const onScreen = (page, name) => page.locator(`main[data-refund-screen="${name}"]`).waitFor({ timeout: 15_000 });

/** axe-core (WCAG 2.1 AA) finds nothing, nothing scrolls sideways, and a screenshot is kept. */
async function check(page, name) {
  await page.screenshot({ path: join(screens, `refund-${name}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }),
  );
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(violations, [], `axe on the ${name} screen`);
  const passed = result.passes.map((p) => p.id);
  for (const rule of ["html-has-lang", "document-title", "color-contrast"]) assert.ok(passed.includes(rule), `axe ran ${rule} on ${name}: ${passed}`);
  const width = page.viewportSize().width;
  assert.ok(await page.evaluate((w) => document.documentElement.scrollWidth <= w, width), `no sideways scrolling at ${width} px`);
}

test("claim page: headers, secret out of the address bar, a bad address refused, a good one confirmed and pending", async () => {
  const refund = await newRefund();
  const page = await newPage();
  const response = await page.goto(refund.claim_url);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /default-src 'none'; script-src 'self';/);
  assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.equal(headers["cache-control"], "no-store");

  await onScreen(page, "form");
  assert.equal(new URL(page.url()).hash, "", "the claim secret is removed from the address bar");
  const text = await page.locator("main").innerText();
  assert.match(text, /49\.99 USDC/);
  assert.match(text, /on Local \(anvil\)/);
  assert.match(text, /Refund from /);
  assert.match(text, /Test mode/);
  assert.match(text, /Exchange deposit addresses may not credit refunds/);
  await check(page, "form");

  // Not ticked: the page says so and sends nothing.
  const address = page.getByLabel("Your address on Local (anvil)");
  await address.fill("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8");
  let posts = 0;
  page.on("request", (r) => r.method() === "POST" && posts++);
  await page.getByRole("button", { name: "Confirm address" }).click();
  await assert.doesNotReject(page.getByRole("alert").filter({ hasText: "Tick the box" }).waitFor({ timeout: 5_000 }));
  assert.equal(posts, 0);

  // A Tron address: the server's message, in the alert, and the field marked invalid.
  await page.getByLabel("I checked this address; refunds cannot be reversed").check();
  await page.getByRole("button", { name: "Confirm address" }).click();
  const alert = page.getByRole("alert");
  await alert.filter({ hasText: "Tron" }).waitFor({ timeout: 10_000 });
  assert.equal(
    await alert.innerText(),
    "This refund is paid on Local (anvil); enter an address that starts with 0x (a Tron address cannot receive it).",
  );
  assert.equal(await address.getAttribute("aria-invalid"), "true");
  assert.equal((await merchantRefund(refund.id)).status, "requires_address");
  await check(page, "invalid-address");

  // A good address, lowercase: confirmed, shown checksummed, and the refund is pending.
  await address.fill(SHOPPER.toLowerCase());
  await page.getByRole("button", { name: "Confirm address" }).click();
  await onScreen(page, "pending");
  const state = await page.getByRole("status").innerText();
  assert.match(state, /The shop will send your refund/);
  assert.equal(await page.locator("[data-refund-address]").innerText(), SHOPPER);
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H2", "focus moves to the confirmation");
  const now = await merchantRefund(refund.id);
  assert.equal(now.status, "pending");
  assert.equal(now.address, SHOPPER);
  assert.equal(BigInt(now.amount), 49_990_000n);
  await check(page, "pending");

  // A reload (the secret is no longer in the URL) still shows where it stands.
  await page.reload();
  await onScreen(page, "pending");
  assert.equal(await page.locator("[data-refund-address]").innerText(), SHOPPER);
  await closeClean(page);
});

/** The shop's name as the claim shows it, read the way the page reads it. */
async function shopOf(refund) {
  const url = new URL(refund.claim_url);
  const res = await api("GET", `/v1/public/refunds/${refund.id}`, { headers: { "kasse-claim-secret": decodeURIComponent(url.hash.slice(1)) } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.merchant.display_name;
}

test("claim page: German for a German browser, the same flow, amounts with German separators, a refused address explained in German", async () => {
  const de = catalogue("de");
  assert.notEqual(de.claim_submit, catalogue("en").claim_submit, "de.json translates the page");
  const refund = await newRefund();
  const network = "Local (anvil)";
  const page = await newPage({ width: 420, locale: "de-DE" });
  await page.goto(refund.claim_url);
  await onScreen(page, "form");
  assert.deepEqual(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), ["de", "ltr"]);
  assert.equal(await page.locator("h1").innerText(), fill(de.claim_title, { shop: await shopOf(refund) }));
  const amount = page.locator("[data-amount]");
  assert.equal(await amount.innerText(), `49${de.number_decimal}99 USDC`);
  assert.equal(await amount.getAttribute("data-amount"), "49.99", "the exact amount stays in the page");
  const text = await page.locator("main").innerText();
  assert.ok(text.includes(fill(de.claim_on_network, { network })), text);
  const address = page.getByLabel(fill(de.claim_address_label, { network }));
  await address.fill("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8");
  await page.getByLabel(de.claim_confirm_label).check();
  await page.getByRole("button", { name: de.claim_submit }).click();
  await page.getByRole("alert").filter({ hasText: fill(de.claim_address_invalid, { network }) }).waitFor({ timeout: 10_000 });
  assert.equal(await address.getAttribute("aria-invalid"), "true");
  await check(page, "invalid-address-de");
  await address.fill(SHOPPER);
  await page.getByRole("button", { name: de.claim_submit }).click();
  await onScreen(page, "pending");
  assert.ok((await page.getByRole("status").innerText()).includes(de.claim_pending_body));
  await check(page, "pending-de");
  assert.equal((await merchantRefund(refund.id)).address, SHOPPER);
  await closeClean(page);
});

test("claim page: Arabic right to left, axe finds nothing on its form and on its invalid-link page", async () => {
  const ar = catalogue("ar");
  const refund = await newRefund();
  const page = await newPage({ locale: "ar" });
  await page.goto(refund.claim_url);
  await onScreen(page, "form");
  assert.deepEqual(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), ["ar", "rtl"]);
  assert.equal(await page.getByRole("button").innerText(), ar.claim_submit);
  assert.equal(await page.locator("[data-amount]").innerText(), `49${ar.number_decimal}99 USDC`);
  assert.equal(await page.evaluate(() => document.title), `${fill(ar.claim_title, { shop: await shopOf(refund) })} · Kasse`);
  await check(page, "form-ar");
  await closeClean(page);

  const invalid = await newPage({ locale: "ar" });
  await invalid.goto(`${new URL(refund.claim_url).origin}/r/${refund.id}`);
  await onScreen(invalid, "invalid");
  assert.equal(await invalid.locator("h1").innerText(), ar.claim_invalid_title);
  assert.equal(await invalid.evaluate(() => document.documentElement.dir), "rtl");
  await check(invalid, "invalid-link-ar");
  await closeClean(invalid);
});

test("claim page: a wrong secret is an invalid link; a canceled refund shows its state and no form", async () => {
  const refund = await newRefund();
  const page = await newPage();
  const url = new URL(refund.claim_url);
  await page.goto(`${url.origin}${url.pathname}#not-the-secret`);
  await onScreen(page, "invalid");
  assert.match(await page.locator("main").innerText(), /This refund link is not valid/);
  await check(page, "invalid-link");
  await closeClean(page);

  const canceled = await api("POST", `/v1/refunds/${refund.id}/cancel`, { token: demo.secret_key });
  assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
  const later = await newPage();
  await later.goto(refund.claim_url);
  await onScreen(later, "canceled");
  assert.match(await later.locator("main").innerText(), /This refund was canceled/);
  assert.equal(await later.locator("form").count(), 0);
  await check(later, "canceled");
  await closeClean(later);
});
