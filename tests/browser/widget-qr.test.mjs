// The pay screen's two QR codes, in headless Chromium against the real worker: "Wallet app"
// holds the EIP-681 payment request and "Exchange / address only" the bare address, each
// decoded from the pixels by zbar; the amount, token and network stand large beside the code;
// the shopper's choice is kept by the browser (localStorage of the page's origin) across
// reloads, and a browser that refuses storage still switches. axe-core (WCAG 2.1 AA and best
// practice) finds nothing in either mode. Screenshots go to .kasse/test/screens/qr-*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ethUrl from "eth-url-parser";
import { axe, closeClean, newPage, onScreen, useBrowser } from "../support/browser.mjs";
import { createSession, payAndWatch, shopperView } from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();
const EN = JSON.parse(readFileSync(new URL("../../www/i18n/en.json", import.meta.url), "utf8"));

/** The QR code on screen, decoded from a screenshot of it by zbar; and its mode. */
async function qrOf(page, name) {
  const qr = page.locator(".kasse-qr").first();
  const file = join(screens, `qr-${name}-code.png`);
  await qr.locator("svg").screenshot({ path: file });
  return { mode: await qr.getAttribute("data-qr-mode"), text: execFileSync("zbarimg", ["--raw", "-q", file], { encoding: "utf8" }).trim() };
}

const stored = (page) => page.evaluate(() => localStorage.getItem("kasse.qr_mode"));

test("wallet mode holds the payment request, address mode the bare address; the choice survives a reload", async () => {
  const session = await createSession();
  const page = await newPage(chrome, { width: 420 });
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");

  // First visit: the payment request, for wallet apps.
  assert.equal(await stored(page), null);
  const group = page.getByRole("group", { name: EN.qr_modes_label });
  const wallet = group.getByRole("radio", { name: EN.qr_mode_wallet });
  const exchange = group.getByRole("radio", { name: EN.qr_mode_exchange });
  assert.ok(await wallet.isChecked());
  assert.ok(!(await exchange.isChecked()));
  const request = await qrOf(page, "wallet");
  assert.deepEqual(request, { mode: "wallet", text: session.payment_uri });
  assert.equal(ethUrl.parse(request.text).parameters.uint256, "49990000");
  assert.equal(await page.locator(".kasse-qr-note").count(), 0, "no address-only note");

  // What to send, large, beside the code: amount, token, network.
  const facts = page.locator(".kasse-facts");
  // The text of the fact labelled `label`, without its mark (an SVG with letters).
  const fact = (label) =>
    facts.locator("div").filter({ has: page.locator("dt", { hasText: label }) }).locator("dd")
      .evaluate((dd) => [...dd.childNodes].filter((n) => n.nodeName !== "svg").map((n) => n.textContent).join("").trim());
  assert.equal(await fact(EN.amount), "49.99");
  assert.equal(await fact(EN.token), "USDC");
  assert.equal(await fact(EN.network), "Local (anvil)");
  const size = await facts.locator("dd").first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 18, `the amount is large: ${size}px`);
  assert.equal(await facts.locator("svg.kasse-icon[aria-hidden=true]").count(), 2, "a token and a network mark");
  await page.locator(".kasse").first().screenshot({ path: join(screens, "qr-wallet.png") });
  await axe(page, "the pay screen in wallet mode");

  // Keyboard only: the arrow key moves the radio group to the address.
  await wallet.focus();
  await page.keyboard.press("ArrowRight");
  await page.locator('.kasse-qr[data-qr-mode="address"]').waitFor({ timeout: 5_000 });
  assert.ok(await exchange.isChecked());
  assert.deepEqual(await qrOf(page, "address"), { mode: "address", text: session.address });
  assert.match(session.address, /^0x[0-9a-fA-F]{40}$/);
  assert.equal((await page.locator(".kasse-qr-note").innerText()).trim(), EN.qr_exchange_note);
  assert.equal(await fact(EN.amount), "49.99", "the amount stays beside the address-only code");
  assert.equal(await stored(page), "address");
  await page.locator(".kasse").first().screenshot({ path: join(screens, "qr-address.png") });
  await axe(page, "the pay screen in address mode");

  // The choice is the browser's: a reload (the hosted page again) opens in address mode.
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  assert.deepEqual(await qrOf(page, "address-again"), { mode: "address", text: session.address });

  // And back: a click on "Wallet app", kept too.
  await wallet.click();
  await page.locator('.kasse-qr[data-qr-mode="wallet"]').waitFor({ timeout: 5_000 });
  assert.equal(await stored(page), "wallet");
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  assert.deepEqual(await qrOf(page, "wallet-again"), { mode: "wallet", text: session.payment_uri });
  await closeClean(page);
});

test("a browser that refuses storage starts in wallet mode and still switches", async () => {
  const session = await createSession();
  const page = await newPage(chrome, { width: 320 });
  // As with site data blocked: reading localStorage throws.
  await page.addInitScript(() => {
    Object.defineProperty(window, "localStorage", {
      get() {
        throw new DOMException("The operation is insecure.", "SecurityError");
      },
    });
  });
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  assert.equal(await page.locator(".kasse-qr").first().getAttribute("data-qr-mode"), "wallet");
  await page.getByRole("radio", { name: EN.qr_mode_exchange }).click();
  assert.deepEqual(await qrOf(page, "no-storage"), { mode: "address", text: session.address });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), "both modes fit 320 px");
  await closeClean(page);
});

test("underpaid: one sentence with the rest to send, and both codes for exactly the rest", async () => {
  const session = await createSession();
  await payAndWatch(session, { amount: 20_000_000n }); // 20 of 49.99 USDC
  const view = await shopperView(session);
  assert.equal(view.status, "underpaid");
  const page = await newPage(chrome, { width: 420 });
  await page.goto(session.checkout_url);
  await onScreen(page, "underpaid");
  const sentence = EN.underpaid_body.replace("{amount}", "29.99 USDC");
  assert.ok((await page.locator(".kasse").innerText()).includes(sentence), sentence);
  const request = await qrOf(page, "underpaid-wallet");
  assert.equal(request.text, view.payment_uri);
  assert.equal(ethUrl.parse(request.text).parameters.uint256, "29990000");
  await page.getByRole("radio", { name: EN.qr_mode_exchange }).click();
  assert.deepEqual(await qrOf(page, "underpaid-address"), { mode: "address", text: session.address });
  assert.equal((await page.locator(".kasse-facts dd").first().innerText()).trim(), "29.99");
  await axe(page, "the underpaid screen in address mode");
  await closeClean(page);
});
