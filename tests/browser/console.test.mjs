// The merchant console in headless Chromium against the real worker and real anvil payments:
// sign-in (keyboard only, refused keys, nothing stored), the overview's totals against the
// API's own export, a payment link made in the UI, a payment found by its tx hash, its
// timeline, a redelivery, the CSV export summing to the overview, revocation from another
// tab, cross-site posts with the cookie, bad input, and every page at 1280 and 320 px, light
// and dark, checked by axe-core (WCAG 2.1 AA). Screenshots go to the run's screens/ directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parse } from "csv-parse/sync";
import { HDNodeWallet, ethers, parseUnits } from "ethers";
import { useBrowser } from "../support/browser.mjs";
import {
  LOCAL_CHAIN, USD, api, base, createEndpoint, createLink, createSession, env, getSession, mine, newAccount, ok, paidSession,
  paySession, payAndWatch, runScheduled, sleep, transfer,
} from "../support/env.mjs";
import { withReceiver } from "../support/receiver.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const CONSOLE = `${base}/console`;
const chrome = useBrowser();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

// ----- browser helpers ----------------------------------------------------------------------

/**
 * A fresh browser context (its own cookie jar) and a page in it. Every page of the context
 * records script errors and every 5xx the worker answers in `context.errors`, which must
 * stay empty. Chromium logs each 4xx fetch as a console error; those are the bad input the
 * tests send on purpose, and the answers themselves are checked.
 */
async function newConsole({ width = 1280, colorScheme = "light" } = {}) {
  const context = await chrome.browser.newContext({ viewport: { width, height: 900 }, colorScheme, acceptDownloads: true });
  context.errors = [];
  context.on("response", (r) => {
    if (r.status() >= 500) context.errors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  context.on("page", watch);
  const page = await context.newPage();
  return { context, page };
}

function watch(page) {
  const errors = page.context().errors;
  // Only the console's own pages: the cross-site test's page of another origin fails on purpose.
  const ours = () => page.url().startsWith(base);
  page.on("pageerror", (e) => ours() && errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (ours() && m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      errors.push(`console: ${m.text()}`);
    }
  });
}

/** Asserts that nothing in the context failed, and closes it. */
async function closeClean(context) {
  assert.deepEqual(context.errors, []);
  await context.close();
}

const signInForm = (page) => page.locator('form[aria-label="Sign in"]');
const nav = (page) => page.locator('nav[aria-label="Console"]');
const alert = (page) => page.getByRole("alert");

/** The section of a page once its data arrived. */
function section(page, name) {
  return page.locator(`section[data-page="${name}"][data-loaded="true"]`);
}

/** Goes to a hash route and waits for its page's data. */
async function open(page, hash, name) {
  if (page.url().startsWith(CONSOLE)) await page.evaluate((h) => (location.hash = h), hash);
  else await page.goto(`${CONSOLE}${hash}`);
  await section(page, name).waitFor({ timeout: 20_000 });
}

/** Signs in through the form with the mouse and waits for the console's navigation. */
async function signIn(page, key) {
  if (!page.url().startsWith(CONSOLE)) await page.goto(`${CONSOLE}#/`);
  await signInForm(page).waitFor({ timeout: 20_000 });
  await page.locator("#api-key").fill(key);
  await signInForm(page).getByRole("button", { name: "Sign in" }).click();
  await nav(page).waitFor({ timeout: 20_000 });
}

/** Clicks in the console's navigation and waits for the page. */
async function navigate(page, label, name) {
  await nav(page).getByRole("link", { name: label, exact: true }).click();
  await section(page, name).waitFor({ timeout: 20_000 });
}

/**
 * The page as a reviewer and an auditor see it: a screenshot, axe-core with the WCAG 2.1 A
 * and AA rules (0 violations), and no sideways scrolling of the page; at 1280 and 320 px,
 * light and dark. Leaves the page at 1280 px, light.
 */
async function audit(page, name) {
  for (const width of [1280, 320]) {
    const backgrounds = {};
    for (const colorScheme of ["light", "dark"]) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      const label = `console-${name}-${width}-${colorScheme}`;
      await page.screenshot({ path: join(screens, `${label}.png`), fullPage: true });
      const overflow = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      assert.ok(overflow[0] <= overflow[1], `${label}: the page scrolls sideways (${overflow[0]} > ${overflow[1]} px)`);
      // Evaluated over the DevTools protocol, so the page's CSP does not block it.
      if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
      );
      const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      assert.deepEqual(violations, [], `axe on ${label}`);
      assert.ok(result.passes.length > 10, "axe ran its rules");
      backgrounds[colorScheme] = await page.evaluate(() =>
        [document.documentElement, document.body].map((e) => `${getComputedStyle(e).backgroundColor} ${getComputedStyle(e).color}`).join()
      );
    }
    assert.notEqual(backgrounds.dark, backgrounds.light, `${name}: dark mode has its own colours`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
}

/** Runs `act` and returns the first answer of the worker whose path starts with `prefix`. */
async function answerTo(page, prefix, act) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.startsWith(prefix), { timeout: 20_000 }),
    act(),
  ]);
  return response;
}

/** Asserts that the page shows the message of an API error answer in `role="alert"`. */
async function showsApiError(page, response, status, code) {
  assert.equal(response.status(), status, response.url());
  const { error } = await response.json();
  assert.equal(error.code, code);
  await alert(page).filter({ hasText: error.message }).first().waitFor({ timeout: 10_000 });
  assert.equal(await nav(page).count(), 1, "still signed in");
}

// ----- API helpers --------------------------------------------------------------------------

/** The exported payments of the key's account and mode as parsed rows. */
async function paymentRows(key, query = "") {
  const res = await api("GET", `/v1/exports/payments.csv${query}`, { token: key });
  assert.equal(res.status, 200, String(res.body).slice(0, 300));
  return parseCsv(res.body);
}

const parseCsv = (text) => parse(text, { columns: true, record_delimiter: "\r\n", relax_column_count: false });

/** What the account received per "chain_id/token": the counted, confirmed payment lines. */
function received(rows) {
  const sums = {};
  for (const r of rows.filter((r) => r.counted === "true" && r.status === "confirmed")) {
    const at = `${r.chain_id}/${r.token}`;
    sums[at] = (sums[at] ?? 0n) + BigInt(r.amount);
  }
  return sums;
}

/** Every session of the key's account and mode, through the list's pages. */
async function allSessions(key) {
  const all = [];
  let after = "";
  for (;;) {
    const page = ok(await api("GET", `/v1/checkout_sessions?limit=100${after}`, { token: key }));
    all.push(...page.data);
    if (!page.has_more) return all;
    after = `&starting_after=${page.data.at(-1).id}`;
  }
}

/** The decimals of each "chain_id/token" the key's mode serves. */
async function decimalsByToken(key) {
  const chains = ok(await api("GET", "/v1/chains", { token: key })).data;
  const decimals = {};
  for (const c of chains) {
    decimals[`${c.chain_id}/${c.native_symbol}`] = c.native_decimals;
    for (const t of c.tokens) decimals[`${c.chain_id}/${t.symbol}`] = t.decimals;
  }
  return decimals;
}

/**
 * The overview's "received" table: per "chain_id/token", each window's base units, checking
 * that the text of each cell is the same amount as an exact decimal.
 */
async function overviewFigures(page, decimals) {
  const rows = await page.locator('table[data-testid="received"] tr[data-chain-id]').evaluateAll((trs) =>
    trs.map((tr) => ({
      at: `${tr.dataset.chainId}/${tr.dataset.token}`,
      cells: [...tr.querySelectorAll("td[data-window]")].map((td) => ({
        window: td.dataset.window,
        units: td.dataset.baseUnits,
        text: td.textContent,
      })),
    })),
  );
  const figures = {};
  for (const row of rows) {
    assert.deepEqual(row.cells.map((c) => c.window).sort(), ["30d", "7d", "today"], row.at);
    figures[row.at] = {};
    for (const c of row.cells) {
      assert.match(c.units, /^\d+$/, `${row.at} ${c.window}: base units`);
      const number = c.text.replace(/[^\d.]/g, "");
      assert.equal(parseUnits(number || "0", decimals[row.at]), BigInt(c.units), `${row.at} ${c.window}: "${c.text}" shows the exact amount`);
      figures[row.at][c.window] = BigInt(c.units);
    }
  }
  return figures;
}

/** Asserts that every window of the overview shows exactly `expected` (all is from today). */
function assertFigures(figures, expected, what) {
  for (const [at, units] of Object.entries(expected)) {
    assert.ok(figures[at], `${what}: no row for ${at} in ${JSON.stringify(Object.keys(figures))}`);
    assert.deepEqual(figures[at], { today: units, "7d": units, "30d": units }, `${what}: ${at}`);
  }
  for (const [at, windows] of Object.entries(figures)) {
    if (!(at in expected)) assert.deepEqual(Object.values(windows), [0n, 0n, 0n], `${what}: ${at} received nothing`);
  }
}

/** A local date as the date input takes it (YYYY-MM-DD), `days` from today. */
function localDate(days = 0) {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The redacted form the API lists a key under. */
const redacted = (key) => `${key.slice(0, key.indexOf("_", 3) + 1)}…${key.slice(-4)}`;

// ----- tests --------------------------------------------------------------------------------

test("sign-in: refused keys say why and show nothing else; keyboard only; the key is never stored; sign out ends it", async () => {
  const account = await newAccount({ display_name: "Lamplight Books" });
  const key = account.keys.sk_test;
  const { context, page } = await newConsole();
  const response = await page.goto(`${CONSOLE}#/`);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /default-src 'none'/);
  assert.match(headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.equal(headers["x-content-type-options"], "nosniff");
  await signInForm(page).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('label[for="api-key"]').innerText(), "Secret key");
  assert.equal(await page.locator("#api-key").getAttribute("type"), "password");
  assert.equal(await nav(page).count(), 0, "signed out: no navigation");
  await audit(page, "sign-in");

  // Each refusal shows the API's own message; nothing of any account appears.
  const refusals = [
    ["sk_test_" + "x".repeat(32), 401, "invalid_api_key"],
    [account.keys.pk_test, 403, "secret_key_required"],
  ];
  for (const [wrong, status, code] of refusals) {
    await page.locator("#api-key").fill(wrong);
    const answer = await answerTo(page, "/v1/console/sessions", () => page.getByRole("button", { name: "Sign in" }).click());
    assert.equal(answer.status(), status);
    const { error } = await answer.json();
    assert.equal(error.code, code);
    await alert(page).filter({ hasText: error.message }).waitFor({ timeout: 10_000 });
    assert.equal(await nav(page).count(), 0, `${code}: still signed out`);
    assert.ok(!(await page.locator("body").innerText()).includes("Lamplight"), "no account data while signed out");
  }
  await audit(page, "sign-in-refused");

  // Keyboard only: Tab to the key, type it, Tab to the button, Enter.
  await page.reload();
  await signInForm(page).waitFor({ timeout: 20_000 });
  for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.id)) !== "api-key"; i++) await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "api-key", "Tab reaches the key field");
  assert.ok(await hasVisibleFocus(page), "the focused field shows it");
  await page.keyboard.type(key);
  await page.keyboard.press("Tab");
  assert.deepEqual(await page.evaluate(() => [document.activeElement?.tagName, document.activeElement?.textContent.trim()]), ["BUTTON", "Sign in"]);
  assert.ok(await hasVisibleFocus(page), "the focused button shows it");
  await page.keyboard.press("Enter");
  await nav(page).waitFor({ timeout: 20_000 });
  await section(page, "overview").waitFor({ timeout: 20_000 });
  assert.match(await page.locator("header").first().innerText(), /Lamplight Books/);
  await page.getByText("TEST MODE", { exact: true }).waitFor();
  const mode = page.getByRole("group", { name: "Mode" });
  assert.equal(await mode.getByRole("button", { name: "Test" }).getAttribute("aria-pressed"), "true");
  assert.equal(await mode.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"), "false");
  for (const label of ["Overview", "Sessions", "Payment links", "Webhooks", "API keys", "Settings", "Sweeps"]) {
    assert.equal(await nav(page).getByRole("link", { name: label, exact: true }).count(), 1, label);
  }

  // The key stays out of the page: an HttpOnly session cookie holds a token, not the key.
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  assert.deepEqual(stored, [0, 0, ""]);
  const cookies = await context.cookies(base);
  const cookie = cookies.find((c) => c.name === "kasse_console_test");
  assert.ok(cookie, JSON.stringify(cookies));
  assert.deepEqual([cookie.httpOnly, cookie.sameSite, cookie.path, cookie.expires], [true, "Strict", "/", -1]);
  assert.ok(!cookie.value.includes(key) && !key.includes(cookie.value), "the cookie is not the key");

  // Live mode has no sign-in of its own yet: the form, for live, and nothing of the account.
  await mode.getByRole("button", { name: "Live" }).click();
  await signInForm(page).waitFor({ timeout: 10_000 });
  assert.equal(await mode.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"), "true");
  assert.match(await page.locator("h1").innerText(), /live/i);
  assert.equal(await page.getByText("TEST MODE", { exact: true }).count(), 0);
  assert.ok(!(await page.locator("body").innerText()).includes("Lamplight"), "nothing of the test account in live");
  await mode.getByRole("button", { name: "Test" }).click();
  await nav(page).waitFor({ timeout: 10_000 });

  // Signing out ends the session on the server: the old cookie no longer works.
  await page.getByRole("button", { name: "Sign out" }).click();
  await signInForm(page).waitFor({ timeout: 10_000 });
  assert.equal((await context.cookies(base)).some((c) => c.name === "kasse_console_test"), false, "the cookie is cleared");
  const after = await api("GET", "/v1/account", { headers: { cookie: `kasse_console_test=${cookie.value}`, "kasse-mode": "test" } });
  assert.equal(after.status, 401);
  assert.equal(after.body.error.code, "console_session_ended");
  await closeClean(context);
});

/** Whether the focused element draws a focus indicator (an outline or a box shadow). */
function hasVisibleFocus(page) {
  return page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
  });
}

test("a merchant's day: overview = API, link made in the UI, payment found by hash, timeline, redelivery, CSV = overview, revoked in another tab", async () => {
  await withReceiver(async (receiver) => {
    const account = await newAccount({ display_name: "Harbour Coffee" });
    const key = account.keys.sk_test;
    const decimals = await decimalsByToken(key);
    // Money already received: USDC, ETH, and a session paid in two parts; one left unpaid.
    await paidSession({ amount: USD("12.34") }, { key });
    const eth = await createSession({ amount: USD("2.00"), token: "ETH" }, { key });
    assert.equal((await payAndWatch(eth, { key })).status, "paid");
    const twice = await createSession({ amount: USD("3.00") }, { key });
    const due = BigInt(twice.supported_tokens.find((t) => t.token === "USDC").amount);
    await payAndWatch(twice, { key, amount: due / 3n });
    assert.equal((await payAndWatch(twice, { key, amount: due - due / 3n })).status, "paid");
    await createSession({ amount: USD("5.00") }, { key });

    const { context, page } = await newConsole();
    await signIn(page, key);
    await section(page, "overview").waitFor({ timeout: 20_000 });

    // The overview's figures are the exported counted, confirmed payments, and agree with
    // what the sessions say they received.
    const expected = received(await paymentRows(key));
    const fromSessions = {};
    for (const s of await allSessions(key)) {
      if (BigInt(s.amount_received ?? "0") === 0n) continue;
      const option = s.supported_tokens.find((t) => t.token === s.selected_token);
      const at = `${option.chain_id}/${option.token}`;
      fromSessions[at] = (fromSessions[at] ?? 0n) + BigInt(s.amount_received);
    }
    assert.deepEqual(expected, fromSessions, "the export and the sessions agree");
    assert.deepEqual(Object.keys(expected).sort(), [`${LOCAL_CHAIN}/ETH`, `${LOCAL_CHAIN}/USDC`]);
    assertFigures(await overviewFigures(page, decimals), expected, "overview");
    // The watcher's state per chain, as GET /v1/chains says it (the cron has run by now).
    const watched = ok(await api("GET", "/v1/chains", { token: key })).data.find((c) => c.chain_id === LOCAL_CHAIN).watcher;
    assert.equal(watched.status, "ok");
    const badge = page.locator(`table[data-testid="chains"] tr[data-chain-id="${LOCAL_CHAIN}"] [data-status]`);
    assert.equal(await badge.getAttribute("data-status"), "ok");
    // Sessions by status and what is still at deposit addresses, as the API counts them.
    const byStatus = {};
    for (const s of await allSessions(key)) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    const shownByStatus = await page.locator('[data-testid="by-status"] li[data-status][data-count]').evaluateAll((items) =>
      Object.fromEntries(items.map((li) => [li.dataset.status, Number(li.dataset.count)])));
    assert.deepEqual(shownByStatus, byStatus);
    const balances = ok(await api("GET", "/v1/balances", { token: key })).data;
    for (const b of balances) {
      const cell = page.locator(`table[data-testid="balances"] tr[data-chain-id="${b.chain_id}"][data-token="${b.token}"] td[data-base-units]`).first();
      assert.equal(await cell.getAttribute("data-base-units"), b.at_deposit_addresses, `${b.chain_id}/${b.token} at deposit addresses`);
    }

    // A webhook endpoint made in the UI: its secret is shown once, and it verifies.
    await navigate(page, "Webhooks", "webhooks");
    await page.getByLabel("URL", { exact: true }).fill(receiver.url);
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = (await page.locator('[data-testid="secret-once"]').innerText({ timeout: 10_000 })).match(/whsec_[A-Za-z0-9+/=]+/)?.[0];
    assert.ok(secret, "the endpoint's secret is shown once");
    receiver.secrets = [secret];
    const [endpoint] = ok(await api("GET", "/v1/webhook_endpoints", { token: key })).data;
    assert.equal(endpoint.url, receiver.url);
    await page.locator(`tr[data-endpoint-id="${endpoint.id}"]`).waitFor();

    // A payment link made in the UI.
    await navigate(page, "Payment links", "links");
    await page.getByLabel("Amount (USD)", { exact: true }).fill("7.25");
    const made = await answerTo(page, "/v1/payment_links", () => page.getByRole("button", { name: "Create payment link" }).click());
    assert.equal(made.status(), 200, await made.text());
    const link = await made.json();
    assert.equal(link.amount_total, "7.25");
    await page.locator(`tr[data-link-id="${link.id}"]`).waitFor({ timeout: 10_000 });
    const links = ok(await api("GET", "/v1/payment_links", { token: key })).data;
    assert.deepEqual(links.map((l) => l.id), [link.id]);

    // A shopper pays a session of that link on anvil: detected, then paid.
    const session = await createSession({ payment_link: link.id, amount: undefined, chain_id: LOCAL_CHAIN, token: "USDC" }, { key });
    await paySession(session);
    await runScheduled();
    assert.equal((await getSession(session.id, { key })).status, "detected");
    await mine(2);
    await runScheduled();
    const paid = await getSession(session.id, { key });
    assert.equal(paid.status, "paid");
    const hash = paid.payments[0].tx_hash;
    await receiver.until((r) => r.some((q) => q.json?.type === "session.paid" && q.json.data.object.id === session.id), 10_000, "session.paid delivered");

    // Found by its tx hash in the search.
    await navigate(page, "Sessions", "sessions");
    const search = page.getByRole("searchbox", { name: "Search sessions" });
    await search.fill(hash);
    const found = await answerTo(page, "/v1/search", () => search.press("Enter"));
    assert.equal(found.status(), 200);
    const rows = page.locator("tr[data-session-id]");
    await page.waitForFunction(
      (id) => [...document.querySelectorAll("tr[data-session-id]")].map((tr) => tr.dataset.sessionId).join() === id,
      session.id,
      { timeout: 10_000 },
    );
    assert.equal(await rows.count(), 1);
    await rows.first().getByRole("link").first().click();
    await section(page, "session").waitFor({ timeout: 20_000 });
    assert.equal(new URL(page.url()).hash, `#/sessions/${session.id}`);

    // Its timeline: created, detected, paid, in the order they happened, each with its time
    // and version.
    const events = ok(await api("GET", `/v1/events?session=${session.id}&limit=100`, { token: key })).data.reverse();
    const timeline = await page.locator('ol[data-testid="timeline"] > li[data-event-type]').evaluateAll((lis) =>
      lis.map((li) => ({ type: li.dataset.eventType, version: li.dataset.version, text: li.innerText, time: li.querySelector("time")?.dateTime })),
    );
    assert.deepEqual(timeline.map((e) => e.type), events.map((e) => e.type), "every event, oldest first");
    assert.deepEqual(timeline.map((e) => e.type).filter((t) => ["session.created", "session.detected", "session.paid"].includes(t)),
      ["session.created", "session.detected", "session.paid"]);
    events.forEach((e, i) => {
      const version = String(e.data.object.version);
      assert.equal(timeline[i].version, version, e.type);
      assert.match(timeline[i].text, new RegExp(`version ${version}\\b`), `${e.type} shows its version`);
      assert.ok(timeline[i].time, `${e.type} shows its time`);
    });
    const snapshot = JSON.parse(await page.locator('pre[data-testid="snapshot"]').innerText());
    assert.equal(snapshot.id, session.id);
    assert.ok((await page.locator(`[data-page="session"]`).innerText()).includes(hash), "the payment's hash is shown");

    // Redeliver the paid event: a new attempt, the same webhook-id.
    const paidEvent = events.find((e) => e.type === "session.paid");
    const before = receiver.requests.filter((q) => q.id === paidEvent.id).length;
    assert.equal(before, 1);
    const item = page.locator('li[data-event-type="session.paid"]');
    const attemptsBefore = await attemptsShown(item);
    const redelivered = await answerTo(page, `/v1/events/${paidEvent.id}/redeliver`, () => item.getByRole("button", { name: "Redeliver" }).first().click());
    assert.equal(redelivered.status(), 202);
    await receiver.until((r) => r.filter((q) => q.id === paidEvent.id).length === 2, 10_000, "the redelivery");
    assert.ok(receiver.requests.filter((q) => q.id === paidEvent.id).every((q) => q.verified));
    const [delivery] = ok(await api("GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries?event=${paidEvent.id}`, { token: key })).data;
    assert.equal(delivery.attempts.length, 2);
    await waitUntil(async () => (await attemptsShown(item)) === attemptsBefore + 1, "the new attempt on the page", page);
    await audit(page, "session");

    // Export the payments of the last 30 days: the rows sum to the overview's figures.
    await navigate(page, "Overview", "overview");
    const overview = await overviewFigures(page, decimals);
    const now = received(await paymentRows(key));
    assert.equal(now[`${LOCAL_CHAIN}/USDC`], expected[`${LOCAL_CHAIN}/USDC`] + BigInt(paid.amount_received));
    assertFigures(overview, now, "overview after the payment");
    await navigate(page, "Sessions", "sessions");
    await page.getByLabel("From", { exact: true }).fill(localDate(-30));
    await page.getByLabel("To", { exact: true }).fill(localDate(0));
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 20_000 }),
      page.getByRole("button", { name: "Export payments (CSV)" }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const csv = parseCsv(readFileSync(await download.path(), "utf8"));
    assert.equal(csv.length, (await paymentRows(key)).length, "every payment line");
    const exported = received(csv);
    assert.deepEqual(exported, Object.fromEntries(Object.entries(overview).map(([at, w]) => [at, w["30d"]]).filter(([, v]) => v > 0n)));

    // Another tab of the same browser revokes the key this console signed in with; the
    // first tab's next action shows the sign-in form and says why.
    const spare = ok(await api("POST", "/v1/api_keys", { token: key, json: { kind: "secret" } })).key;
    const other = await context.newPage();
    await open(other, "#/keys", "keys");
    const keys = ok(await api("GET", "/v1/api_keys", { token: spare })).data;
    const signedInWith = keys.find((k) => k.redacted === redacted(key));
    assert.ok(signedInWith, JSON.stringify(keys));
    const row = other.locator(`tr[data-key-id="${signedInWith.id}"]`);
    await row.getByRole("button", { name: /^Revoke/ }).click();
    await row.getByRole("button", { name: "Yes, revoke" }).click();
    await waitUntil(async () => Boolean(ok(await api("GET", "/v1/api_keys", { token: spare })).data.find((k) => k.id === signedInWith.id).revoked_at), "the key revoked");
    await page.bringToFront();
    const ended = await answerTo(page, "/v1/payment_links", () => nav(page).getByRole("link", { name: "Payment links", exact: true }).click());
    assert.equal(ended.status(), 401);
    const { error } = await ended.json();
    assert.equal(error.code, "console_session_ended");
    await signInForm(page).waitFor({ timeout: 10_000 });
    await alert(page).filter({ hasText: error.message }).waitFor({ timeout: 10_000 });
    assert.equal(await nav(page).count(), 0);
    await other.close();
    await closeClean(context);
  });
});

/** How many delivery attempts an event's item shows (rows or items marked as attempts). */
async function attemptsShown(item) {
  return item.locator("[data-attempt], tr[data-attempt-id], li[data-attempt-id]").count();
}

/** Polls `check` until it holds, reloading nothing; fails after 10 s with `what`. */
async function waitUntil(check, what, page) {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (await check()) return;
    await (page ? page.waitForTimeout(200) : sleep(200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("cross-site: a page of another origin posting with the console's cookie changes nothing", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const keysBefore = ok(await api("GET", "/v1/api_keys", { token: key })).data;
  const sk = keysBefore.find((k) => k.kind === "secret");
  const { context, page } = await newConsole();
  await signIn(page, key);

  // Another server on this machine: same site as the console (127.0.0.1, another port), so
  // the SameSite=Strict cookie goes along and only the worker's origin check stands in the
  // way; and on "localhost", another site, where the browser keeps the cookie back.
  const attacker = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
      <form id="f" method="post" action="${base}/v1/payment_links" enctype="text/plain">
        <input name='{"amount":{"value":"1.00","currency":"USD"},"x":"' value='"}'></form>
      <script>
        window.post = (path, body) => fetch("${base}" + path, { method: "POST", mode: "no-cors", credentials: "include",
          headers: { "content-type": "text/plain" }, body }).then(() => "sent", (e) => String(e));
        window.postJson = (path, body) => fetch("${base}" + path, { method: "POST", credentials: "include",
          headers: { "content-type": "application/json", "kasse-mode": "test" }, body }).then((r) => r.status, (e) => String(e));
      </script></body></html>`);
  });
  await new Promise((done) => attacker.listen(0, "127.0.0.1", done));
  const port = attacker.address().port;
  try {
    const evil = await context.newPage();
    await evil.goto(`http://127.0.0.1:${port}/`);
    const attempts = [
      ["/v1/payment_links", JSON.stringify({ amount: { value: "1.00", currency: "USD" } })],
      ["/v1/api_keys", JSON.stringify({ kind: "secret" })],
      [`/v1/api_keys/${sk.id}/revoke`, ""],
      ["/v1/webhook_endpoints", JSON.stringify({ url: "http://127.0.0.1:9/steal", events: ["*"] })],
    ];
    for (const [path, body] of attempts) {
      const answer = await answerTo(evil, path, () => evil.evaluate(([p, b]) => window.post(p, b), [path, body]));
      const sent = await answer.request().allHeaders();
      assert.equal(sent["sec-fetch-site"] ?? "same-site", "same-site");
      // 403, not the 401 of a request without any credential: the cookie went along and the
      // origin check refused it.
      assert.equal(answer.status(), 403, `${path}: refused`);
    }
    // A form posted across origins is refused with the error, readable as the page it opens.
    const form = await answerTo(evil, "/v1/payment_links", () => evil.evaluate(() => document.getElementById("f").submit()));
    assert.equal(form.status(), 403);
    assert.equal((await form.json()).error.code, "cross_site_request");
    // JSON with the console's header needs a CORS preflight, which the worker never grants.
    await evil.goto(`http://127.0.0.1:${port}/`);
    assert.match(String(await evil.evaluate(() => window.postJson("/v1/payment_links", '{"amount":{"value":"1.00","currency":"USD"}}'))), /TypeError|Failed to fetch/);
    // From another site the cookie is not even sent.
    await evil.goto(`http://localhost:${port}/`);
    const crossSite = await answerTo(evil, "/v1/api_keys", () => evil.evaluate(() => window.post("/v1/api_keys", '{"kind":"secret"}')));
    // 401: SameSite=Strict kept the cookie back, so the request had no credential at all.
    assert.equal(crossSite.status(), 401);
    await evil.close();
  } finally {
    attacker.close();
    attacker.closeAllConnections();
  }

  // Nothing was created, revoked or registered, and the console itself still works.
  assert.deepEqual(ok(await api("GET", "/v1/payment_links", { token: key })).data, []);
  assert.deepEqual(ok(await api("GET", "/v1/api_keys", { token: key })).data, keysBefore);
  assert.deepEqual(ok(await api("GET", "/v1/webhook_endpoints", { token: key })).data, []);
  await navigate(page, "Payment links", "links");
  assert.equal(await page.locator("tr[data-link-id]").count(), 0);
  await closeClean(context);
});

test("bad input: garbage in the search, an unknown session, To before From: the API's message in an alert, never a 500", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  await createSession({ amount: USD("1.00") }, { key });
  const { context, page } = await newConsole();
  await signIn(page, key);

  await navigate(page, "Sessions", "sessions");
  const search = page.getByRole("searchbox", { name: "Search sessions" });
  for (const garbage of ["not a thing!!", "0x12", "' OR 1=1 --", "%00<script>"]) {
    await search.fill(garbage);
    const answer = await answerTo(page, "/v1/search", () => search.press("Enter"));
    await showsApiError(page, answer, 400, "parameter_invalid");
  }
  await audit(page, "sessions-bad-search");

  const unknown = "cs_test_AAAAAAAAAAAAAAAAAAAAAAAA";
  const missing = await answerTo(page, `/v1/checkout_sessions/${unknown}`, () => page.evaluate((id) => (location.hash = `#/sessions/${id}`), unknown));
  await showsApiError(page, missing, 404, "resource_missing");
  await audit(page, "session-unknown");
  const malformed = await answerTo(page, "/v1/checkout_sessions/", () => page.evaluate(() => (location.hash = "#/sessions/%3Cb%3Enope")));
  assert.ok([400, 404].includes(malformed.status()), String(malformed.status()));
  await alert(page).first().waitFor({ timeout: 10_000 });

  await navigate(page, "Sessions", "sessions");
  await page.getByLabel("From", { exact: true }).fill(localDate(0));
  await page.getByLabel("To", { exact: true }).fill(localDate(-3));
  for (const button of ["Export payments (CSV)", "Export sessions (CSV)"]) {
    const answer = await answerTo(page, "/v1/exports/", () => page.getByRole("button", { name: button }).click());
    await showsApiError(page, answer, 400, "parameter_invalid");
  }
  await audit(page, "sessions-bad-range");
  await closeClean(context);
});

test("every page: axe-core WCAG 2.1 AA, a screenshot at 1280 and 320 px in light and dark, no sideways scroll", async () => {
  // The account's own wallet, so a deposit address can be swept as the merchant's tool does.
  const { phrase } = HDNodeWallet.createRandom().mnemonic;
  const xpub = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
  const account = await newAccount({ display_name: "Fern & Fig Stationery", xpub_test: xpub });
  const key = account.keys.sk_test;
  for (let i = 0; i < 3; i++) await paidSession({ amount: USD(`${10 + i}.50`), customer_email: `shopper${i}@example.com` }, { key });
  const [swept] = ok(await api("GET", "/v1/checkout_sessions?status=paid&limit=1", { token: key })).data;
  const sweep = await sweepOut(phrase, key, swept);
  const open1 = await createSession({ amount: USD("4.20"), description: "A very long description that should wrap or scroll inside its own table rather than push the page sideways" }, { key });
  await cancelLater(key);
  await createLink({ line_items: [{ name: "Notebook", quantity: 2, unit_amount: "8.00" }], discounts: [{ name: "SPRING", percent_off: "10" }] }, { key });
  await createLink({ amount: USD("15.00") }, { key });
  await createEndpoint("http://127.0.0.1:9/hooks", { key, events: ["session.paid"] });
  const { context, page } = await newConsole();
  await signIn(page, key);
  const pages = [
    ["#/", "overview", "overview"],
    ["#/sessions", "sessions", "sessions"],
    [`#/sessions/${open1.id}`, "session", "session-open"],
    ["#/links", "links", "links"],
    ["#/webhooks", "webhooks", "webhooks"],
    ["#/keys", "keys", "keys"],
    ["#/settings", "settings", "settings"],
  ];
  for (const [hash, name, label] of pages) {
    await open(page, hash, name);
    assert.equal(await page.locator(`section[data-page="${name}"] h1`).count(), 1, `${label}: one h1`);
    assert.equal(await page.locator("h1").count(), 1, `${label}: one h1 on the page`);
    await audit(page, label);
  }
  // The sweep as the API verified it, and the paid session it emptied.
  await open(page, "#/sweeps", "sweeps");
  const sweepRow = page.locator(`tr[data-sweep-id="${sweep.id}"][data-status="succeeded"]`);
  await sweepRow.waitFor();
  assert.deepEqual(
    await sweepRow.locator("li[data-base-units]").evaluateAll((lis) => lis.map((li) => [li.dataset.token, li.dataset.baseUnits])),
    sweep.transfers.map((t) => [t.token, t.amount]),
  );
  assert.ok((await sweepRow.innerText()).includes(sweep.tx_hash.slice(0, 10)), "the sweep's transaction");
  await audit(page, "sweeps");
  await open(page, `#/sessions/${swept.id}`, "session");
  await page.locator(`table[data-testid="swept"] tr[data-sweep-id="${sweep.id}"]`).waitFor();
  await audit(page, "session-paid");
  // The whole navigation by keyboard: each link is reachable and opens its page.
  await open(page, "#/", "overview");
  for (const [label, name] of [["Sessions", "sessions"], ["Payment links", "links"], ["Sweeps", "sweeps"]]) {
    await page.locator(".skip").focus();
    for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.textContent.trim())) !== label; i++) {
      await page.keyboard.press("Tab");
    }
    assert.equal(await page.evaluate(() => document.activeElement?.textContent.trim()), label, `Tab reaches ${label}`);
    assert.ok(await hasVisibleFocus(page), `${label}: visible focus`);
    await page.keyboard.press("Enter");
    await section(page, name).waitFor({ timeout: 20_000 });
  }
  await closeClean(context);
});

/**
 * Moves a paid session's USDC out of its deposit address with a plain transfer signed by
 * the deposit key, reports it, and lets the watcher verify it; returns the sweep.
 */
async function sweepOut(phrase, key, session) {
  const provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const deposit = HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/60'/0'/0/${session.derivation_index}`).connect(provider);
    assert.equal(deposit.address, session.address);
    await transfer(deposit.address, 10n ** 16n); // gas
    const usdc = new ethers.Contract(env.contracts.USDC, ["function transfer(address to, uint256 value) returns (bool)"], deposit);
    const tx = await usdc.transfer(ethers.Wallet.createRandom().address, BigInt(session.amount_received));
    await tx.wait();
    const reported = ok(await api("POST", "/v1/sweeps", { token: key, json: { chain_id: LOCAL_CHAIN, tx_hash: tx.hash } }));
    await mine(2);
    await runScheduled();
    const sweep = ok(await api("GET", `/v1/sweeps/${reported.id}`, { token: key }));
    assert.equal(sweep.status, "succeeded", JSON.stringify(sweep));
    return sweep;
  } finally {
    provider.destroy();
  }
}

/** A canceled session, so the status badges show more than one status. */
async function cancelLater(key) {
  const s = await createSession({ amount: USD("1.10") }, { key });
  ok(await api("POST", `/v1/checkout_sessions/${s.id}/cancel`, { token: key }));
}

test("the pages act: a link of line items with its QR, copy and deactivate; endpoint rotate and disable; keys; settings; filters and pages; cancel", async () => {
  const account = await newAccount({ display_name: "Quill & Ink" });
  const key = account.keys.sk_test;
  const { context, page } = await newConsole();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await signIn(page, key);

  // Payment links: line items and a discount; the QR and the copied URL are the link's URL.
  await navigate(page, "Payment links", "links");
  await page.getByRole("radio", { name: "Line items" }).check();
  await page.locator("#link-line-0-name").fill("Notebook");
  await page.locator("#link-line-0-quantity").fill("3");
  await page.locator("#link-line-0-unit").fill("4.50");
  await page.getByRole("button", { name: "Add discount" }).click();
  await page.locator("#link-discount-0-name").fill("SPRING");
  await page.locator("#link-discount-0-value").fill("10");
  const made = await answerTo(page, "/v1/payment_links", () => page.getByRole("button", { name: "Create payment link" }).click());
  assert.equal(made.status(), 200, await made.text());
  const link = await made.json();
  assert.deepEqual([link.amount_subtotal, link.amount_total], ["13.50", "12.15"]);
  assert.deepEqual(link.line_items.map((l) => [l.name, l.quantity, l.unit_amount]), [["Notebook", 3, "4.50"]]);
  const row = page.locator(`tr[data-link-id="${link.id}"]`);
  await row.waitFor();
  await row.getByRole("button", { name: "Copy URL" }).click();
  await row.getByText("Copied").waitFor({ timeout: 5_000 });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link.url);
  await row.getByRole("button", { name: "QR" }).click();
  const qr = page.locator(`.qr-code[data-qr-text="${link.url}"] svg`);
  await qr.waitFor({ timeout: 5_000 });
  const qrFile = join(screens, "console-link-qr.png");
  await qr.screenshot({ path: qrFile });
  assert.equal(execFileSync("zbarimg", ["--raw", "-q", qrFile], { encoding: "utf8" }).trim(), link.url, "the QR decodes to the link's URL");
  await audit(page, "links-qr");
  await row.getByRole("button", { name: "Deactivate" }).click();
  await page.locator(`tr[data-link-id="${link.id}"][data-active="false"]`).waitFor({ timeout: 10_000 });
  assert.equal(ok(await api("GET", `/v1/payment_links/${link.id}`, { token: key })).active, false);
  await row.getByRole("button", { name: "Reactivate" }).click();
  await page.locator(`tr[data-link-id="${link.id}"][data-active="true"]`).waitFor({ timeout: 10_000 });
  assert.equal(ok(await api("GET", `/v1/payment_links/${link.id}`, { token: key })).active, true);

  // Webhooks: a new secret shown once on rotation; disable and enable.
  const endpoint = await createEndpoint("http://127.0.0.1:9/hooks", { key, events: ["session.paid"] });
  await navigate(page, "Webhooks", "webhooks");
  const hook = page.locator(`tr[data-endpoint-id="${endpoint.id}"]`);
  await hook.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = (await page.locator('[data-testid="secret-once"]').innerText({ timeout: 10_000 })).match(/whsec_[A-Za-z0-9+/=]+/)?.[0];
  assert.ok(rotated && rotated !== endpoint.secret, "a new secret, shown once");
  assert.ok(ok(await api("GET", `/v1/webhook_endpoints/${endpoint.id}`, { token: key })).previous_secret_expires_at);
  await hook.getByRole("button", { name: "Disable" }).click();
  await page.locator(`tr[data-endpoint-id="${endpoint.id}"][data-enabled="false"]`).waitFor({ timeout: 10_000 });
  assert.equal(ok(await api("GET", `/v1/webhook_endpoints/${endpoint.id}`, { token: key })).enabled, false);
  await hook.getByRole("button", { name: "Enable" }).click();
  await page.locator(`tr[data-endpoint-id="${endpoint.id}"][data-enabled="true"]`).waitFor({ timeout: 10_000 });
  assert.equal(ok(await api("GET", `/v1/webhook_endpoints/${endpoint.id}`, { token: key })).enabled, true);

  // API keys: a publishable key shown once, and it is a real one (a secret route refuses it
  // as publishable, not as unknown).
  await navigate(page, "API keys", "keys");
  await page.getByLabel("Kind", { exact: true }).selectOption("publishable");
  await page.getByRole("button", { name: "Create key" }).click();
  const pk = (await page.locator('[data-testid="secret-once"]').innerText({ timeout: 10_000 })).match(/pk_test_[A-Za-z0-9]+/)?.[0];
  assert.ok(pk, "the new key is shown once");
  const refused = await api("GET", "/v1/payment_links", { token: pk });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, "secret_key_required");
  await audit(page, "keys-created");
  await open(page, "#/links", "links");
  await open(page, "#/keys", "keys");
  assert.equal(await page.locator('[data-testid="secret-once"]').count(), 0, "shown once: gone after leaving the page");
  assert.ok(!(await page.locator("body").innerText()).includes(pk), "the list shows it redacted");

  // Settings: a refused value says why next to its field; a good one is saved.
  await navigate(page, "Settings", "settings");
  const ttl = page.getByLabel("Session lifetime (seconds)", { exact: true });
  await ttl.fill("5");
  const bad = await answerTo(page, "/v1/account", () => page.getByRole("button", { name: "Save" }).click());
  assert.equal(bad.status(), 400);
  const refusal = (await bad.json()).error;
  assert.equal(refusal.param, "session_ttl_secs");
  await page.getByRole("alert").filter({ hasText: refusal.message }).waitFor({ timeout: 5_000 });
  assert.equal(await ttl.getAttribute("aria-invalid"), "true");
  await audit(page, "settings-refused");
  await ttl.fill("900");
  const saved = await answerTo(page, "/v1/account", () => page.getByRole("button", { name: "Save" }).click());
  assert.equal(saved.status(), 200, await saved.text());
  assert.equal(ok(await api("GET", "/v1/account", { token: key })).session_ttl_secs, 900);
  // A new display name is in the header at once, without a reload.
  await page.getByLabel("Display name", { exact: true }).fill("Renamed Shop");
  const renamed = await answerTo(page, "/v1/account", () => page.getByRole("button", { name: "Save" }).click());
  assert.equal(renamed.status(), 200, await renamed.text());
  await page.locator("header").getByText("Renamed Shop", { exact: true }).waitFor({ timeout: 5_000 });

  // Sessions: 45 of them, 20 a page; Next and Previous; the status filter.
  const first = await createSession({ amount: USD("2.00") }, { key });
  ok(await api("POST", `/v1/test_helpers/checkout_sessions/${first.id}/clone`, { token: key, json: { count: 43 } }));
  const toCancel = await createSession({ amount: USD("3.00") }, { key });
  const listed = (await allSessions(key)).map((s) => s.id);
  assert.equal(listed.length, 45);
  await navigate(page, "Sessions", "sessions");
  const shown = () => page.locator("tr[data-session-id]").evaluateAll((trs) => trs.map((tr) => tr.dataset.sessionId));
  assert.deepEqual(await shown(), listed.slice(0, 20));
  await page.getByRole("button", { name: "Next" }).click();
  await page.waitForFunction((id) => document.querySelector("tr[data-session-id]")?.dataset.sessionId === id, listed[20]);
  assert.deepEqual(await shown(), listed.slice(20, 40));
  await page.getByRole("button", { name: "Next" }).click();
  await page.waitForFunction((id) => document.querySelector("tr[data-session-id]")?.dataset.sessionId === id, listed[40]);
  assert.deepEqual(await shown(), listed.slice(40));
  assert.equal(await page.getByRole("button", { name: "Next" }).isDisabled(), true, "no page after the last");
  await page.getByRole("button", { name: "Previous" }).click();
  await page.waitForFunction((id) => document.querySelector("tr[data-session-id]")?.dataset.sessionId === id, listed[20]);
  assert.deepEqual(await shown(), listed.slice(20, 40));

  // Cancel one from its page, then filter by status.
  await open(page, `#/sessions/${toCancel.id}`, "session");
  await page.getByRole("button", { name: "Check now" }).click();
  await page.getByText("Checked the chain for payments just now.").waitFor({ timeout: 10_000 });
  await page.getByRole("button", { name: "Cancel session" }).click();
  // The status itself: the snapshot always names `canceled_at`.
  await page.waitForFunction(() => /"status":\s*"canceled"/.test(document.querySelector('pre[data-testid="snapshot"]')?.textContent ?? ""), null, { timeout: 10_000 });
  assert.equal((await getSession(toCancel.id, { key })).status, "canceled");
  await navigate(page, "Sessions", "sessions");
  await page.getByLabel("Status", { exact: true }).selectOption("canceled");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForFunction((id) => [...document.querySelectorAll("tr[data-session-id]")].map((tr) => tr.dataset.sessionId).join() === id, toCancel.id, { timeout: 10_000 });
  assert.match(new URL(page.url()).hash, /^#\/sessions\?.*status=canceled/);
  await closeClean(context);
});
