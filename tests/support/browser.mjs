// Headless Chromium for the browser suites: Debian's build, flags that keep it off the
// closed network. `useBrowser()` launches one per test file and closes it after.
import { before, after } from "node:test";
import assert from "node:assert/strict";
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
