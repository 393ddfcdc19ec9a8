// Headless Chromium for the browser suites: Debian's build, flags that keep it off the
// closed network. `useBrowser()` launches one per test file and closes it after.
import { before, after } from "node:test";
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
