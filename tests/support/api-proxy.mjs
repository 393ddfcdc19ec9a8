// A recording HTTP proxy in front of the worker: the `kasse` CLI talks to it as to the API,
// and a test reads back every request it made (method, path, headers, body) to check what
// left the merchant's machine.
import { createServer } from "node:http";

/**
 * Starts the proxy on a free local port, forwarding to `upstream` (the worker's URL).
 * Returns { url, requests, clear(), close() }; `requests` grows with each request, and each
 * entry holds the answer's status too.
 */
export async function startApiProxy(upstream) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString("utf8");
    const entry = { method: req.method, path: req.url, headers: { ...req.headers }, body, status: null };
    requests.push(entry);
    try {
      const headers = { ...req.headers };
      delete headers.host;
      delete headers["content-length"];
      const answer = await fetch(upstream + req.url, { method: req.method, headers, body: body.length ? body : undefined, redirect: "manual" });
      const payload = Buffer.from(await answer.arrayBuffer());
      entry.status = answer.status;
      const out = {};
      answer.headers.forEach((value, name) => {
        if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name)) out[name] = value;
      });
      res.writeHead(answer.status, out).end(payload);
    } catch (e) {
      entry.status = 502;
      res.writeHead(502, { "content-type": "text/plain" }).end(`proxy: ${e.message}`);
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    clear: () => requests.splice(0, requests.length),
    close: () => new Promise((ok) => server.close(ok)),
  };
}
