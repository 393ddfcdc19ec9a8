// Refunds in the merchant console, in headless Chromium against the real worker and real
// anvil payments: an overpaid session refunded of its excess from the session page, the
// shopper's address given on the real claim page, the refund sent by an injected EIP-1193
// wallet whose account is an anvil account holding USDC, followed to `succeeded`, paid on
// chain to the exact base unit and announced by a `refund.succeeded` webhook verified with
// the official standardwebhooks library. Then a wallet on another chain that refuses to
// switch (or does not know it), a report that fails after the wallet sent (the hash is kept
// and reported again, never sent twice), a cancel that makes the amount refundable again, a
// refused amount shown beside its field, a shopper's request with its badge and the setting
// that allows it, and axe-core (WCAG 2.1 AA) on the refunds pages at 1280 and 320 px.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ethers } from "ethers";
import { useBrowser } from "../support/browser.mjs";
import {
  api, base, createSession, env, getSession, mine, newAccount, newHook, ok, payAndWatch, rpc, runScheduled,
  mined, sendMint, shopperApi,
} from "../support/env.mjs";
import { withReceiver } from "../support/receiver.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const CONSOLE = `${base}/console`;
const chrome = useBrowser();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The local chain as a wallet writes it. */
const ANVIL_CHAIN_HEX = "0x7a69";
/** $49.99 in USDC base units: what a default session asks for. */
const DUE = 49_990_000n;

const word = (hex) => hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");

/** The USDC balance of `address` on the local chain, in base units. */
async function usdcBalance(address) {
  return BigInt(await rpc("eth_call", [{ to: env.contracts.USDC, data: `0x70a08231${word(address)}` }, "latest"]));
}

// ----- the browser --------------------------------------------------------------------------

/**
 * A console context. With `wallet`, every page of it has an EIP-1193 `window.ethereum`
 * whose account is `wallet.account`: `eth_chainId` and `eth_sendTransaction` go to anvil
 * (which signs for its own unlocked accounts), unless `wallet.chain` pins another chain;
 * `wallet.switchError` is the code `wallet_switchEthereumChain` fails with. Every call is
 * recorded in `window.__wallet.calls`, every hash sent in `window.__wallet.sent`. Script
 * errors and 5xx answers are collected in `context.errors`, which must stay empty.
 */
async function newConsole({ wallet } = {}) {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.errors = [];
  context.on("response", (r) => {
    if (r.status() >= 500) context.errors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  context.on("page", (page) => {
    page.on("pageerror", (e) => context.errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
        context.errors.push(`console: ${m.text()}`);
      }
    });
  });
  if (wallet) {
    await context.exposeFunction("__anvil", (method, params) => rpc(method, params));
    await context.addInitScript(({ account, chain, switchError }) => {
      let pinned = chain;
      window.__wallet = { calls: [], sent: [] };
      window.ethereum = {
        async request({ method, params }) {
          window.__wallet.calls.push({ method, params: params ?? [] });
          switch (method) {
            case "eth_requestAccounts":
              return [account];
            case "eth_chainId":
              return pinned ?? window.__anvil(method, []);
            case "wallet_switchEthereumChain":
              if (switchError) throw Object.assign(new Error("The wallet said no"), { code: switchError });
              pinned = params[0].chainId;
              return null;
            case "eth_sendTransaction": {
              const hash = await window.__anvil(method, params);
              window.__wallet.sent.push(hash);
              return hash;
            }
            default:
              throw Object.assign(new Error(`unsupported ${method}`), { code: 4200 });
          }
        },
      };
    }, { account: wallet.account, chain: wallet.chain ?? null, switchError: wallet.switchError ?? null });
  }
  const page = await context.newPage();
  return { context, page };
}

async function closeClean(context) {
  assert.deepEqual(context.errors, []);
  await context.close();
}

const section = (page, name) => page.locator(`section[data-page="${name}"][data-loaded="true"]`);

async function open(page, hash, name) {
  if (page.url().startsWith(CONSOLE)) await page.evaluate((h) => (location.hash = h), hash);
  else await page.goto(`${CONSOLE}${hash}`);
  await section(page, name).waitFor({ timeout: 20_000 });
}

async function signIn(page, key) {
  await page.goto(`${CONSOLE}#/`);
  await page.locator("#api-key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('nav[aria-label="Console"]').waitFor({ timeout: 20_000 });
}

/** Runs `act` and returns the first answer to `method` on a path starting with `prefix`. */
async function answerTo(page, method, prefix, act) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname.startsWith(prefix), { timeout: 20_000 }),
    act(),
  ]);
  return response;
}

/** The refund page's status, once it shows `status`. */
const refundStatus = (page, status) =>
  page.locator(`section[data-page="refund"] dl.facts [data-status="${status}"]`).waitFor({ timeout: 30_000 });

/** axe-core with the WCAG 2.1 A and AA rules finds nothing, nothing scrolls sideways; at
 * 1280 and 320 px, light and dark, with a screenshot of each. Leaves 1280 px, light. */
async function audit(page, name) {
  for (const width of [1280, 320]) {
    for (const colorScheme of ["light", "dark"]) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      const label = `console-${name}-${width}-${colorScheme}`;
      await page.screenshot({ path: join(screens, `${label}.png`), fullPage: true });
      const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      assert.ok(scroll <= inner, `${label}: the page scrolls sideways (${scroll} > ${inner} px)`);
      if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
      );
      const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      assert.deepEqual(violations, [], `axe on ${label}`);
      assert.ok(result.passes.length > 10, "axe ran its rules");
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
}

/** Opens the session page's Refund form. */
async function openRefundForm(page, sessionId) {
  await open(page, `#/sessions/${sessionId}`, "session");
  await page.getByRole("button", { name: "Refund", exact: true }).click();
  const form = page.locator('form[aria-label="Refund"]');
  await form.waitFor();
  return form;
}

// ----- the API ------------------------------------------------------------------------------

/** A fresh account's key, and a session of it paid `paid` base units of USDC. */
async function paidWith(paid, display_name = "Refund shop") {
  const key = (await newAccount({ display_name })).keys.sk_test;
  const session = await createSession({}, { key });
  const now = await payAndWatch(session, { amount: paid, key });
  return { key, session: now };
}

const getRefund = async (key, id) => ok(await api("GET", `/v1/refunds/${id}`, { token: key }));
const refundsOf = async (key, session) => ok(await api("GET", `/v1/refunds?session=${session}&limit=100`, { token: key })).data;

// ----- tests --------------------------------------------------------------------------------

test("the excess of an overpaid session: refunded from the session page, claimed by the shopper, sent from the browser wallet, succeeded on chain with refund.succeeded", async () => {
  await withReceiver(async (receiver) => {
    const excess = 500_000n; // 0.5 USDC paid too much
    const { key, session } = await paidWith(DUE + excess, "Overpaid Books");
    assert.equal(session.status, "overpaid");
    assert.equal(BigInt(session.amount_excess), excess);
    await newHook(receiver, { key, events: ["refund.succeeded"] });
    // The merchant's treasury: an unlocked anvil account, given the excess in USDC.
    const treasury = (await rpc("eth_accounts"))[5];
    await mined(await sendMint("USDC", treasury, excess));
    const treasuryBefore = await usdcBalance(treasury);
    const shopper = ethers.Wallet.createRandom().address;
    assert.equal(await usdcBalance(shopper), 0n);

    const { context, page } = await newConsole({ wallet: { account: treasury } });
    await signIn(page, key);
    const form = await openRefundForm(page, session.id);
    assert.equal(await form.getByTestId("refundable").getAttribute("data-base-units"), String(DUE + excess));
    assert.equal(await form.getByTestId("excess").getAttribute("data-base-units"), String(excess));
    await form.getByRole("radio", { name: /Only the excess: 0\.5 USDC/ }).check();
    await form.getByLabel("Reason (optional, for your records)").fill("Paid 0.5 USDC too much");
    const answer = await answerTo(page, "POST", `/v1/checkout_sessions/${session.id}/refunds`, () =>
      form.getByRole("button", { name: "Create refund" }).click(),
    );
    assert.equal(answer.status(), 201, await answer.text());
    assert.match(answer.request().headers()["idempotency-key"] ?? "", /^.{8,}$/, "sent under an idempotency key");
    assert.deepEqual(answer.request().postDataJSON(), { excess: true, reason: "Paid 0.5 USDC too much" });
    const created = await answer.json();

    // The refund's page: waiting for the shopper, with the claim link to send them.
    await section(page, "refund").waitFor({ timeout: 20_000 });
    assert.equal(new URL(page.url()).hash, `#/refunds/${created.id}`);
    await refundStatus(page, "requires_address");
    assert.equal(await page.getByTestId("refund-amount").getAttribute("data-base-units"), String(excess));
    const claimUrl = await page.getByTestId("claim-url").innerText();
    assert.equal(claimUrl, (await getRefund(key, created.id)).claim_url);
    assert.equal(await page.getByRole("button", { name: /^Send refund/ }).count(), 0, "nothing to send without an address");
    await audit(page, "refund-requires-address");

    // The shopper, on the real claim page in another browser.
    const shopperContext = await chrome.browser.newContext({ viewport: { width: 390, height: 844 } });
    const claim = await shopperContext.newPage();
    await claim.goto(claimUrl);
    await claim.locator('main[data-refund-screen="form"]').waitFor({ timeout: 15_000 });
    await claim.getByLabel("Your address on Local (anvil)").fill(shopper.toLowerCase());
    await claim.getByLabel("I checked this address; refunds cannot be reversed").check();
    await claim.getByRole("button", { name: "Confirm address" }).click();
    await claim.locator('main[data-refund-screen="pending"]').waitFor({ timeout: 15_000 });
    await shopperContext.close();

    // The console follows by itself: pending, to the shopper's address, ready to send.
    await refundStatus(page, "pending");
    assert.equal(await page.getByTestId("refund-address").innerText(), shopper);
    assert.equal(await page.getByTestId("claim-url").count(), 0, "the claim link is spent");
    await audit(page, "refund-pending");
    const submitted = answerTo(page, "POST", `/v1/refunds/${created.id}/submit`, () =>
      page.getByRole("button", { name: "Send refund (0.5 USDC)" }).click(),
    );
    const report = await submitted;
    assert.equal(report.status(), 200, await report.text());
    const wallet = await page.evaluate(() => window.__wallet);
    assert.deepEqual(wallet.calls.map((c) => c.method), ["eth_requestAccounts", "eth_chainId", "eth_sendTransaction"]);
    const [tx] = wallet.calls[2].params;
    assert.deepEqual(tx, {
      from: treasury,
      to: created.contract_address,
      value: "0x0",
      data: `0xa9059cbb${word(shopper)}${word(excess.toString(16))}`,
    });
    assert.equal(wallet.sent.length, 1);
    const [hash] = wallet.sent;
    assert.deepEqual(report.request().postDataJSON(), { tx_hash: hash });
    await page.locator(`[data-sending="reported"][data-tx-hash="${hash}"]`).waitFor({ timeout: 10_000 });

    // Confirmed on chain: the watcher makes it succeeded and the page shows it with its hash.
    await mine(2);
    await runScheduled();
    await refundStatus(page, "succeeded");
    await page.locator(`[data-testid="refund-tx"][data-tx-hash="${hash}"]`).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole("button", { name: /^Send refund/ }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Cancel refund" }).count(), 0);
    assert.equal(await usdcBalance(shopper), excess, "the shopper received exactly the excess");
    assert.equal(treasuryBefore - (await usdcBalance(treasury)), excess, "and exactly that left the treasury");
    const refund = await getRefund(key, created.id);
    assert.equal(refund.status, "succeeded");
    assert.equal(refund.transaction.tx_hash, hash);
    assert.equal(refund.submitted_hash, hash);

    // The session shows what went back.
    await open(page, `#/sessions/${session.id}`, "session");
    assert.equal(await page.getByTestId("amount-refunded").getAttribute("data-base-units"), String(excess));
    await page.locator(`table[data-testid="session-refunds"] tr[data-refund-id="${created.id}"][data-status="succeeded"]`).waitFor();
    assert.equal((await getSession(session.id, { key })).amount_refunded, String(excess));

    // The webhook, verified with the official library, carries the refund as the API shows it.
    const requests = await receiver.until((reqs) => reqs.some((r) => r.json?.type === "refund.succeeded"), 20_000, "refund.succeeded");
    const event = requests.find((r) => r.json?.type === "refund.succeeded");
    assert.ok(event.verified, "verified with standardwebhooks");
    assert.deepEqual(event.json.data.object, await getRefund(key, created.id));
    await closeClean(context);
  });
});

test("Send refund with the wallet on another chain: it is asked to switch to the refund's chain; declined, the page says so and nothing is sent or submitted", async () => {
  const { key, session } = await paidWith(DUE);
  const shopper = ethers.Wallet.createRandom().address;
  const created = ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: { amount: "1000000", address: shopper } }), 201);
  assert.equal(created.status, "pending");
  const treasury = (await rpc("eth_accounts"))[5];

  const { context, page } = await newConsole({ wallet: { account: treasury, chain: "0x1", switchError: 4001 } });
  let submits = 0;
  page.on("request", (r) => r.url().includes("/submit") && submits++);
  await signIn(page, key);
  await open(page, `#/refunds/${created.id}`, "refund");
  await refundStatus(page, "pending");
  await page.getByRole("button", { name: "Send refund (1 USDC)" }).click();
  const said = page.locator('[data-sending="refused"]');
  await said.waitFor({ timeout: 10_000 });
  assert.equal(await said.innerText(), "You declined switching your wallet to Local (anvil). Nothing was sent.");
  assert.equal(await said.getAttribute("role"), "alert");
  const wallet = await page.evaluate(() => window.__wallet);
  assert.deepEqual(wallet.calls.map((c) => c.method), ["eth_requestAccounts", "eth_chainId", "wallet_switchEthereumChain"]);
  assert.deepEqual(wallet.calls[2].params, [{ chainId: ANVIL_CHAIN_HEX }], "the refund's chain, in hex");
  assert.deepEqual(wallet.sent, []);
  assert.equal(submits, 0, "nothing was submitted");
  const now = await getRefund(key, created.id);
  assert.equal(now.status, "pending");
  assert.equal(now.submitted_hash, null);
  assert.equal(now.version, created.version);
  // It may be tried again: the button is still there.
  assert.equal(await page.getByRole("button", { name: "Send refund (1 USDC)" }).isEnabled(), true);
  await closeClean(context);

  // A wallet that does not know the chain: said in words, with the chain's name and id.
  const unknown = await newConsole({ wallet: { account: treasury, chain: "0x1", switchError: 4902 } });
  await signIn(unknown.page, key);
  await open(unknown.page, `#/refunds/${created.id}`, "refund");
  await unknown.page.getByRole("button", { name: "Send refund (1 USDC)" }).click();
  await unknown.page.locator('[data-sending="refused"]')
    .filter({ hasText: "Your wallet does not know Local (anvil) (chain id 31337)" }).waitFor({ timeout: 10_000 });
  assert.deepEqual(await unknown.page.evaluate(() => window.__wallet.sent), []);
  await closeClean(unknown.context);

  // No wallet at all: said in words, nothing sent.
  const bare = await newConsole();
  await signIn(bare.page, key);
  await open(bare.page, `#/refunds/${created.id}`, "refund");
  await bare.page.getByRole("button", { name: "Send refund (1 USDC)" }).click();
  await bare.page.locator('[data-sending="refused"]').filter({ hasText: "No browser wallet was found" }).waitFor({ timeout: 10_000 });
  assert.equal((await getRefund(key, created.id)).version, created.version);
  await closeClean(bare.context);
});

test("Send refund when telling Kasse fails: the page keeps the wallet's hash, never offers to send again, and Report again submits it", async () => {
  const { key, session } = await paidWith(DUE);
  const shopper = ethers.Wallet.createRandom().address;
  const created = ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: { amount: "2000000", address: shopper } }), 201);
  const treasury = (await rpc("eth_accounts"))[5];
  await mined(await sendMint("USDC", treasury, 2_000_000n));

  const { context, page } = await newConsole({ wallet: { account: treasury } });
  await signIn(page, key);
  await open(page, `#/refunds/${created.id}`, "refund");
  await refundStatus(page, "pending");
  // The first report never reaches Kasse.
  await page.route("**/submit", (route) => route.abort("connectionrefused"));
  await page.getByRole("button", { name: "Send refund (2 USDC)" }).click();
  const unreported = page.locator('[data-sending="unreported"]');
  await unreported.waitFor({ timeout: 15_000 });
  const [hash] = await page.evaluate(() => window.__wallet.sent);
  assert.equal(await unreported.getAttribute("data-tx-hash"), hash);
  assert.match(await unreported.innerText(), /Kasse could not be reached/);
  assert.equal(await page.getByRole("button", { name: /^Send refund/ }).count(), 0, "the wallet already sent it: no second send");
  assert.equal((await getRefund(key, created.id)).submitted_hash, null);

  await page.unroute("**/submit");
  const again = await answerTo(page, "POST", `/v1/refunds/${created.id}/submit`, () => page.getByRole("button", { name: "Report again" }).click());
  assert.equal(again.status(), 200, await again.text());
  assert.deepEqual(again.request().postDataJSON(), { tx_hash: hash });
  await page.locator(`[data-sending="reported"][data-tx-hash="${hash}"]`).waitFor({ timeout: 10_000 });
  const now = await getRefund(key, created.id);
  assert.equal(now.submitted_hash, hash);
  assert.equal(now.transaction.tx_hash, hash);
  assert.equal(await usdcBalance(shopper), 2_000_000n);
  assert.equal((await page.evaluate(() => window.__wallet.sent)).length, 1, "one transaction in all");
  // Chromium logs the request the test cut off; nothing else may have failed.
  context.errors = context.errors.filter((e) => !/net::ERR_CONNECTION_REFUSED/.test(e));
  await closeClean(context);
});

test("Cancel in the console: a refund waiting for its address is canceled and its amount is refundable again", async () => {
  const { key, session } = await paidWith(DUE);
  const created = ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: {} }), 201);
  assert.equal(created.status, "requires_address");
  assert.equal(BigInt(created.amount), DUE);

  const { context, page } = await newConsole();
  await signIn(page, key);
  const before = await openRefundForm(page, session.id);
  assert.equal(await before.getByTestId("refundable").getAttribute("data-base-units"), "0", "all of it is held by the refund");
  await open(page, `#/refunds/${created.id}`, "refund");
  await refundStatus(page, "requires_address");
  const answer = await answerTo(page, "POST", `/v1/refunds/${created.id}/cancel`, () => page.getByRole("button", { name: "Cancel refund" }).click());
  assert.equal(answer.status(), 200, await answer.text());
  await refundStatus(page, "canceled");
  await page.getByText("The refund was canceled: its amount can be refunded again.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Cancel refund" }).count(), 0);
  assert.equal(await page.getByTestId("claim-url").count(), 0);
  const now = await getRefund(key, created.id);
  assert.equal(now.status, "canceled");
  assert.ok(now.canceled_at);

  const after = await openRefundForm(page, session.id);
  assert.equal(await after.getByTestId("refundable").getAttribute("data-base-units"), String(DUE));
  assert.match(await after.getByTestId("refundable").innerText(), /^49\.99 USDC$/);
  await page.locator(`table[data-testid="session-refunds"] tr[data-refund-id="${created.id}"][data-status="canceled"]`).waitFor();
  await closeClean(context);
});

test("An amount above what is refundable: the API's refund_exceeds_refundable message beside the amount field, and nothing is created", async () => {
  const { key, session } = await paidWith(DUE);
  const { context, page } = await newConsole();
  await signIn(page, key);
  const form = await openRefundForm(page, session.id);
  await form.getByRole("radio", { name: "An amount" }).check();
  const amount = form.getByLabel("Amount (USDC on Local (anvil))");
  await amount.fill("49.990001");
  const answer = await answerTo(page, "POST", `/v1/checkout_sessions/${session.id}/refunds`, () =>
    form.getByRole("button", { name: "Create refund" }).click(),
  );
  assert.equal(answer.status(), 400);
  assert.deepEqual(answer.request().postDataJSON(), { amount: "49990001" }, "sent as exact base units");
  const { error } = await answer.json();
  assert.equal(error.code, "refund_exceeds_refundable");
  assert.equal(error.param, "amount");
  const beside = page.locator("#refund-amount-error");
  await beside.waitFor({ timeout: 10_000 });
  assert.equal(await beside.innerText(), error.message);
  assert.match(error.message, /49\.99 USDC \(49990000 base units\)/);
  assert.equal(await beside.getAttribute("role"), "alert");
  assert.equal(await amount.getAttribute("aria-invalid"), "true");
  assert.match(await amount.getAttribute("aria-describedby"), /refund-amount-error/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "refund-amount", "the focus is on the field");
  assert.deepEqual(await refundsOf(key, session.id), []);
  await audit(page, "refund-form-refused");

  // Too many decimal places is the form's own refusal: nothing is sent.
  let posts = 0;
  page.on("request", (r) => r.method() === "POST" && r.url().includes("/refunds") && posts++);
  await amount.fill("1.0000001");
  await form.getByRole("button", { name: "Create refund" }).click();
  await page.locator("#refund-amount-error").filter({ hasText: "at most 6 decimal places" }).waitFor({ timeout: 5_000 });
  assert.equal(posts, 0);
  assert.deepEqual(await refundsOf(key, session.id), []);
  await closeClean(context);
});

test("A shopper's request shows its badge in the list; the Settings checkbox turns refund_requests on and off", async () => {
  const key = (await newAccount({ display_name: "Request shop" })).keys.sk_test;
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).refund_requests, false, "off by default");
  const { context, page } = await newConsole();
  await signIn(page, key);
  await open(page, "#/settings", "settings");
  const box = page.getByLabel("Let shoppers request a refund");
  assert.equal(await box.isChecked(), false);
  await box.check();
  const on = await answerTo(page, "POST", "/v1/account", () => page.getByRole("button", { name: "Save" }).click());
  assert.equal(on.status(), 200, await on.text());
  assert.equal(on.request().postDataJSON().refund_requests, true);
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).refund_requests, true);

  // The shopper of an overpaid session asks for the excess back from the checkout.
  const session = await createSession({}, { key });
  await payAndWatch(session, { amount: DUE + 250_000n, key });
  const shopper = ethers.Wallet.createRandom().address;
  const asked = await shopperApi("POST", session, "/refund_request", { json: { address: shopper } });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  const [requested] = await refundsOf(key, session.id);
  assert.equal(requested.requested_by, "shopper");
  assert.equal(requested.status, "pending");
  assert.equal(requested.amount, "250000");
  await open(page, "#/refunds?status=pending", "refunds");
  const row = page.locator(`tr[data-refund-id="${requested.id}"][data-requested-by="shopper"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await row.locator('[data-requested-by="shopper"]').innerText(), "Shopper request");
  assert.equal(await row.locator("td[data-base-units]").getAttribute("data-base-units"), "250000");
  // The overview counts it among the refunds to send, and links to them.
  await open(page, "#/", "overview");
  const toSend = page.getByTestId("refunds-to-send");
  assert.equal(await toSend.getAttribute("data-count"), "1");
  await toSend.getByRole("link").click();
  await section(page, "refunds").waitFor({ timeout: 20_000 });
  assert.equal(new URL(page.url()).hash, "#/refunds?status=pending");
  await open(page, `#/refunds/${requested.id}`, "refund");
  await page.locator('section[data-page="refund"] dl.facts [data-requested-by="shopper"]').waitFor();

  await open(page, "#/settings", "settings");
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  const off = await answerTo(page, "POST", "/v1/account", () => page.getByRole("button", { name: "Save" }).click());
  assert.equal(off.status(), 200, await off.text());
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).refund_requests, false);
  await closeClean(context);
});

test("axe-core: the refunds list, a refund page and the Refund form at 1280 and 320 px, light and dark", async () => {
  const { key, session } = await paidWith(DUE + 1_000_000n, "Fern & Fig Stationery");
  const pending = ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, {
    token: key, json: { excess: true, address: ethers.Wallet.createRandom().address, reason: "Paid a dollar too much" },
  }), 201);
  const waiting = ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: { amount: "2500000" } }), 201);
  ok(await api("POST", `/v1/refunds/${waiting.id}/cancel`, { token: key }));
  ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: { amount: "1000000" } }), 201);

  const { context, page } = await newConsole();
  await signIn(page, key);
  await page.locator('nav[aria-label="Console"]').getByRole("link", { name: "Refunds", exact: true }).click();
  await section(page, "refunds").waitFor({ timeout: 20_000 });
  assert.equal(await page.locator("tr[data-refund-id]").count(), 3);
  assert.equal(await page.locator('nav[aria-label="Console"] a[aria-current="page"]').innerText(), "Refunds");
  await audit(page, "refunds");
  await page.getByLabel("Status", { exact: true }).selectOption("canceled");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForFunction((id) => [...document.querySelectorAll("tr[data-refund-id]")].map((tr) => tr.dataset.refundId).join() === id, waiting.id, { timeout: 10_000 });
  assert.equal(new URL(page.url()).hash, "#/refunds?status=canceled");

  await open(page, `#/refunds/${pending.id}`, "refund");
  await refundStatus(page, "pending");
  await audit(page, "refund");
  const form = await openRefundForm(page, session.id);
  await form.getByRole("radio", { name: "An amount" }).check();
  await audit(page, "refund-form");
  await form.getByRole("radio", { name: "One payment, in its own chain and token" }).check();
  const choices = await page.locator("#refund-payment option").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(choices, ["", session.payments[0].id]);
  await audit(page, "refund-form-payment");
  await closeClean(context);
});
