// Headless Chromium against the real worker and real anvil payments: every screen of the
// widget, the QR decoded from pixels, the hosted page, events and unmount. Each screen's
// screenshot is written to .kasse/test/screens/ for a reviewer to look at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import ethUrl from "eth-url-parser";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { installAnvilWallet, useBrowser } from "../support/browser.mjs";
import { createServer } from "node:http";
import {
  ANY_OPTION, USD, advance, api, base, cancelSession, createLink, createSession, demo, env, getSession, mine, newAccount, ok,
  paySession, payAndWatch, rpc, runScheduled, shopperView,
} from "../support/env.mjs";
const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });

const chrome = useBrowser();

/** A page that records errors; `errors` must stay empty. */
async function newPage(width = 420) {
  const page = await chrome.browser.newPage({ viewport: { width, height: 900 } });
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
  return page;
}

/** Asserts that the page logged no error, and closes it. */
async function closeClean(page) {
  assert.deepEqual(page.errors, []);
  await page.close();
}

async function onScreen(page, name, timeout = 25_000) {
  await page.locator(`[data-kasse-screen="${name}"]`).first().waitFor({ timeout });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Screenshots the widget for the reviewer and checks the page with axe-core (WCAG 2.1 AA). */
async function shot(page, name) {
  await page.locator(".kasse").first().screenshot({ path: join(screens, `${name}.png`) });
  // Evaluated over the DevTools protocol, so the page's CSP does not block it.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(violations, [], `axe on the ${name} screen`);
  assert.ok(result.passes.length > 10, "axe ran its rules");
  // Nodes inside a shadow root have nested selectors: axe looked inside the widget.
  assert.ok(result.passes.some((p) => p.nodes.some((n) => Array.isArray(n.target[0]))), "axe checked the shadow DOM");
}

/** Decodes the QR on screen with zbarimg and parses it as EIP-681. */
async function qrOf(page, name) {
  const file = join(screens, `${name}-qr.png`);
  await page.locator(".kasse-qr svg").first().screenshot({ path: file });
  return execFileSync("zbarimg", ["--raw", "-q", file], { encoding: "utf8" }).trim();
}

test("hosted page: headers, secret removed, QR decodes to the exact URI, live status to paid, then success_url", async () => {
  const success = `${base}/openapi.json?paid=1`;
  const session = await createSession({ return_url: "https://shop.example/cart", success_url: success });
  const page = await newPage();
  // Reads of the view: the If-None-Match each carried (null for a read from scratch).
  const reads = [];
  page.on("request", (r) => {
    if (r.method() === "GET" && r.url().endsWith(`/v1/public/checkout_sessions/${session.id}`)) {
      reads.push(r.headers()["if-none-match"] ?? null);
    }
  });
  const response = await page.goto(session.checkout_url);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.equal(headers["cache-control"], "no-store");

  await onScreen(page, "pay");
  // The loader read the view while the wasm loaded; the widget took that answer, and
  // every later read asks only whether it changed.
  assert.equal(reads.filter((etag) => etag === null).length, 1, `reads of the view: ${JSON.stringify(reads)}`);
  assert.equal(new URL(page.url()).hash, "", "the client secret is removed from the address bar");
  const text = await page.locator(".kasse").innerText();
  assert.match(text, /49\.99 USDC/);
  assert.ok(text.includes(session.address));
  assert.match(text, /Send only on Local \(anvil\)/);
  assert.match(text, /Expires in \d\d:\d\d/);
  assert.match(text, /Back to shop/);
  await shot(page, "pay");
  const decoded = await qrOf(page, "pay");
  assert.equal(decoded, session.payment_uri);
  assert.equal(ethUrl.parse(decoded).parameters.uint256, "49990000");

  await paySession(session);
  await runScheduled();
  await onScreen(page, "detected");
  assert.match(await page.locator(".kasse").innerText(), /Confirmations: [01] \/ \d/);
  await shot(page, "detected");
  await mine(2);
  await runScheduled();
  await onScreen(page, "paid");
  assert.match(await page.locator(".kasse").innerText(), /Payment received/);
  await shot(page, "paid");
  await page.waitForURL(success, { timeout: 10_000 });
  await closeClean(page);
});

test("choose: every option with its exact amount; choosing one shows its QR", async () => {
  const session = await createSession({ ...ANY_OPTION, amount: USD("12.34") });
  assert.equal(session.selected_token, null);
  const page = await newPage(320);
  await page.goto(session.checkout_url);
  await onScreen(page, "choose");
  const options = page.locator(".kasse-option");
  assert.equal(await options.count(), session.supported_tokens.length);
  for (const t of session.supported_tokens) {
    const option = page.locator(`.kasse-option[data-chain-id="${t.chain_id}"][data-token="${t.token}"]`);
    assert.match(await option.innerText(), new RegExp(`${t.amount_formatted.replace(".", "\\.")} ${t.token}`));
  }
  await shot(page, "choose");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), "no sideways scrolling at 320 px");
  // Keyboard only: tab to the L2's USDT option (18 decimals) and press Enter.
  const usdt = page.locator('.kasse-option[data-chain-id="31338"][data-token="USDT"]');
  await usdt.focus();
  await page.keyboard.press("Enter");
  await onScreen(page, "pay");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), "the pay screen fits 320 px too");
  // Tab walks through every control of the pay screen, in reading order.
  const focused = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Tab");
    focused.push(await page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.getAttribute("aria-label") || el?.textContent.trim();
    }));
  }
  for (const control of ["Copy Send exactly", "Copy To this address", "Open in wallet", "Pay with another token or network"]) {
    assert.ok(focused.includes(control), `${control} is reachable by keyboard: ${focused}`);
  }
  const view = await shopperView(session);
  assert.equal(view.selected.token, "USDT");
  assert.equal(view.selected.chain_id, 31338);
  const decoded = await qrOf(page, "choose-usdt");
  assert.equal(decoded, view.payment_uri);
  const usdtOption = session.supported_tokens.find((t) => t.chain_id === 31338 && t.token === "USDT");
  // 12.34 at 18 decimals, exactly: the QR carries the integer, never a float's rounding.
  assert.equal(usdtOption.amount, "12340000000000000000");
  assert.equal(ethUrl.parse(decoded).parameters.uint256, usdtOption.amount);
  assert.equal(ethUrl.parse(decoded).chain_id, "31338");
  // Changing again is possible until a payment arrives.
  await page.getByRole("button", { name: "Pay with another token or network" }).click();
  await onScreen(page, "choose");
  await page.locator('.kasse-option[data-chain-id="31337"][data-token="USDC"]').click();
  await onScreen(page, "pay");
  assert.equal((await shopperView(session)).selected.token, "USDC");
  assert.equal((await shopperView(session)).selected.chain_id, 31337);
  await closeClean(page);
});

test("underpaid: the remainder, and a new QR for exactly the remainder", async () => {
  const session = await createSession();
  await payAndWatch(session, { amount: 20_000_000n }); // 20 of 49.99 USDC
  const page = await newPage();
  await page.goto(session.checkout_url);
  await onScreen(page, "underpaid");
  const text = await page.locator(".kasse").innerText();
  assert.match(text, /Partly paid/);
  assert.match(text, /29\.99 USDC/);
  await shot(page, "underpaid");
  const decoded = await qrOf(page, "underpaid");
  const view = await shopperView(session);
  assert.equal(decoded, view.payment_uri);
  assert.equal(ethUrl.parse(decoded).parameters.uint256, "29990000");
  await closeClean(page);
});

test("overpaid and paid late are successes with their own words", async () => {
  const over = await createSession();
  await paySession(over, 60_000_000n);
  const late = await createSession();
  await advance(late.id, 3600);
  await runScheduled();
  await paySession(late);
  await mine(3);
  await runScheduled();
  await runScheduled();
  const page = await newPage();
  await page.goto(over.checkout_url);
  await onScreen(page, "overpaid");
  assert.match(await page.locator(".kasse").innerText(), /more than the total/);
  await shot(page, "overpaid");
  await page.goto(late.checkout_url);
  await onScreen(page, "paid_late");
  assert.match(await page.locator(".kasse").innerText(), /after the deadline/);
  await shot(page, "paid_late");
  await closeClean(page);
});

test("expired (with start again from a payment link) and canceled", async () => {
  const link = await createLink({ amount: USD("3.00") });
  const started = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, {
    token: demo.publishable_key,
    headers: { "cf-connecting-ip": "203.0.113.77" },
  });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await advance(started.body.id, 3 * 3600);
  await runScheduled();
  const page = await newPage();
  await page.goto(started.body.checkout_url);
  await onScreen(page, "expired");
  const again = page.getByRole("link", { name: "Start again" });
  assert.equal(await again.getAttribute("href"), link.url);
  await shot(page, "expired");

  const session = await createSession({ cancel_url: "https://shop.example/cancel" });
  await cancelSession(session.id);
  await page.goto(session.checkout_url);
  await onScreen(page, "canceled");
  assert.match(await page.locator(".kasse").innerText(), /canceled/);
  assert.equal(await page.getByRole("link", { name: "Cancel" }).count(), 0, "no cancel link on a closed session");
  await shot(page, "canceled");
  await closeClean(page);
});

test("browser wallet: EIP-1193 accounts, chain switch, a USDC transfer signed by an anvil key, then the check", async () => {
  const session = await createSession();
  // The shopper's wallet: anvil account #8, given the USDC it needs.
  const { ethers } = await import("ethers");
  const provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1 });
  const signer = await provider.getSigner(8);
  const from = await signer.getAddress();
  const usdc = new ethers.Contract(env.contracts.USDC, ["function mint(address to, uint256 value)"], signer);
  await (await usdc.mint(from, 49_990_000n)).wait();
  provider.destroy();

  const page = await newPage();
  // An injected EIP-1193 provider; anvil signs with account #8's key.
  await installAnvilWallet(page, rpc);
  await page.addInitScript((account) => { window.ethereum = window.__anvilWallet("", account); }, from);
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  await page.getByRole("button", { name: "Pay with browser wallet" }).click();
  await onScreen(page, "detected", 20_000);
  assert.deepEqual(await page.evaluate(() => window.__walletCalls), [
    "eth_requestAccounts", "eth_chainId", "wallet_switchEthereumChain", "eth_sendTransaction",
  ]);
  const paid = await getSession(session.id);
  assert.equal(paid.payments.length, 1);
  const receipt = await rpc("eth_getTransactionReceipt", [paid.payments[0].tx_hash]);
  assert.equal(receipt.from.toLowerCase(), from.toLowerCase(), "sent from the wallet's account");
  assert.equal(receipt.to.toLowerCase(), env.contracts.USDC.toLowerCase(), "an ERC-20 transfer");
  await mine(2);
  await runScheduled();
  await onScreen(page, "paid");
  await closeClean(page);
});

test("browser wallet: a rejection is said plainly and nothing is sent", async () => {
  const session = await createSession();
  const page = await newPage();
  await page.addInitScript(() => {
    window.ethereum = {
      async request({ method }) {
        if (method === "eth_requestAccounts") throw Object.assign(new Error("User rejected"), { code: 4001 });
        throw Object.assign(new Error("unexpected"), { code: 4200 });
      },
    };
  });
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  await page.getByRole("button", { name: "Pay with browser wallet" }).click();
  await page.getByText("You declined in your wallet. Nothing was sent.").waitFor({ timeout: 5_000 });
  await shot(page, "wallet-declined");
  assert.equal((await getSession(session.id)).payments.length, 0);
  await page.close();
});

test("errors: a human message and a retry, never a blank widget", async () => {
  const session = await createSession();
  const page = await newPage();
  await page.goto(`${base}/c/${session.id}#not-the-secret`);
  await onScreen(page, "error");
  assert.match(await page.locator(".kasse").innerText(), /could not load this checkout/);
  const retry = page.getByRole("button", { name: "Try again" });
  await retry.click();
  await onScreen(page, "error");
  await shot(page, "error");
  await page.close();
});

test("embedding: two widgets on one page, kasse:status events, callbacks, styles isolated, unmount stops everything", async () => {
  const a = await createSession();
  const b = await createSession({ amount: USD("1.50") });
  const page = await newPage(800);
  // Count live timers so unmount can be checked for leaks.
  await page.addInitScript(() => {
    const live = new Set();
    const st = window.setTimeout, ct = window.clearTimeout, si = window.setInterval, ci = window.clearInterval;
    window.__timers = live;
    window.setTimeout = (f, ms, ...rest) => {
      const id = st((...args) => { live.delete(id); typeof f === "function" && f(...args); }, ms, ...rest);
      live.add(id);
      return id;
    };
    window.clearTimeout = (id) => { live.delete(id); ct(id); };
    window.setInterval = (f, ms, ...rest) => { const id = si(f, ms, ...rest); live.add(id); return id; };
    window.clearInterval = (id) => { live.delete(id); ci(id); };
    window.__fetches = 0;
    const f = window.fetch;
    window.fetch = (...args) => { window.__fetches++; return f(...args); };
  });
  // Any page of the origin will do (its body is replaced); Chromium's automatic
  // /favicon.ico request for it is not the widget's.
  await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
  await page.goto(`${base}/openapi.json`);
  await page.setContent(`<!doctype html><html lang="en"><head><title>Shop</title><link rel="icon" href="data:,">
    <style>* { color: red !important; font-family: serif !important; } .kasse { display: none !important; }</style></head>
    <body><main><h1>Shop</h1>
    <div id="a" data-kasse-session="${a.id}" data-kasse-secret="${a.client_secret}"></div>
    <div id="b"></div></main></body></html>`);
  await page.evaluate(() => {
    window.__events = [];
    document.addEventListener("kasse:status", (e) => window.__events.push(e.detail));
  });
  const viewsOfA = [];
  page.on("response", (r) => {
    if (r.request().method() === "GET" && r.url().endsWith(`/v1/public/checkout_sessions/${a.id}`)) {
      viewsOfA.push({ status: r.status(), tag: r.request().headers()["if-none-match"] || null, at: Date.now() });
    }
  });
  await page.addScriptTag({ url: `${base}/kasse.js` });
  await page.evaluate(({ id, secret }) => {
    window.__paid = [];
    window.__b = window.Kasse.mount(document.getElementById("b"), {
      session: id,
      clientSecret: secret,
      theme: { accent: "rgb(250, 200, 80)", mode: "dark" },
      onPaid: (status) => window.__paid.push(status),
    });
  }, { id: b.id, secret: b.client_secret });
  await page.locator('#a [data-kasse-screen="pay"]').waitFor({ timeout: 20_000 });
  await page.locator('#b [data-kasse-screen="pay"]').waitFor({ timeout: 20_000 });
  assert.match(await page.locator("#a .kasse").innerText(), /49\.99 USDC/);
  assert.match(await page.locator("#b .kasse").innerText(), /1\.5 USDC/);
  // The page's CSS does not reach inside; the theme does.
  const style = await page.locator("#b .kasse-button").evaluate((el) => ({
    display: getComputedStyle(el.closest(".kasse")).display,
    color: getComputedStyle(el).backgroundColor,
    font: getComputedStyle(el).fontFamily,
  }));
  assert.equal(style.display, "block");
  assert.equal(style.color, "rgb(250, 200, 80)");
  assert.doesNotMatch(style.font, /^serif/);
  await page.screenshot({ path: join(screens, "two-widgets.png"), fullPage: true });
  await shot(page, "two-widgets-first");

  await payAndWatch(b);
  await page.locator('#b [data-kasse-screen="paid"]').waitFor({ timeout: 25_000 });
  const events = await page.evaluate(() => window.__events);
  assert.deepEqual(events.filter((e) => e.session === a.id).map((e) => e.status), ["pending"]);
  assert.deepEqual(events.filter((e) => e.session === b.id).map((e) => e.status), ["pending", "paid"]);
  assert.deepEqual(await page.evaluate(() => window.__paid), ["paid"]);
  assert.equal(await page.evaluate(() => window.__b.status), "paid");
  // The unchanged session costs 304s: after the first view, every poll sends its ETag.
  // Paying b can take less than one poll interval, so wait for a's second view.
  for (const until = Date.now() + 15_000; viewsOfA.length < 2 && Date.now() < until; ) await page.waitForTimeout(250);
  assert.ok(viewsOfA.length >= 2, `widget a polled ${viewsOfA.length} times`);
  assert.equal(viewsOfA[0].status, 200);
  assert.equal(viewsOfA[0].tag, null);
  assert.ok(viewsOfA.slice(1).every((v) => v.status === 304 && v.tag), JSON.stringify(viewsOfA));
  const gaps = viewsOfA.slice(1).map((v, i) => v.at - viewsOfA[i].at);
  assert.ok(gaps.every((g) => g >= 9_000), `polls every 10 s: ${gaps}`);

  // Unmount both: no widget timers left, no more requests.
  const before = await page.evaluate(() => window.__timers.size);
  assert.ok(before > 0, "the widgets run timers while mounted");
  await page.evaluate(() => {
    document.getElementById("a").kasse.unmount();
    window.__b.unmount();
  });
  await page.waitForTimeout(600);
  assert.equal(await page.evaluate(() => window.__timers.size), 0, "no timers after unmount");
  const fetches = await page.evaluate(() => window.__fetches);
  await page.waitForTimeout(11_000);
  assert.equal(await page.evaluate(() => window.__fetches), fetches, "no requests after unmount");
  assert.equal(await page.locator("#a .kasse").count(), 0);
  await closeClean(page);
});

test("cross-origin: a shop on another origin embeds the widget under the CSP the README recommends", async () => {
  const shop = createServer((req, res) => {
    if (req.url !== "/") return res.writeHead(404).end();
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      // The README's CSP, plus the shop's own default.
      "content-security-policy": `default-src 'self'; script-src 'self' ${base} 'wasm-unsafe-eval'; connect-src 'self' ${base}; img-src 'self' data:`,
    });
    res.end(shop.page);
  });
  await new Promise((ok) => shop.listen(0, ok)); // every interface: 127.0.0.1 and localhost
  const origin = `http://127.0.0.1:${shop.address().port}`;
  try {
    const key = (await newAccount({ display_name: "Other-origin shop" })).keys.sk_test;
    ok(await api("POST", "/v1/account", { token: key, json: { allowed_origins: [origin] } }));
    const s = await createSession({ amount: USD("7.00") }, { key });
    // A second widget in German: its catalogue comes from Kasse's origin too.
    const german = await createSession({ amount: USD("8.00") }, { key });
    shop.page = `<!doctype html><html lang="en"><head><title>Shop</title><link rel="icon" href="data:,">
      <script src="${base}/kasse.js" defer></script></head>
      <body><main><h1>Checkout</h1>
      <div data-kasse-session="${s.id}" data-kasse-secret="${s.client_secret}"></div>
      <div data-kasse-session="${german.id}" data-kasse-secret="${german.client_secret}" data-kasse-locale="de"></div>
      </main></body></html>`;

    const page = await newPage();
    const violations = [];
    page.on("console", (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
    await page.goto(`${origin}/`);
    await page.locator(`[data-kasse-session="${s.id}"] [data-kasse-screen="pay"]`).waitFor({ timeout: 25_000 });
    assert.match(await page.locator(`[data-kasse-session="${s.id}"] .kasse`).innerText(), /7 USDC/);
    assert.equal(await qrOf(page, "cross-origin"), s.payment_uri);
    const de = JSON.parse(readFileSync(new URL("../../www/i18n/de.json", import.meta.url), "utf8"));
    const germanWidget = page.locator('.kasse[lang="de"][data-kasse-screen="pay"]');
    await germanWidget.waitFor({ timeout: 10_000 });
    assert.ok((await germanWidget.innerText()).includes(de.pay_title), "the German catalogue crossed origins");
    await shot(page, "cross-origin");
    assert.deepEqual(violations, []);
    await closeClean(page);

    // The same page on an origin the account does not allow: the browser gets no data,
    // and the shopper a message with a retry rather than a blank box.
    const other = await newPage();
    await other.goto(`${origin.replace("127.0.0.1", "localhost")}/`);
    await onScreen(other, "error");
    assert.ok(other.errors.some((e) => /CORS/.test(e)), other.errors.join("\n"));
    await other.close();
  } finally {
    shop.close();
  }
});

test("demo shop: /demo sells the payment link with the publishable key and embeds the widget in the page", async () => {
  const page = await newPage(1000);
  const response = await page.goto(`${base}/demo`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
  await page.getByRole("heading", { name: "Kasse T-shirt" }).waitFor({ timeout: 10_000 });
  assert.match(await page.locator("#total").innerText(), /Total 25\.00 USD/);
  const html = await page.content();
  assert.ok(!html.includes("sk_test_") && !html.includes("sk_live_"), "no secret key in the page");
  await page.getByRole("button", { name: "Pay with crypto" }).click();
  await onScreen(page, "choose", 20_000);
  await page.locator('.kasse-option[data-chain-id="31337"][data-token="USDC"]').click();
  await onScreen(page, "pay");
  const uri = await page.locator(".kasse-qr").getAttribute("data-payment-uri");
  assert.equal(ethUrl.parse(uri).parameters.uint256, "25000000");
  await page.screenshot({ path: join(screens, "demo-shop.png"), fullPage: true });
  await shot(page, "demo-shop-widget");
  await closeClean(page);
});

test("a widget whose WebAssembly cannot load offers the hosted page; mounting again retries", async () => {
  const session = await createSession();
  const page = await newPage();
  await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
  await page.route("**/pkg/kasse_widget_bg.wasm", (route) => route.abort());
  await page.goto(`${base}/openapi.json`);
  await page.setContent(`<!doctype html><html lang="en"><head><title>Shop</title></head>
    <body><main><div id="w"></div><div id="g"></div></main></body></html>`);
  await page.addScriptTag({ url: `${base}/kasse.js` });
  await page.evaluate(({ id, secret }) => {
    window.__h = window.Kasse.mount(document.getElementById("w"), { session: id, clientSecret: secret });
  }, { id: session.id, secret: session.client_secret });
  const link = page.getByRole("link", { name: "Open the payment page" });
  await link.waitFor({ timeout: 10_000 });
  assert.equal(await link.getAttribute("href"), session.checkout_url.replace(/#.*/, `#${session.client_secret}`));
  assert.match(await page.locator("#w [role=alert]").innerText(), /could not start here/);
  // In German when the shopper's language is German: the loader reads the catalogue.
  const de = JSON.parse(readFileSync(new URL("../../www/i18n/de.json", import.meta.url), "utf8"));
  await page.evaluate(({ id, secret }) => {
    window.Kasse.mount(document.getElementById("g"), { session: id, clientSecret: secret, locale: "de-AT" });
  }, { id: session.id, secret: session.client_secret });
  const german = page.getByRole("link", { name: de.loader_open_page });
  await german.waitFor({ timeout: 10_000 });
  assert.equal(await page.locator("#g [role=alert]").innerText().then((t) => t.includes(de.loader_failed)), true);
  assert.equal(await page.locator("#g [role=alert]").getAttribute("lang"), "de");

  await page.unroute("**/pkg/kasse_widget_bg.wasm");
  await page.evaluate(({ id, secret }) => {
    window.Kasse.mount(document.getElementById("w"), { session: id, clientSecret: secret });
  }, { id: session.id, secret: session.client_secret });
  await onScreen(page, "pay");
  await page.close();
});
