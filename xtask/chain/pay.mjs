// Usage: node xtask/chain/pay.mjs <session id> [--amount <token units>] [--token <SYMBOL>] [--chain <id>] [--env <dev.json>]
// Pays a checkout session on a local chain from anvil account #9. Without --amount it pays
// exactly what the session asks; --amount 10 pays 10 tokens (partial or over). Without
// --chain it pays on the chain of the session's selection, else of its first option; a
// chain the session does not offer is paid all the same (a wrong-network payment). On the
// Tron stand-in (31339) it pays the 20 bytes of the session's `address_tron`, as a Tron
// wallet's TRC-20 transfer names them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { evmAddress, localChain, parseUnits, pay, root } from "./lib.mjs";

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const fail = (message) => {
  console.error(message);
  process.exit(1);
};

const sessionId = process.argv[2];
if (!sessionId || sessionId.startsWith("--")) {
  console.error("usage: cargo xtask pay <session id> [--amount 49.99] [--token USDC|USDT|ETH] [--chain 31337|31338|31339]");
  process.exit(2);
}
const env = JSON.parse(readFileSync(arg("env") || join(root, ".kasse", "dev.json"), "utf8"));
const res = await fetch(`${env.worker_url}/v1/checkout_sessions/${sessionId}`, {
  headers: { authorization: `Bearer ${env.demo.secret_key}` },
});
const session = await res.json();
if (!res.ok) fail(`cannot read ${sessionId}: ${session.error?.message || res.status}`);

const options = session.supported_tokens;
const selected = options.find((o) => o.chain_id === session.chain_id && o.token === session.selected_token);
const chainId = Number(arg("chain") || selected?.chain_id || options[0]?.chain_id);
const local = env.chains?.[chainId];
if (!local) fail(`chain ${chainId} is not one of the local chains (${Object.keys(env.chains || {}).join(", ")})`);
const chain = localChain(chainId);
const symbol = (arg("token") || session.selected_token || options.find((o) => o.chain_id === chainId)?.token || "USDC").toUpperCase();
const option = options.find((o) => o.token === symbol && o.chain_id === chainId);
const token = chain.tokens.find((t) => t.symbol === symbol);
if (!token && symbol !== chain.native_symbol) fail(`chain ${chainId} has no ${symbol}`);
const decimals = token ? token.decimals : chain.native_decimals;
if (!option && !arg("amount")) {
  fail(`${sessionId} does not offer ${symbol} on chain ${chainId}: give --amount to send it anyway (it will not count)`);
}
const amount = arg("amount") ? parseUnits(arg("amount"), decimals) : BigInt(option.amount);
let to = session.address;
if (chain.family === "tron") {
  if (!session.address_tron) fail(`${sessionId} has no Tron address: its mode has no Tron xpub, or it offers no Tron option`);
  to = evmAddress(session.address_tron);
}
const hash = await pay(local.rpc_url, { contract: token && evmAddress(token.contract), to, amount });
const shown = chain.family === "tron" ? `${session.address_tron} (${to})` : to;
console.log(`paid ${amount} base units of ${symbol} on chain ${chainId} to ${shown} in ${hash}`);
