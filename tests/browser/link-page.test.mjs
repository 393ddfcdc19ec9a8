// The payment link page in a real browser: its own form starts a session and lands on the
// hosted checkout; the same form posted from another site's page is refused and starts
// nothing (Chromium marks it with Sec-Fetch-Site and Origin, as any shopper's browser does).
// It speaks the shopper's language: `?locale=`, else Accept-Language, else English.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { closeClean, newPage, useBrowser } from "../support/browser.mjs";
import { USD, api, base, createLink, demo, linkSessions } from "../support/env.mjs";

const chrome = useBrowser();
const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The texts of `locale`, as the translators wrote them. */
const catalogue = (locale) => JSON.parse(readFileSync(new URL(`../../www/i18n/${locale}.json`, import.meta.url), "utf8"));

/** How `locale` writes the price `whole.cents` in US dollars, grouped by thousands. */
function dollars(texts, whole, cents) {
  const grouped = String(whole).replace(/\B(?=(\d{3})+$)/g, texts.number_group);
  return texts.link_usd.replace("{amount}", `${grouped}${texts.number_decimal}${cents}`);
}

const escapeHtml = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const newLink = () => createLink({ amount: USD("2.00") });

test("link page: its own pay button starts a session and lands on the hosted checkout", async () => {
  const link = await newLink();
  const page = await chrome.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(link.url);
  const posted = page.waitForRequest((r) => r.method() === "POST" && r.url() === link.url);
  await page.getByRole("button", { name: "Pay with crypto" }).click();
  const request = await posted;
  assert.equal((await request.allHeaders())["sec-fetch-site"], "same-origin");
  await page.waitForURL(/\/c\/cs_test_[A-Za-z0-9]{24}/);
  await page.locator("[data-kasse-screen]").first().waitFor({ timeout: 25_000 });
  const [session] = await linkSessions(link.id);
  assert.ok(session, "a session was started");
  assert.equal(new URL(page.url()).pathname, `/c/${session.id}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("link page: the same form auto-submitted from another site's page gets a 403 page and starts nothing", async () => {
  const link = await newLink();
  const attacker = createServer((req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><form method="post" action="${link.url}"></form><script>document.forms[0].submit()</script>`);
  });
  await new Promise((ok) => attacker.listen(0, "127.0.0.1", ok));
  try {
    const page = await chrome.browser.newPage();
    const landed = page.waitForResponse((r) => r.url() === link.url && r.request().method() === "POST");
    // `localhost` is another site than the worker's `127.0.0.1`.
    await page.goto(`http://localhost:${attacker.address().port}/`);
    const response = await landed;
    assert.equal(response.status(), 403);
    assert.equal((await response.request().allHeaders())["sec-fetch-site"], "cross-site");
    await page.waitForURL(link.url);
    assert.match(await page.locator("body").innerText(), /another website/);
    assert.deepEqual(await linkSessions(link.id), []);
    await page.close();
  } finally {
    attacker.close();
  }
});

test("link page: a German browser reads it in German, an Arabic one right to left, axe finds nothing; the German shopper's checkout is German too", async () => {
  const link = await createLink({ amount: USD("1234.50") });
  const english = catalogue("en");
  for (const [browser, locale, dir] of [["de-DE", "de", "ltr"], ["ar", "ar", "rtl"]]) {
    const texts = catalogue(locale);
    assert.notEqual(texts.link_pay, english.link_pay, `${locale}.json translates the pay button`);
    const page = await newPage(chrome, { width: 320, locale: browser });
    const response = await page.goto(link.url);
    assert.equal(response.status(), 200);
    assert.equal(response.headers().vary, "Accept-Language");
    assert.deepEqual(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), [locale, dir]);
    assert.equal(await page.locator(".total strong").innerText(), dollars(texts, 1234, "50"));
    assert.equal(await page.locator(".note").innerText(), texts.link_note);
    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
      window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }),
    );
    assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" "))}`), [], `axe on the ${locale} link page`);
    assert.ok(result.passes.some((p) => p.id === "html-lang-valid"), "axe checked the page's lang");
    await page.screenshot({ path: join(screens, `link-page-${locale}.png`), fullPage: true });
    if (locale === "de") {
      // The button starts the checkout, and the hosted page speaks German as well.
      await page.getByRole("button", { name: texts.link_pay }).click();
      await page.waitForURL(/\/c\/cs_test_/);
      await page.locator("[data-kasse-screen]").first().waitFor({ timeout: 25_000 });
      await page.waitForFunction(() => document.documentElement.lang === "de", null, { timeout: 10_000 });
      const shop = await page.locator(".kasse-merchant").innerText();
      const heading = page.getByRole("heading", { level: 1 });
      await page.waitForFunction((name) => document.querySelector("h1")?.textContent.includes(name), shop, { timeout: 10_000 });
      assert.equal(await heading.textContent(), texts.page_checkout_merchant.replace("{merchant}", shop));
    }
    await closeClean(page);
  }
});

test("link page over plain HTTP: Accept-Language fr;q=0.9, de gives German, ?locale=ja wins over it and stays in the form, a closed link says so in German", async () => {
  const link = await createLink({ amount: USD("2.00") });
  const [de, ja] = [catalogue("de"), catalogue("ja")];
  const headers = { "accept-language": "fr;q=0.9, de" };
  const german = await fetch(link.url, { headers });
  assert.equal(german.status, 200);
  assert.equal(german.headers.get("vary"), "Accept-Language");
  const page = await german.text();
  assert.ok(page.startsWith('<!doctype html><html lang="de" dir="ltr">'), page.slice(0, 80));
  assert.ok(page.includes(`<button type="submit">${escapeHtml(de.link_pay)}</button>`), page);
  assert.ok(page.includes(`<strong>${escapeHtml(dollars(de, 2, "00"))}</strong>`), page);
  assert.ok(page.includes(`action="/l/${link.id}"`), "the browser's language is not written into the form");

  const japanese = await (await fetch(`${link.url}?locale=ja`, { headers })).text();
  assert.ok(japanese.startsWith('<!doctype html><html lang="ja" dir="ltr">'), japanese.slice(0, 80));
  assert.ok(japanese.includes(escapeHtml(ja.link_pay)), japanese);
  assert.ok(japanese.includes(`action="/l/${link.id}?locale=ja"`), japanese);
  // Not a language Kasse speaks: the header decides.
  const unknown = await (await fetch(`${link.url}?locale=xx-YY`, { headers })).text();
  assert.ok(unknown.startsWith('<!doctype html><html lang="de"'), unknown.slice(0, 80));
  const plain = await (await fetch(link.url)).text();
  assert.ok(plain.startsWith('<!doctype html><html lang="en" dir="ltr">'), plain.slice(0, 80));

  const closed = await api("POST", `/v1/payment_links/${link.id}`, { token: demo.secret_key, json: { active: false } });
  assert.equal(closed.status, 200, JSON.stringify(closed.body));
  const gone = await fetch(link.url, { headers });
  assert.equal(gone.status, 410);
  const text = await gone.text();
  assert.ok(text.includes(`<h1>${escapeHtml(de.link_inactive_title)}</h1><p>${escapeHtml(de.link_inactive_body)}</p>`), text);
  assert.deepEqual(await linkSessions(link.id), [], "showing the pages started nothing");
});

test("link page: the merchant's locale on the link wins over the browser's, ?locale= over both, and the session started from the page keeps the asked one", async () => {
  const [de, it, ja] = [catalogue("de"), catalogue("it"), catalogue("ja")];
  const link = await createLink({ amount: USD("2.00"), locale: "it" });
  const headers = { "accept-language": "de" };
  const italian = await (await fetch(link.url, { headers })).text();
  assert.ok(italian.startsWith('<!doctype html><html lang="it" dir="ltr">'), italian.slice(0, 80));
  assert.ok(italian.includes(escapeHtml(it.link_pay)) && !italian.includes(escapeHtml(de.link_pay)), italian);
  const japanese = await (await fetch(`${link.url}?locale=JA`, { headers })).text();
  assert.ok(japanese.includes(`<button type="submit">${escapeHtml(ja.link_pay)}</button>`), japanese);

  // The form's own post (no browser headers from node's fetch: it meets only the start
  // limit, counted for an address of its own).
  const poster = { ...headers, "cf-connecting-ip": "203.0.113.20" };
  const started = await fetch(`${link.url}?locale=ja`, { method: "POST", headers: poster, redirect: "manual" });
  assert.equal(started.status, 303);
  const [session] = await linkSessions(link.id);
  assert.equal(new URL(started.headers.get("location")).pathname, `/c/${session.id}`);
  assert.equal(session.locale, "ja", "the asked locale wins over the link's");
  const plain = await fetch(link.url, { method: "POST", headers: poster, redirect: "manual" });
  assert.equal(plain.status, 303);
  const sessions = await linkSessions(link.id);
  assert.equal(sessions.length, 2);
  assert.deepEqual(sessions.map((s) => s.locale).sort(), ["it", "ja"], "without ?locale= the session has the link's");
});

test("hosted page: an address that is no checkout says so in the browser's language, under a visible h1", async () => {
  const de = catalogue("de");
  const page = await newPage(chrome, { width: 320, locale: "de-DE" });
  const response = await page.goto(`${base}/c/cs_test_not-a-session`);
  assert.equal(response.status(), 200);
  const heading = page.getByRole("heading", { level: 1, name: de.page_invalid_title });
  await heading.waitFor({ timeout: 10_000 });
  assert.ok(await heading.isVisible(), "the heading is the page's visible title here");
  assert.equal(await page.locator("#checkout p").innerText(), de.page_invalid_body);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
  assert.equal(await page.title(), `${de.page_invalid_title} · Kasse`);
  await closeClean(page);
});
