// Headless Chromium for the browser suites: Debian's build, flags that keep it off the
// closed network. `useBrowser()` launches one per test file and closes it after.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

/** Registers before/after hooks; the returned object's `browser` is set once launched. */
export function useBrowser() {
  const handle = { browser: undefined };
  before(async () => {
    handle.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await handle.browser?.close();
  });
  return handle;
}

/**
 * A page of its own context, `width` px wide (and in `locale`, if given), that records
 * every script error and console error in `page.errors`; [`closeClean`] asserts it stayed
 * empty. Chromium logs every 4xx answer as a console error: the pages expect and show
 * those, so they are not errors here.
 */
export async function newPage(handle, { width = 320, locale } = {}) {
  const context = await handle.browser.newContext({ viewport: { width, height: 900 }, ...(locale ? { locale } : {}) });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  const expected = /^Failed to load resource: the server responded with a status of 4\d\d/;
  page.on("console", (m) => m.type() === "error" && !expected.test(m.text()) && page.errors.push(m.text()));
  return page;
}

/** Asserts the page logged no error, and closes its context. */
export async function closeClean(page) {
  assert.deepEqual(page.errors, []);
  await page.context().close();
}

/** Waits until the widget on `page` shows the screen `name` (its `data-kasse-screen`). */
export async function onScreen(page, name, timeout = 25_000) {
  await page.locator(`[data-kasse-screen="${name}"]`).first().waitFor({ timeout });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Asserts that axe-core finds nothing on the whole page, the widget's shadow DOM included:
 * WCAG 2.1 AA and the best-practice rules. `what` names the screen in the failure.
 */
export async function axe(page, what) {
  // Evaluated over the DevTools protocol, so the page's CSP does not block it.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    }),
  );
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(violations, [], `axe on ${what}`);
  assert.ok(result.passes.some((p) => p.nodes.some((n) => Array.isArray(n.target[0]))), "axe checked the shadow DOM");
}

/**
 * Gives the page, before any of its scripts run, `window.__anvilWallet(name, account)`: an
 * EIP-1193 provider whose account is `account` and whose transactions anvil signs (`rpc` is
 * the test's JSON-RPC call), logging each method asked of it in `window.__walletCalls` as
 * "{name} {method}", or "{method}" when `name` is empty. It starts on chain 0x1, so the
 * widget must switch it.
 */
export async function installAnvilWallet(page, rpc) {
  await page.exposeFunction("__anvil", (method, params) => rpc(method, params));
  await page.addInitScript(() => {
    window.__walletCalls = [];
    window.__anvilWallet = (name, account) => {
      let chain = "0x1";
      return {
        async request({ method, params }) {
          window.__walletCalls.push(name ? `${name} ${method}` : method);
          switch (method) {
            case "eth_requestAccounts":
              return [account];
            case "eth_chainId":
              return chain;
            case "wallet_switchEthereumChain":
              chain = params[0].chainId;
              return null;
            case "eth_sendTransaction":
              return window.__anvil(method, params);
            default:
              throw Object.assign(new Error(`unsupported ${method}`), { code: 4200 });
          }
        },
      };
    };
  });
}
