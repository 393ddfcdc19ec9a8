// The widget's Tron pay screen, in headless Chromium against the real worker and the Tron
// stand-in: the T… address (and a QR code of it alone), the amount, a TronLink link, no
// EIP-681 request and no browser-wallet button; then paid once the block is finalized.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { HDNodeWallet } from "ethers";
import { closeClean, newPage, useBrowser } from "../support/browser.mjs";
import { USD, createSession, mine, newAccount, runScheduled, transfer } from "../support/env.mjs";
import { evmAddress } from "../../xtask/chain/lib.mjs";

const TRON = 31339;
const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();

test("a Tron option shows the T… address, its QR, the amount and a TronLink link; no EIP-681, no wallet button", async () => {
  const phrase = HDNodeWallet.createRandom().mnemonic.phrase;
  const xpub = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/195'/0'").neuter().extendedKey;
  const account = await newAccount({ xpub_tron_test: xpub });
  const session = await createSession({ amount: USD("7.25"), chain_id: TRON, token: "USDT" }, { key: account.keys.sk_test });
  assert.match(session.address_tron, /^T[1-9A-HJ-NP-Za-km-z]{33}$/);

  const page = await newPage(chrome, { width: 420 });
  await page.goto(session.checkout_url);
  const screen = page.locator('[data-kasse-screen="pay"]').first();
  await screen.waitFor({ timeout: 25_000 });
  const text = await page.locator(".kasse").innerText();
  assert.ok(text.includes(session.address_tron), text);
  assert.match(text, /7\.25 USDT/);
  assert.ok(!text.includes(session.address), "the EVM address is not shown for a Tron option");

  const tronlink = page.locator("a[data-tronlink]");
  assert.equal(await tronlink.count(), 1);
  const href = await tronlink.getAttribute("href");
  assert.ok(href.startsWith("tronlinkoutside://pull.activity?param="), href);
  assert.deepEqual(JSON.parse(decodeURIComponent(href.split("param=")[1])), { action: "open", protocol: "tronlink", version: "1.0" });
  assert.equal(await page.locator('a[href^="ethereum:"]').count(), 0, "no EIP-681 link");
  assert.equal(await page.locator("[data-payment-uri]").count(), 0, "no EIP-681 request in the QR");
  assert.equal(await page.locator("button.kasse-wallet").count(), 0, "no browser-wallet button");

  // The QR code holds the address alone, decoded from the pixels.
  const file = join(screens, "pay-tron-qr.png");
  await page.locator(".kasse-qr svg").first().screenshot({ path: file });
  assert.equal(execFileSync("zbarimg", ["--raw", "-q", file], { encoding: "utf8" }).trim(), session.address_tron);
  await page.locator(".kasse").first().screenshot({ path: join(screens, "pay-tron.png") });

  // Paid to the address's 20 bytes, then final once the stand-in's finalized block passes it.
  await transfer(evmAddress(session.address_tron), 7_250_000n, "USDT", TRON);
  await mine(66, TRON);
  await runScheduled();
  await page.locator('[data-kasse-screen="paid"]').first().waitFor({ timeout: 25_000 });
  await closeClean(page);
});
