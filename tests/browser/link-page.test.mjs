// The payment link page in a real browser: its own form starts a session and lands on the
// hosted checkout; the same form posted from another site's page is refused and starts
// nothing (Chromium marks it with Sec-Fetch-Site and Origin, as any shopper's browser does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { useBrowser } from "../support/browser.mjs";
import { USD, createLink, linkSessions } from "../support/env.mjs";

const chrome = useBrowser();

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
