// Usage: node xtask/chain/pay.mjs <session id> [--amount <token units>] [--token <SYMBOL>] [--env <dev.json>]
// Pays a checkout session on the local chain from anvil account #9. Without --amount it
// pays exactly what the session asks; --amount 10 pays 10 tokens (partial or over).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { localChain, parseUnits, pay, root } from "./lib.mjs";

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const sessionId = process.argv[2];
if (!sessionId || sessionId.startsWith("--")) {
  console.error("usage: cargo xtask pay <session id> [--amount 49.99] [--token USDC|USDT]");
  process.exit(2);
}
const env = JSON.parse(readFileSync(arg("env") || join(root, ".kasse", "dev.json"), "utf8"));
const res = await fetch(`${env.worker_url}/v1/checkout_sessions/${sessionId}`, {
  headers: { authorization: `Bearer ${env.demo.secret_key}` },
});
const session = await res.json();
if (!res.ok) {
  console.error(`cannot read ${sessionId}: ${session.error?.message || res.status}`);
  process.exit(1);
}
const symbol = (arg("token") || session.selected_token || session.supported_tokens[0]?.token || "").toUpperCase();
const option = session.supported_tokens.find((t) => t.token === symbol && t.chain_id === 31337);
if (!option) {
  console.error(`${sessionId} does not accept ${symbol} on the local chain`);
  process.exit(1);
}
const token = localChain().tokens.find((t) => t.symbol === symbol);
const amount = arg("amount") ? parseUnits(arg("amount"), option.decimals) : BigInt(option.amount);
const hash = await pay(env.rpc_url, { contract: token?.contract, to: session.address, amount });
console.log(`paid ${amount} base units of ${symbol} to ${session.address} in ${hash}`);
