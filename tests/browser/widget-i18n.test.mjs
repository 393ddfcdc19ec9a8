// The widget in the shopper's language, in headless Chromium against the real worker: every
// locale renders the pay screen from its own catalogue (no English left, no key showing),
// Arabic right to left; the browser's languages, the session's `locale` and the mount option
// decide in that order; amounts follow the locale while the copy buttons copy the exact
// value; and axe finds nothing on any screen in English, German and Arabic. A screenshot per
// locale goes to .kasse/test/screens/i18n-{locale}.png for a reviewer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { axe, closeClean, newPage, onScreen, useBrowser } from "../support/browser.mjs";
import {
  ANY_OPTION, USD, advance, base, cancelSession, createSession, payAndWatch, runScheduled,
} from "../support/env.mjs";

const screens = join(dirname(process.env.KASSE_ENV), "screens");
mkdirSync(screens, { recursive: true });
const chrome = useBrowser();

const LOCALES = ["en", "de", "fr", "es", "it", "pt-BR", "nl", "pl", "tr", "ru", "uk", "ja", "ko", "zh-CN", "vi", "id", "ar"];
const catalogue = (locale) => JSON.parse(readFileSync(new URL(`../../www/i18n/${locale}.json`, import.meta.url), "utf8"));
const EN = catalogue("en");

/** The widget's own element: its lang, dir and text. */
async function widget(page) {
  return page.locator(".kasse").first().evaluate((el) => ({ lang: el.lang, dir: el.dir, text: el.innerText }));
}

test("every locale renders the pay screen from its own catalogue; Arabic right to left", async () => {
  const session = await createSession({ amount: USD("1234.50") });
  for (const locale of LOCALES) {
    const texts = catalogue(locale);
    const page = await newPage(chrome, { width: 420, locale });
    await page.goto(session.checkout_url);
    await onScreen(page, "pay");
    await page.locator(`.kasse[lang="${locale}"]`).waitFor({ timeout: 10_000 });
    const shown = await widget(page);
    assert.equal(shown.lang, locale);
    assert.equal(shown.dir, locale === "ar" ? "rtl" : "ltr", locale);
    for (const key of ["pay_title", "send_exactly", "to_address", "open_wallet", "expires_in"]) {
      assert.ok(shown.text.includes(texts[key]), `${locale}: ${key} "${texts[key]}" in ${shown.text}`);
    }
    if (locale !== "en") {
      // Nothing in English where the locale has its own words.
      for (const key of ["pay_title", "send_exactly", "only_on_warning"]) {
        if (texts[key] !== EN[key]) assert.ok(!shown.text.includes(EN[key]), `${locale}: English "${EN[key]}" left`);
      }
    }
    // No key leaks as text (a key is snake_case, which no text is).
    for (const key of Object.keys(EN).filter((k) => k.includes("_"))) {
      assert.ok(!shown.text.includes(key), `${locale}: the key ${key} shows`);
    }
    // The total in the locale's number format; the amount to copy stays exact.
    const total = `1${texts.number_group}234${texts.number_decimal}5`;
    assert.ok(shown.text.includes(total), `${locale}: total as ${total} in ${shown.text}`);
    const copied = await page.locator(".kasse-copy").first().evaluate((el) => el.querySelector("code").innerText);
    assert.ok(copied.startsWith(`1${texts.number_group}234${texts.number_decimal}5`), `${locale}: ${copied}`);
    await page.locator(".kasse").first().screenshot({ path: join(screens, `i18n-${locale}.png`) });
    await closeClean(page);
  }
});

test("the copy button copies the exact amount whatever the locale shows", async () => {
  const session = await createSession({ amount: USD("1234.50") });
  const page = await newPage(chrome, { width: 420, locale: "de-DE" });
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  await page.locator('.kasse[lang="de"]').waitFor({ timeout: 10_000 });
  const amount = page.locator(".kasse-copy").first();
  assert.equal(await amount.locator("code").innerText(), "1.234,5 USDC");
  await amount.getByRole("button").click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "1234.5");
  await closeClean(page);
});

test("Accept-Language de picks German; the session's locale wins over it; the mount option wins over both", async () => {
  const de = catalogue("de");
  const fr = catalogue("fr");
  const ja = catalogue("ja");
  const plain = await createSession();
  const page = await newPage(chrome, { width: 420, locale: "de-DE" });
  const response = await page.goto(plain.checkout_url);
  const sent = (await response.request().allHeaders())["accept-language"];
  assert.match(sent, /^de-DE/, "the browser sends Accept-Language: de-DE");
  await onScreen(page, "pay");
  await page.locator('.kasse[lang="de"]').waitFor({ timeout: 10_000 });
  assert.ok((await widget(page)).text.includes(de.pay_title));
  // The hosted page follows the widget's language.
  assert.equal(await page.evaluate(() => document.documentElement.lang), "de");

  const french = await createSession({ locale: "fr" });
  await page.goto(french.checkout_url);
  await onScreen(page, "pay");
  await page.locator('.kasse[lang="fr"]').waitFor({ timeout: 10_000 });
  assert.ok((await widget(page)).text.includes(fr.pay_title), "the session's locale wins over the browser's");

  // Embedded with the mount option: it wins over the session's.
  await page.goto(`${base}/openapi.json`);
  await page.setContent(`<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop</h1><div id="w"></div></main></body></html>`);
  await page.addScriptTag({ url: `${base}/kasse.js` });
  const locales = await page.evaluate(({ id, secret }) => new Promise((resolve) => {
    const seen = [];
    document.addEventListener("kasse:locale", (e) => { seen.push(e.detail); if (e.detail.locale === "ja") resolve(seen); });
    window.Kasse.mount(document.getElementById("w"), { session: id, clientSecret: secret, locale: "ja-JP" });
  }), { id: french.id, secret: french.client_secret });
  assert.deepEqual(locales.at(-1), { session: french.id, locale: "ja", dir: "ltr" });
  assert.ok((await widget(page)).text.includes(ja.pay_title), "the mount option wins");
  await closeClean(page);
});

test("a language Kasse does not speak falls back to English", async () => {
  const session = await createSession();
  const page = await newPage(chrome, { width: 420, locale: "nb-NO" });
  await page.goto(session.checkout_url);
  await onScreen(page, "pay");
  const shown = await widget(page);
  assert.equal(shown.lang, "en");
  assert.ok(shown.text.includes(EN.pay_title));
  await closeClean(page);
});

test("axe finds nothing on any screen in English, German and Arabic", async () => {
  const choose = await createSession({ ...ANY_OPTION, amount: USD("12.34") });
  const pay = await createSession();
  const underpaid = await createSession();
  await payAndWatch(underpaid, { amount: 20_000_000n });
  const paid = await createSession();
  await payAndWatch(paid);
  const overpaid = await createSession();
  await payAndWatch(overpaid, { amount: 60_000_000n });
  const expired = await createSession();
  await advance(expired.id, 3 * 3600);
  await runScheduled();
  const canceled = await createSession();
  await cancelSession(canceled.id);
  const cases = [
    ["choose", choose], ["pay", pay], ["underpaid", underpaid], ["paid", paid],
    ["overpaid", overpaid], ["expired", expired], ["canceled", canceled],
  ];
  for (const locale of ["en", "de", "ar"]) {
    const page = await newPage(chrome, { width: 420, locale });
    for (const [screen, session] of cases) {
      // The widget's own screen is what the test waits for, not the page's load event.
      await page.goto(session.checkout_url, { waitUntil: "domcontentloaded" });
      await onScreen(page, screen);
      await page.locator(`.kasse[lang="${locale}"]`).waitFor({ timeout: 10_000 });
      await axe(page, `${screen} in ${locale}`);
      if (locale === "ar") await page.locator(".kasse").first().screenshot({ path: join(screens, `i18n-ar-${screen}.png`) });
    }
    await closeClean(page);
  }
});
