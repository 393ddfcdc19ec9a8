// The receipt and "Already paid?", in headless Chromium against the real worker and anvil:
// a paid session's success screen shows what was paid (exact amount, token, network), the
// paying transaction, the time, the reference and the shop, and prints alone (print media:
// no buttons, links or codes; black on white) from the hosted page; a shopper who pastes a
// transaction hash learns whether it pays this checkout — a malformed hash is refused before
// any request, another session's transfer is not this checkout's, the real one is waiting
// for confirmations and then counts. axe-core (WCAG 2.1 AA and best practice) finds nothing.
// Screenshots and the printed PDF go to .kasse/test/screens/receipt-*.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { axe, closeClean, newPage, onScreen, useBrowser } from "../support/browser.mjs";
import { createSession, getSession, mine, paySession, runScheduled, shopperView } from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();
const EN = JSON.parse(readFileSync(new URL("../../www/i18n/en.json", import.meta.url), "utf8"));

/** The receipt's value labelled `label`, without its mark (an SVG with letters). */
function receiptValue(page, label) {
  return page.locator(".kasse-receipt dl > div").filter({ has: page.locator("dt", { hasText: label }) }).locator("dd").first()
    .evaluate((dd) => [...dd.childNodes].filter((n) => n.nodeName !== "svg").map((n) => n.textContent).join("").trim());
}

const short = (hash) => `${hash.slice(0, 6)}…${hash.slice(-4)}`;

test("a paid session's receipt: exact amount, token, network, the paying transaction, time, reference, shop; printable", async () => {
  const session = await createSession();
  const before = Math.floor(Date.now() / 1000) - 5;
  const hash = await paySession(session);
  await mine(2);
  await runScheduled();
  assert.equal((await getSession(session.id)).status, "paid");
  const view = await shopperView(session);
  const after = Math.floor(Date.now() / 1000) + 5;

  const page = await newPage(chrome, { width: 420 });
  await page.goto(session.checkout_url);
  await onScreen(page, "paid");
  const receipt = page.locator(".kasse-receipt");
  await receipt.waitFor({ timeout: 10_000 });
  assert.equal(await receipt.getByRole("heading", { name: EN.receipt_title }).count(), 1);
  assert.equal(await receiptValue(page, EN.amount), "49.99 USDC");
  assert.equal(await receiptValue(page, EN.network), "Local (anvil)");
  assert.equal(await receiptValue(page, EN.receipt_reference), session.id);
  assert.equal(await receiptValue(page, EN.receipt_paid_to), view.branding.display_name);

  // The paying transaction: short on screen, whole in its title (and on paper); no explorer
  // link, the local chain has no explorer.
  const tx = receipt.locator("[data-tx-hash]");
  assert.equal(await tx.count(), 1);
  assert.equal(await tx.getAttribute("data-tx-hash"), hash);
  assert.equal(await tx.locator(".kasse-hash").getAttribute("title"), hash);
  assert.equal((await tx.locator(".kasse-hash").innerText()).trim(), short(hash));
  assert.equal(await receipt.locator("a").count(), 0);

  // The time: when the session became paid, as the shopper's locale writes it.
  const time = receipt.locator("time");
  const paidAt = Date.parse(await time.getAttribute("datetime")) / 1000;
  assert.ok(paidAt >= before && paidAt <= after, `paid at ${paidAt}, between ${before} and ${after}`);
  assert.equal(paidAt, Date.parse(view.receipt.paid_at) / 1000);
  const written = await page.evaluate((s) => new Date(s * 1000).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" }), paidAt);
  assert.equal((await time.innerText()).trim(), written);
  await page.locator(".kasse").first().screenshot({ path: join(screens, "receipt.png") });
  await axe(page, "the paid screen with its receipt");

  // "Print receipt" prints.
  await page.evaluate(() => {
    window.printed = 0;
    window.print = () => { window.printed += 1; };
  });
  await page.getByRole("button", { name: EN.receipt_print }).click();
  assert.equal(await page.evaluate(() => window.printed), 1);

  // On paper: the receipt alone, black on white, the whole hash; no heading, buttons or links.
  await page.emulateMedia({ media: "print" });
  assert.ok(await receipt.isVisible(), "the receipt prints");
  assert.ok(await receipt.locator("dl").isVisible());
  assert.ok(!(await page.getByRole("button", { name: EN.receipt_print }).isVisible()), "no print button on paper");
  assert.ok(!(await page.locator(".kasse-head").isVisible()), "no header on paper");
  assert.ok(!(await page.locator(".kasse-body > h2").isVisible()), "no screen title on paper");
  assert.ok(!(await page.locator(".kasse-links").isVisible()), "no links on paper");
  assert.ok(!(await tx.locator(".kasse-hash").isVisible()));
  assert.equal((await tx.locator(".kasse-print-only").innerText()).trim(), hash);
  const ink = await receipt.locator("dd").first().evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el.closest(".kasse")).backgroundColor]);
  assert.deepEqual(ink, ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]);
  await page.screenshot({ path: join(screens, "receipt-print.png"), fullPage: true });
  const pdf = join(screens, "receipt.pdf");
  await page.pdf({ path: pdf, format: "A4" });
  assert.ok(statSync(pdf).size > 5_000, "the printed page has content");
  await page.emulateMedia({ media: "screen" });
  assert.ok(await page.getByRole("button", { name: EN.receipt_print }).isVisible());
  await closeClean(page);
});

test("already paid: a malformed hash is refused unsent; another session's transfer is not this one; the real one counts", async () => {
  const session = await createSession();
  const other = await createSession();
  const foreign = await paySession(other); // a real transfer, to another session's address
  const page = await newPage(chrome, { width: 420 });
  const sent = [];
  page.on("request", (r) => r.method() === "POST" && r.url().endsWith("/check") && sent.push(r.postData() || ""));
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");

  await page.getByText(EN.paid_already, { exact: true }).click();
  const field = page.getByLabel(EN.tx_hash);
  await field.waitFor({ timeout: 5_000 });
  assert.equal(await field.getAttribute("aria-invalid"), "false");

  // Malformed: said at once, by the field, and nothing goes to the server.
  await field.fill("0x1234");
  await field.press("Enter");
  const error = page.locator("#kasse-tx-error");
  await error.waitFor({ timeout: 5_000 });
  assert.equal((await error.innerText()).trim(), EN.check_invalid);
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  assert.deepEqual((await field.getAttribute("aria-describedby")).split(" ").sort(), ["kasse-tx-error", "kasse-tx-hint"]);
  await page.waitForTimeout(500);
  assert.deepEqual(sent.filter((body) => body.includes("0x1234")), [], "no check for a malformed hash");
  await page.locator(".kasse").first().screenshot({ path: join(screens, "receipt-check-invalid.png") });
  await axe(page, "the already-paid form with a malformed hash");

  // Another session's transfer: found, but it does not pay this checkout.
  await field.fill(foreign);
  await page.getByRole("button", { name: EN.check_submit }).click();
  const reply = page.locator(".kasse-check-reply");
  await page.locator('[data-check-reply="other"]').waitFor({ timeout: 15_000 });
  assert.equal((await reply.innerText()).trim(), EN.check_other);
  assert.equal(await field.getAttribute("aria-invalid"), "false");
  assert.equal(sent.filter((body) => body.includes(foreign)).length >= 1, true, "the check named the hash");
  assert.equal((await shopperView(session)).status, "pending", "nothing changed here");
  await axe(page, "the already-paid form with its answer");

  // The real payment, in a block not yet confirmed: found, waiting; the screen moves on.
  const hash = await paySession(session);
  await field.fill(hash);
  await page.getByRole("button", { name: EN.check_submit }).click();
  await onScreen(page, "detected");
  const counted = page.locator('[data-check-reply="counted"]');
  await counted.waitFor({ timeout: 15_000 });
  assert.equal((await counted.innerText()).trim(), EN.check_pending);
  await page.locator(".kasse").first().screenshot({ path: join(screens, "receipt-check-detected.png") });

  // Confirmed: the same answer now says it counts, above the receipt of that transaction.
  await mine(2);
  await runScheduled();
  await onScreen(page, "paid");
  await page.locator(".kasse-receipt").waitFor({ timeout: 10_000 });
  assert.equal((await counted.innerText()).trim(), EN.check_counted);
  assert.equal(await page.locator(".kasse-receipt [data-tx-hash]").getAttribute("data-tx-hash"), hash);
  await axe(page, "the paid screen after the shopper's own check");
  await closeClean(page);
});
