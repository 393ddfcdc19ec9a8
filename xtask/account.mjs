// Usage: cargo xtask account create --url https://pay.example.com [--name "My shop"]
//          [--xpub-test xpub…] [--xpub-live xpub…] [--xpub-tron-test xpub…] [--xpub-tron-live xpub…]
//        cargo xtask account xpub --url https://pay.example.com --account acct_…
//          --mode live|test --xpub xpub… [--xpub-tron xpub…]
// A mode's Tron xpub (m/44'/195'/n') goes with its EVM xpub (m/44'/60'/n').
// `create` makes a merchant account through the admin API (POST /v1/admin/accounts);
// `xpub` registers the xpub of a mode the account does not have yet
// (POST /v1/admin/accounts/{id}/xpubs), e.g. live mode for an account made for testing.
// Both print the new keys, which are shown only this once. The admin token comes from
// KASSE_ADMIN_TOKEN (never a flag: flags end up in shell history). Without --url and the
// token, the local stack's .kasse/dev.json is used.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const usage = `usage: cargo xtask account create [--url URL] [--name NAME] [--xpub-test XPUB] [--xpub-live XPUB]
         [--xpub-tron-test XPUB] [--xpub-tron-live XPUB]
       cargo xtask account xpub [--url URL] --account ACCOUNT_ID --mode live|test --xpub XPUB [--xpub-tron XPUB]
  The admin token is read from KASSE_ADMIN_TOKEN (the local stack's is used when unset).`;

function flag(name) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value\n${usage}`);
  return value;
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

const command = args[0];
const flags = {
  create: ["url", "name", "xpub-test", "xpub-live", "xpub-tron-test", "xpub-tron-live"],
  xpub: ["url", "account", "mode", "xpub", "xpub-tron"],
}[command];
if (!flags) fail(usage);
const known = new Set(flags);
for (const a of args.slice(1)) if (a.startsWith("--") && !known.has(a.slice(2))) fail(`unknown flag ${a}\n${usage}`);

const devPath = join(root, ".kasse", "dev.json");
const dev = existsSync(devPath) ? JSON.parse(readFileSync(devPath, "utf8")) : {};
const url = (flag("url") || process.env.KASSE_URL || dev.worker_url || "").replace(/\/+$/, "");
const token = process.env.KASSE_ADMIN_TOKEN || dev.admin_token;
if (!url) fail(`no --url given and no local stack running\n${usage}`);
if (!token) fail("set KASSE_ADMIN_TOKEN to the deployment's ADMIN_TOKEN secret");

let path = "/v1/admin/accounts";
let body = {
  display_name: flag("name"),
  xpub_test: flag("xpub-test"),
  xpub_live: flag("xpub-live"),
  xpub_tron_test: flag("xpub-tron-test"),
  xpub_tron_live: flag("xpub-tron-live"),
};
let what = "account not created";
if (command === "xpub") {
  const account = flag("account");
  if (!account) fail(`--account is required\n${usage}`);
  path = `/v1/admin/accounts/${encodeURIComponent(account)}/xpubs`;
  body = { mode: flag("mode"), xpub: flag("xpub"), xpub_tron: flag("xpub-tron") };
  what = "xpub not registered";
}
let res;
try {
  res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
} catch (e) {
  console.error(`cannot reach ${url}: ${e.cause?.message || e.message}`);
  process.exit(1);
}
const answer = await res.json().catch(() => ({}));
if (!res.ok) {
  const e = answer.error || {};
  console.error(`${what} (${res.status}): ${e.message || "no error body"}${e.param ? ` [${e.param}]` : ""}`);
  process.exit(1);
}
if (process.env.KASSE_OUTPUT === "json") {
  console.log(JSON.stringify(answer));
} else {
  if (command === "xpub") console.log(`Account ${answer.id}: ${answer.livemode ? "live" : "test"} mode enabled`);
  else console.log(`Account ${answer.id} (${answer.display_name})`);
  for (const [name, key] of Object.entries(answer.keys)) console.log(`  ${name.padEnd(8)} ${key}`);
  console.log("These keys are shown only now: store them in your secret manager.");
}
