// A JSON-RPC proxy in front of anvil that can be told to misbehave, so tests see what the
// worker does when a provider fails.
// Usage: node rpc-proxy.mjs <listen port> <upstream url> [--no-batch] [--api-key <header>=<key>]
//   --no-batch: a JSON-RPC batch (an array) is refused, as Tron's JSON-RPC does;
//   --api-key: a request without that header and key is refused with 401, as a provider
//   that wants a key does.
// Control: POST /__fault {"mode": "ok" | "http500" | "http429" | "malformed" | "wrong_chain" | "node_error" | "short_batch" | "hang"}
//          or {"mode": "log_range", "max": N}: eth_getLogs over more than N blocks fails, as
//          providers refuse large ranges.
//          "no_override": an eth_call with a state override (a third parameter) fails, as
//          providers that do not support overrides answer; "drop_override": the override is
//          dropped and the call runs without it, as providers that ignore it do.
//          The answer counts the eth_calls that carried an override (`overrides`).
import { createServer } from "node:http";

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const noBatch = process.argv.includes("--no-batch");
const apiKeyArg = process.argv[process.argv.indexOf("--api-key") + 1];
const [keyHeader, apiKey] = process.argv.includes("--api-key") ? apiKeyArg.split("=") : [];
let refused = 0; // requests refused for a missing key or for being a batch
let mode = "ok";
let maxLogRange = Infinity;
let served = 0; // HTTP requests forwarded
let rpcCalls = 0; // JSON-RPC calls in them
let overrides = 0; // eth_calls among them that carried a state override
const withOverride = (c) => c?.method === "eth_call" && c.params?.length > 2;

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

createServer(async (req, res) => {
  const text = await body(req);
  if (req.url === "/__fault") {
    if (req.method === "POST") ({ mode, max: maxLogRange = Infinity } = JSON.parse(text));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ mode, served, calls: rpcCalls, overrides, refused }));
    return;
  }
  if (apiKey && req.headers[keyHeader.toLowerCase()] !== apiKey) {
    refused += 1;
    return res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ Error: "ApiKey not exists" }));
  }
  if (noBatch && text.trimStart().startsWith("[")) {
    refused += 1;
    const error = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } };
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(error));
  }
  served += 1;
  try {
    const parsed = JSON.parse(text);
    rpcCalls += Array.isArray(parsed) ? parsed.length : 1;
    overrides += (Array.isArray(parsed) ? parsed : [parsed]).filter(withOverride).length;
  } catch {
    rpcCalls += 1;
  }
  const reply = (status, payload, type = "application/json") => res.writeHead(status, { "content-type": type }).end(payload);
  if (mode === "hang") return setTimeout(() => reply(504, "too late", "text/plain"), 30_000).unref();
  if (mode === "http500") return reply(500, "upstream exploded", "text/plain");
  if (mode === "http429") return reply(429, JSON.stringify({ error: "rate limited" }));
  if (mode === "malformed") return reply(200, '[{"jsonrpc":"2.0","id":0,"result":');
  let forwarded = text;
  if (mode === "drop_override") {
    const parsed = JSON.parse(text);
    for (const c of Array.isArray(parsed) ? parsed : [parsed]) if (withOverride(c)) c.params = c.params.slice(0, 2);
    forwarded = JSON.stringify(parsed);
  }
  const upstreamRes = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body: forwarded });
  let payload = await upstreamRes.json();
  const calls = JSON.parse(text);
  const batch = Array.isArray(payload);
  const replies = batch ? payload : [payload];
  if (mode === "wrong_chain") {
    for (const r of replies) {
      const call = (Array.isArray(calls) ? calls : [calls]).find((c) => c.id === r.id);
      if (call?.method === "eth_chainId") r.result = "0x1";
    }
  }
  if (mode === "node_error") {
    for (const r of replies) {
      delete r.result;
      r.error = { code: -32005, message: "query returned more than 10000 results" };
    }
  }
  if (mode === "no_override") {
    for (const r of replies) {
      if (!withOverride((Array.isArray(calls) ? calls : [calls]).find((c) => c.id === r.id))) continue;
      delete r.result;
      r.error = { code: -32602, message: "too many arguments, want at most 2" };
    }
  }
  if (mode === "log_range") {
    for (const r of replies) {
      const call = (Array.isArray(calls) ? calls : [calls]).find((c) => c.id === r.id);
      const filter = call?.method === "eth_getLogs" && call.params[0];
      if (filter && Number(filter.toBlock) - Number(filter.fromBlock) + 1 > maxLogRange) {
        delete r.result;
        r.error = { code: -32602, message: `block range exceeds ${maxLogRange}` };
      }
    }
  }
  if (mode === "short_batch" && batch) payload = replies.slice(0, Math.max(0, replies.length - 1));
  reply(200, JSON.stringify(batch ? payload : replies[0]));
}).listen(port, "127.0.0.1", () => console.log(`rpc proxy on ${port} -> ${upstream}`));
