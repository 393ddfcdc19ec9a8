// A merchant's webhook receiver for the tests: every request is verified with the official
// `standardwebhooks` library, recorded, and answered as the test says (`mode`).
// `withReceiver` gives a test its receivers and closes them however the test ends.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/**
 * Starts a receiver on 127.0.0.1. `mode` is one of:
 * "ok" (204), "500", "410", "redirect" (302 to /moved), "hang" (never answers).
 * `down()` closes the port (connection refused) and `up()` opens it again.
 */
export async function startReceiver({ delayMs = 0 } = {}) {
  const r = {
    mode: "ok",
    /** How long an answer takes (the bench's slow receiver). */
    delayMs,
    /** Every request, in arrival order: { id, timestamp, signature, body, json, verified, path, at } */
    requests: [],
    /** Secrets to verify with (any may match, as during a rotation). */
    secrets: [],
    url: "",
    port: 0,
    held: new Set(),
    /** Requests that were answered 2xx, deduplicated on webhook-id (what a merchant processes). */
    processed() {
      const seen = new Map();
      for (const q of this.requests) if (q.status < 300 && !seen.has(q.id)) seen.set(q.id, q);
      return [...seen.values()];
    },
    /** Waits until `predicate(requests)` holds, polling every 100 ms. */
    async until(predicate, timeoutMs = 20_000, what = "the receiver's condition") {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (predicate(this.requests)) return this.requests;
        await new Promise((ok) => setTimeout(ok, 100));
      }
      throw new Error(`timed out waiting for ${what}; got ${this.requests.length} requests`);
    },
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = {
        "webhook-id": req.headers["webhook-id"],
        "webhook-timestamp": req.headers["webhook-timestamp"],
        "webhook-signature": req.headers["webhook-signature"],
      };
      const verifiedWith = r.secrets.filter((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const status = { ok: 204, 500: 500, 410: 410, redirect: 302, hang: 0 }[r.mode];
      r.requests.push({
        id: headers["webhook-id"],
        timestamp: Number(headers["webhook-timestamp"]),
        signature: headers["webhook-signature"] || "",
        body,
        json,
        verified: verifiedWith.length > 0,
        verifiedWith,
        path: req.url,
        method: req.method,
        contentType: req.headers["content-type"],
        status,
        at: Date.now(),
      });
      if (r.mode === "hang") {
        r.held.add(res);
        return;
      }
      if (r.mode === "redirect") res.setHeader("location", "/moved");
      res.statusCode = status;
      if (r.delayMs > 0) setTimeout(() => res.end(), r.delayMs);
      else res.end();
    });
  });
  const listen = (port) => new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  await listen(0);
  r.port = server.address().port;
  r.url = `http://127.0.0.1:${r.port}/hooks`;
  r.down = () =>
    new Promise((ok) => {
      for (const res of r.held) res.destroy();
      r.held.clear();
      server.close(() => ok());
      server.closeAllConnections();
    });
  r.up = () => listen(r.port);
  r.close = r.down;
  return r;
}

/** Runs `use(receiver)` with a fresh receiver and closes it after, however `use` ends. */
export function withReceiver(use) {
  return withReceivers(1, use);
}

/** Runs `use(r1, r2, …)` with `count` fresh receivers and closes them all after. */
export async function withReceivers(count, use) {
  const receivers = [];
  try {
    for (let i = 0; i < count; i += 1) receivers.push(await startReceiver());
    return await use(...receivers);
  } finally {
    for (const r of receivers) await r.close();
  }
}
