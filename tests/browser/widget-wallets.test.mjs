// Paying from a browser wallet, in headless Chromium against the real worker and anvil: every
// wallet the browser announces (EIP-6963) is listed by name and icon, a late one too, and the
// chosen one pays; a merchant's own EIP-1193 provider (their WalletConnect set-up, say) pays
// instead of any discovered wallet; the widget listens for wallets only while it is mounted.
// The wallets are EIP-1193 objects whose transactions anvil signs with its unlocked accounts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { closeClean, installAnvilWallet, newPage, useBrowser } from "../support/browser.mjs";
import {
  USD, base, createSession, env, getSession, mine, mined, rpc, runScheduled, sendMint,
} from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

async function onScreen(page, name, timeout = 25_000) {
  await page.locator(`[data-kasse-screen="${name}"]`).first().waitFor({ timeout });
}

/** Screenshots the widget, then axe over the page and the widget's shadow DOM: WCAG 2.1 AA and best practice. */
async function shot(page, name) {
  await page.locator(".kasse").first().screenshot({ path: join(screens, `${name}.png`) });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    }),
  );
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(violations, [], `axe on the ${name} screen`);
  assert.ok(result.passes.some((p) => p.nodes.some((n) => Array.isArray(n.target[0]))), "axe checked the shadow DOM");
}

/** A square icon as wallets announce theirs: an SVG data URI. */
const icon = (fill) =>
  `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" rx="24" fill="${fill}"/></svg>`)}`;

const FIRST = { uuid: "6f1d7a2c-4b1e-4c3a-9a55-1f0e2d3c4b5a", name: "First Wallet", icon: icon("#e2761b"), rdns: "com.example.first" };
const SECOND = { uuid: "0b6c5d4e-3f2a-4b1c-8d9e-7a6b5c4d3e2f", name: "Second Wallet", icon: icon("#3375bb"), rdns: "com.example.second" };
const LATE = { uuid: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", name: "Late Wallet", icon: icon("#16a34a"), rdns: "com.example.late" };

/** anvil's unlocked account `i`, given `usdc` base units of the local USDC to pay with. */
async function fundedAccount(i, usdc) {
  const account = (await rpc("eth_accounts"))[i];
  await mined(await sendMint("USDC", account, usdc));
  return account;
}

/**
 * Gives the page, before any of its scripts run, `window.__wallet(name, account)`: the
 * anvil-signed provider of `installAnvilWallet`, logging "{name} {method}" in
 * `window.__walletCalls`; `window.__announce(info,
 * account)`, which announces such a wallet the EIP-6963 way (now, and again at every request);
 * the `wallets` ({info, account}) announced on load; and counters of the widget's discovery:
 * `window.__discovery.listening` (announce listeners added minus removed) and `.requests`.
 */
async function installWallets(page, wallets) {
  await installAnvilWallet(page, rpc);
  await page.addInitScript((wallets) => {
    window.__wallet = window.__anvilWallet;
    window.__announce = (info, account) => {
      const detail = Object.freeze({ info: Object.freeze({ ...info }), provider: window.__wallet(info.name, account) });
      const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
      window.addEventListener("eip6963:requestProvider", announce);
      announce();
    };
    const discovery = (window.__discovery = { listening: 0, requests: 0 });
    const add = window.addEventListener, remove = window.removeEventListener;
    window.addEventListener = function (type, ...rest) {
      if (type === "eip6963:announceProvider") discovery.listening++;
      return add.call(this, type, ...rest);
    };
    window.removeEventListener = function (type, ...rest) {
      if (type === "eip6963:announceProvider") discovery.listening--;
      return remove.call(this, type, ...rest);
    };
    add.call(window, "eip6963:requestProvider", () => discovery.requests++);
    for (const { info, account } of wallets) window.__announce(info, account);
  }, wallets);
}

/** The wallet buttons on screen: label, rdns, icon. */
async function walletButtons(page) {
  return page.locator("button.kasse-wallet").evaluateAll((buttons) =>
    buttons.map((b) => {
      const img = b.querySelector("img");
      return {
        label: b.innerText.trim(),
        rdns: b.getAttribute("data-wallet-rdns"),
        icon: img && { src: img.getAttribute("src"), alt: img.getAttribute("alt"), width: img.width, height: img.height },
      };
    }),
  );
}

/**
 * A shop page on Kasse's origin (served by the test, so the wallets' init script runs in it as
 * in any page) whose widget is `kasse.js` mounted with `options` and the session's id and secret.
 */
async function embed(page, session, options) {
  await page.route(`${base}/test-shop`, (route) => route.fulfill({
    contentType: "text/html; charset=utf-8",
    body: `<!doctype html><html lang="en"><head><title>Shop</title><link rel="icon" href="data:,">
      <script src="${base}/kasse.js"></script></head>
      <body><main><h1>Shop</h1><div id="w"></div></main></body></html>`,
  }));
  await page.goto(`${base}/test-shop`);
  await page.evaluate(({ id, secret, options }) => {
    const provider = options.wallet && window.__wallet(options.wallet.name, options.wallet.account);
    window.__h = window.Kasse.mount(document.getElementById("w"), {
      session: id, clientSecret: secret, ...(provider ? { provider } : {}), ...(options.providerName ? { providerName: options.providerName } : {}),
    });
  }, { id: session.id, secret: session.client_secret, options });
}

/** Waits for the session's payment of `amount` base units, confirms it, and returns the sender of its transaction. */
async function paidFrom(page, session, amount) {
  await onScreen(page, "detected", 20_000);
  const detected = await getSession(session.id);
  assert.equal(detected.payments.length, 1);
  const receipt = await rpc("eth_getTransactionReceipt", [detected.payments[0].tx_hash]);
  assert.equal(receipt.to.toLowerCase(), env.contracts.USDC.toLowerCase(), "an ERC-20 transfer");
  await mine(2);
  await runScheduled();
  await onScreen(page, "paid");
  const paid = await getSession(session.id);
  assert.equal(paid.status, "paid");
  assert.equal(BigInt(paid.amount_received), amount);
  return receipt.from.toLowerCase();
}

test("EIP-6963: both announced wallets are listed by name and icon, a late one joins, and the second one pays", async () => {
  const first = await fundedAccount(6, 49_990_000n);
  const second = await fundedAccount(7, 49_990_000n);
  const session = await createSession();
  const page = await newPage(chrome, { width: 420 });
  await installWallets(page, [{ info: FIRST, account: first }, { info: SECOND, account: second }]);
  // A window.ethereum as well: announced wallets take its place.
  await page.addInitScript((account) => { window.ethereum = window.__wallet("window.ethereum", account); }, first);
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  await page.getByRole("button", { name: "Pay with Second Wallet" }).waitFor({ timeout: 5_000 });
  const listed = [
    { label: "Pay with First Wallet", rdns: FIRST.rdns, icon: { src: FIRST.icon, alt: "", width: 20, height: 20 } },
    { label: "Pay with Second Wallet", rdns: SECOND.rdns, icon: { src: SECOND.icon, alt: "", width: 20, height: 20 } },
  ];
  assert.deepEqual(await walletButtons(page), listed);
  assert.equal(await page.getByRole("list", { name: "Browser wallets" }).count(), 1);
  assert.equal(await page.evaluate(() => window.__discovery.listening), 1, "one announce listener");
  assert.ok(await page.evaluate(() => window.__discovery.requests) >= 1, "the widget asked the wallets to announce themselves");
  await shot(page, "wallets-list");

  // Announcing again (every wallet answers every request) lists no wallet twice.
  await page.evaluate(() => window.dispatchEvent(new Event("eip6963:requestProvider")));
  await page.waitForTimeout(300);
  assert.deepEqual(await walletButtons(page), listed);
  // A wallet that announces itself after the widget mounted is listed too, last.
  await page.evaluate(({ info, account }) => window.__announce(info, account), { info: LATE, account: first });
  await page.getByRole("button", { name: "Pay with Late Wallet" }).waitFor({ timeout: 5_000 });
  assert.deepEqual((await walletButtons(page)).map((b) => b.rdns), [FIRST.rdns, SECOND.rdns, LATE.rdns]);

  await page.getByRole("button", { name: "Pay with Second Wallet" }).click();
  assert.equal(await paidFrom(page, session, 49_990_000n), second.toLowerCase(), "sent from the second wallet's account");
  assert.deepEqual(await page.evaluate(() => window.__walletCalls), [
    "Second Wallet eth_requestAccounts", "Second Wallet eth_chainId",
    "Second Wallet wallet_switchEthereumChain", "Second Wallet eth_sendTransaction",
  ]);
  await closeClean(page);
});

test("a merchant-supplied EIP-1193 provider pays, with no window.ethereum and no announced wallet", async () => {
  const merchant = await fundedAccount(5, 12_340_000n);
  const session = await createSession({ amount: USD("12.34") });
  const page = await newPage(chrome, { width: 420 });
  await installWallets(page, []);
  await embed(page, session, { wallet: { name: "merchant", account: merchant }, providerName: "WalletConnect" });
  await onScreen(page, "pay");
  assert.equal(await page.evaluate(() => window.ethereum), undefined);
  assert.deepEqual(await walletButtons(page), [{ label: "Pay with WalletConnect", rdns: null, icon: null }]);
  // The merchant's provider replaces discovery: the widget neither listens nor asks.
  assert.deepEqual(await page.evaluate(() => window.__discovery), { listening: 0, requests: 0 });
  await shot(page, "wallets-merchant");

  await page.getByRole("button", { name: "Pay with WalletConnect" }).click();
  assert.equal(await paidFrom(page, session, 12_340_000n), merchant.toLowerCase(), "sent from the merchant provider's account");
  assert.deepEqual(await page.evaluate(() => window.__walletCalls), [
    "merchant eth_requestAccounts", "merchant eth_chainId", "merchant wallet_switchEthereumChain", "merchant eth_sendTransaction",
  ]);
  await page.evaluate(() => window.__h.unmount());
  await closeClean(page);
});

test("discovery listens only while the widget is mounted; a provider without a name is the browser wallet", async () => {
  const session = await createSession({ amount: USD("3.00") });
  const page = await newPage(chrome, { width: 420 });
  await installWallets(page, [{ info: FIRST, account: (await rpc("eth_accounts"))[6] }]);
  await embed(page, session, {});
  await onScreen(page, "pay");
  await page.getByRole("button", { name: "Pay with First Wallet" }).waitFor({ timeout: 5_000 });
  assert.equal(await page.evaluate(() => window.__discovery.listening), 1);
  await page.evaluate(() => window.__h.unmount());
  assert.equal(await page.evaluate(() => window.__discovery.listening), 0, "unmount removes the announce listener");

  // Mounted again with a provider and no name: one button, the browser wallet's words.
  await page.evaluate(({ id, secret }) => {
    window.__h = window.Kasse.mount(document.getElementById("w"), {
      session: id, clientSecret: secret, provider: window.__wallet("merchant", "0x0000000000000000000000000000000000000001"),
    });
  }, { id: session.id, secret: session.client_secret });
  await onScreen(page, "pay");
  assert.deepEqual(await walletButtons(page), [{ label: "Pay with browser wallet", rdns: null, icon: null }]);
  assert.equal(await page.evaluate(() => window.__discovery.listening), 0);
  await page.evaluate(() => window.__h.unmount());
  // A provider without `request` is refused at once, in words.
  const refused = await page.evaluate(({ id, secret }) => {
    try {
      window.Kasse.mount(document.getElementById("w"), { session: id, clientSecret: secret, provider: {} });
      return null;
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  }, { id: session.id, secret: session.client_secret });
  assert.match(refused ?? "", /^TypeError: .*provider/);
  await closeClean(page);
});
