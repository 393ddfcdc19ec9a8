// The merchant's CLI `kasse`, run as a merchant runs it (the built binary, configured by its
// environment), against the test stack: the API through a recording proxy, the merchant's own
// RPC straight to anvil. Twenty paid sessions of a fresh account are swept to a fresh treasury
// by EIP-7702 batches paid by the gas wallet; every refusal leaves the chain as it was. With
// EIP-7702 switched off, USDC moves by EIP-3009 relays, USDT by exact top-ups, ETH on its own gas.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ethers, HDNodeWallet, Mnemonic } from "ethers";
import { compile, root } from "../../xtask/chain/lib.mjs";
import { LOCAL_CHAIN, USD, api, createSession, env, mine, newAccount, newHook, ok, payAndWatch, paidSession, rpc, runScheduled, transfer } from "../support/env.mjs";
import { startApiProxy } from "../support/api-proxy.mjs";
import { withReceiver } from "../support/receiver.mjs";
import { CLI, cliRunner } from "../support/cli.mjs";

const GAS_WALLET_PATH = "m/44'/60'/1'/0/0";
const CREATE2_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C";
const ERC20 = ["function balanceOf(address) view returns (uint256)"];

let proxy, provider, dir, mnemonicFile, phrase, account, treasury, gasWallet, usdc, usdt;
/** The paid sessions of the account, with what each holds: { session, token, amount }. */
const paid = [];
/** Sessions paid after the EIP-7702 sweeps, swept by the top-up path. */
const late = [];
/** A session whose money is still arriving (underpaid, inside its window): never swept. */
let unfinished;

before(async () => {
  assert.ok(CLI, "KASSE_CLI is not set: run the suites through `cargo xtask test`");
  proxy = await startApiProxy(env.worker_url);
  provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  dir = mkdtempSync(join(tmpdir(), "kasse-cli-"));
  phrase = Mnemonic.fromEntropy(ethers.randomBytes(16)).phrase;
  mnemonicFile = join(dir, "mnemonic.txt");
  writeFileSync(mnemonicFile, `${phrase}\n`, { mode: 0o600 });
  const xpub = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
  account = await newAccount({ display_name: "CLI shop", xpub_test: xpub });
  treasury = ethers.Wallet.createRandom().address;
  gasWallet = HDNodeWallet.fromPhrase(phrase, undefined, GAS_WALLET_PATH);
  usdc = new ethers.Contract(env.contracts.USDC, ERC20, provider);
  usdt = new ethers.Contract(env.contracts.USDT, ERC20, provider);
});

after(async () => {
  await proxy?.close();
  provider?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The merchant's environment for the CLI; each run may override it. */
const { kasseOk, kasseRefuses } = cliRunner(() => ({
  HOME: dir,
  KASSE_URL: proxy.url,
  KASSE_API_KEY: account.keys.sk_test,
  [`KASSE_RPC_${LOCAL_CHAIN}`]: env.rpc_url,
  KASSE_MNEMONIC_FILE: mnemonicFile,
  KASSE_TREASURY: treasury,
}));

/** What an address holds: USDC, USDT and ETH in base units. */
async function holdings(address) {
  return { USDC: await usdc.balanceOf(address), USDT: await usdt.balanceOf(address), ETH: await provider.getBalance(address) };
}

const nonce = (address) => provider.getTransactionCount(address, "latest");
const setBalance = (address, wei) => rpc("anvil_setBalance", [address, ethers.toQuantity(wei)]);

/** The state a refusal must leave as it was: treasury, gas wallet, deposit addresses, reports. */
async function snapshot() {
  const deposits = [];
  for (const p of [...paid, { session: unfinished }]) {
    deposits.push({ holds: await holdings(p.session.address), code: await provider.getCode(p.session.address), nonce: await nonce(p.session.address) });
  }
  return {
    treasury: await holdings(treasury),
    gas: { eth: await provider.getBalance(gasWallet.address), nonce: await nonce(gasWallet.address) },
    deposits,
    reports: proxy.requests.filter((r) => r.method === "POST" && r.path.startsWith("/v1/sweeps")).length,
  };
}

/** Rows of a printed plan, keyed by session id: { INDEX, ADDRESS, USDC, USDT, ETH, PATH, ACTION, … }. */
function planRows(stdout) {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("SESSION "));
  if (at < 0) return {};
  const header = lines[at].split(/\s+/);
  const rows = {};
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith("cs_")) break;
    const cells = line.split(/\s+/);
    const row = Object.fromEntries(header.slice(0, -1).map((h, i) => [h, cells[i]]));
    row.ACTION = cells.slice(header.length - 1).join(" ");
    rows[cells[0]] = row;
  }
  return rows;
}

/** Base units as the API and the CLI format them: whole tokens without trailing zeros. */
const formatted = (amount, decimals) => ethers.formatUnits(amount, decimals).replace(/\.0$/, "");

/** The plan's gas figure: { units, estimated } from its "Gas: N units, …" line. */
function planGas(stdout) {
  const m = stdout.match(/^Gas: (\d+) units, (.*)$/m);
  assert.ok(m, stdout);
  return { units: BigInt(m[1]), estimated: m[2] === "estimated by the chain", source: m[2] };
}

/** The plan's estimate of the 20-address EIP-7702 batch, compared with what the batch used. */
let plannedGas;

const sum = (token) => paid.filter((p) => p.token === token).reduce((t, p) => t + p.amount, 0n);

test("kasse --help and each subcommand's help name every option", async () => {
  const top = await kasseOk(["--help"]);
  for (const word of ["sweep", "sweeper", "wallet", "--config", "KASSE_URL", "KASSE_API_KEY", "KASSE_RPC_", "KASSE_MNEMONIC_FILE", "KASSE_DEPOSIT_PATH", "KASSE_GAS_WALLET_PATH", "KASSE_GAS_KEY_FILE", "KASSE_TREASURY"]) {
    assert.ok(top.includes(word), `kasse --help names ${word}:\n${top}`);
  }
  const sweep = await kasseOk(["sweep", "--help"]);
  for (const option of ["--chain", "--token", "--min-usd", "--execute", "--yes", "--treasury", "--config"]) {
    assert.ok(sweep.includes(option), `kasse sweep --help names ${option}:\n${sweep}`);
  }
  const deploy = await kasseOk(["sweeper", "deploy", "--help"]);
  for (const option of ["--chain", "--treasury", "--config"]) {
    assert.ok(deploy.includes(option), `kasse sweeper deploy --help names ${option}:\n${deploy}`);
  }
  assert.ok((await kasseOk(["sweeper", "--help"])).includes("address"));
});

test("the sweeper bytecode the CLI embeds is what Sweeper.sol compiles to", async () => {
  const embedded = readFileSync(join(root, "cli", "contracts", "Sweeper.bytecode.hex"), "utf8").trim();
  const { Sweeper } = await compile();
  assert.equal(`0x${embedded}`, Sweeper.bytecode, "run `node xtask/chain/artifact.mjs` after changing Sweeper.sol");
});

test("twenty sessions paid in USDC, USDT (no bool) and ETH, with no ETH at the token-paid addresses", async () => {
  const key = account.keys.sk_test;
  for (let i = 0; i < 20; i++) {
    const token = ["USDC", "USDT", "ETH"][i % 3];
    const session = await paidSession({ amount: USD(`${i + 1}.${String((i * 7) % 100).padStart(2, "0")}`), token }, { key });
    paid.push({ session, token, amount: BigInt(session.payment_amount.value) });
  }
  // Money still arriving: half paid, the session is open until it expires and its grace ends.
  unfinished = await createSession({ amount: USD("30.00"), token: "USDC" }, { key });
  const half = await payAndWatch(unfinished, { amount: BigInt(unfinished.payment_amount.value) / 2n, token: "USDC", key });
  assert.equal(half.status, "underpaid", JSON.stringify(half));
  assert.deepEqual(new Set(paid.map((p) => p.session.derivation_index)).size, 20);
  for (const p of paid) {
    const holds = await holdings(p.session.address);
    assert.equal(holds[p.token], p.amount, `${p.session.id} holds its payment`);
    if (p.token !== "ETH") assert.equal(holds.ETH, 0n, `${p.session.id} has no ETH for gas`);
  }
});

test("kasse sweeper address is offline and deterministic; deploy puts it there once through the CREATE2 deployer", async () => {
  assert.notEqual(await provider.getCode(CREATE2_DEPLOYER), "0x", "anvil has the CREATE2 deployer");
  const sweeper = (await kasseOk(["sweeper", "address"], { KASSE_URL: null, KASSE_API_KEY: null, [`KASSE_RPC_${LOCAL_CHAIN}`]: null })).trim();
  assert.match(sweeper, /^0x[0-9a-fA-F]{40}$/);
  assert.equal((await kasseOk(["sweeper", "address", "--treasury", treasury])).trim(), sweeper);
  const other = (await kasseOk(["sweeper", "address", "--treasury", ethers.Wallet.createRandom().address])).trim();
  assert.notEqual(other, sweeper, "one sweeper per treasury");
  assert.equal(await provider.getCode(sweeper), "0x");
  // Before the sweeper is there the chain cannot estimate the batch: the plan says so and
  // uses the measured figure per address.
  const early = planGas(await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN)]));
  assert.equal(early.estimated, false);
  assert.equal(early.units, 20n * 38_600n);
  assert.match(early.source, new RegExp(`^from measured figures, the chain could not estimate it: the sweeper ${sweeper} is not deployed on chain ${LOCAL_CHAIN}`));

  await setBalance(gasWallet.address, 10n ** 18n);
  const out = await kasseOk(["sweeper", "deploy", "--chain", String(LOCAL_CHAIN)]);
  assert.match(out, new RegExp(`Sweeper deployed at ${sweeper}`));
  assert.notEqual(await provider.getCode(sweeper), "0x");
  const { Sweeper } = await compile();
  const code = new ethers.Contract(sweeper, Sweeper.abi, provider);
  assert.equal(await code.TREASURY(), treasury);
  assert.equal(await code.GAS_WALLET(), gasWallet.address);

  const gasNonce = await nonce(gasWallet.address);
  const again = await kasseOk(["sweeper", "deploy", "--chain", String(LOCAL_CHAIN), "--treasury", treasury]);
  assert.match(again, /already deployed/);
  assert.equal(await nonce(gasWallet.address), gasNonce, "nothing sent the second time");
  const wallet = await kasseOk(["wallet", "--chain", String(LOCAL_CHAIN)]);
  assert.match(wallet, new RegExp(`Gas wallet: ${gasWallet.address}`));
  const [, shown, units] = wallet.match(/Balance on chain \d+: ([0-9.]+) ETH \((\d+) base units\)/);
  assert.equal(BigInt(units), await provider.getBalance(gasWallet.address));
  assert.equal(shown, formatted(BigInt(units), 18), "formatted with the chain's native_decimals");
});

test("refusals are one clear line, and nothing is signed or sent", async () => {
  const before = await snapshot();
  const chain = ["--chain", String(LOCAL_CHAIN)];
  const execute = ["sweep", ...chain, "--execute", "--yes"];

  await kasseRefuses(execute, /KASSE_API_KEY must be a secret key/, { KASSE_API_KEY: account.keys.pk_test });
  await kasseRefuses(["sweep", "--chain", "1", "--execute", "--yes"], /chain 1 is not served by this Kasse deployment in this key's mode/);

  const wrong = join(dir, "wrong.txt");
  writeFileSync(wrong, Mnemonic.fromEntropy(ethers.randomBytes(16)).phrase);
  const line = await kasseRefuses(execute, /session cs_test_\w+ \(index \d+\): Kasse has deposit address 0x\w{40} but the mnemonic derives 0x\w{40}.*nothing was signed/, { KASSE_MNEMONIC_FILE: wrong });
  const named = paid.find((p) => line.includes(p.session.id));
  assert.ok(named, `names one of the final sessions: ${line}`);
  assert.ok(line.includes(`(index ${named.session.derivation_index})`) && line.includes(named.session.address), line);

  const deposit = paid[0].session.address;
  await kasseRefuses([...execute, "--treasury", deposit], new RegExp(`treasury ${deposit} is the deposit address of session ${paid[0].session.id}`));
  await kasseRefuses(["sweep", ...chain, "--execute"], /stdin is not a terminal: add --yes/);
  await kasseRefuses(execute, /no mnemonic: set KASSE_MNEMONIC_FILE/, { KASSE_MNEMONIC_FILE: null });

  await setBalance(gasWallet.address, 0n);
  try {
    await kasseRefuses(execute, new RegExp(`gas wallet ${gasWallet.address} holds 0 ETH but the sweep may cost up to [0-9.]+ ETH.*nothing was sent`));
  } finally {
    await setBalance(gasWallet.address, before.gas.eth);
  }
  assert.deepEqual(await snapshot(), before, "treasury, gas wallet, deposit addresses and the API untouched");
});

test("kasse sweep plans every final session's address from the chain now, and leaves out the unfinished one", async () => {
  const out = await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN)]);
  const rows = planRows(out);
  assert.deepEqual(Object.keys(rows).sort(), paid.map((p) => p.session.id).sort(), out);
  assert.ok(!out.includes(unfinished.id) && !out.includes(unfinished.address), "an underpaid session inside its window is not planned");
  for (const p of paid) {
    const row = rows[p.session.id];
    assert.equal(row.INDEX, String(p.session.derivation_index));
    assert.equal(row.ADDRESS, p.session.address);
    for (const token of ["USDC", "USDT", "ETH"]) {
      const expected = token === p.token ? ethers.formatUnits(p.amount, token === "ETH" ? 18 : 6).replace(/\.0$/, "") : "0";
      assert.equal(row[token], expected, `${p.session.id} ${token}`);
    }
    assert.equal(row.PATH, "7702");
    assert.equal(row.ACTION, "sweep");
  }
  const totals = `Total to sweep: 20 addresses (20 to authorize), ${ethers.formatUnits(sum("USDC"), 6)} USDC, ${ethers.formatUnits(sum("USDT"), 6)} USDT, ${ethers.formatUnits(sum("ETH"), 18)} ETH`;
  assert.ok(out.includes(totals.replace(/\.0 /g, " ")), `${totals}\n${out}`);
  assert.match(out, /Skipped: 0 addresses/);
  assert.match(out, /nothing was sent/);
  const gas = planGas(out);
  assert.ok(gas.estimated, `the plan's gas is the chain's estimate of the batch: ${gas.source}`);
  assert.ok(gas.units > 20n * 21_000n && gas.units < 20n * 60_000n, `${gas.units}`);
  plannedGas = gas.units;

  const usdcOnly = planRows(await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--token", "USDC"]));
  assert.deepEqual(Object.keys(usdcOnly).sort(), paid.filter((p) => p.token === "USDC").map((p) => p.session.id).sort());
  const above = planRows(await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--min-usd", "10"]));
  const small = paid.find((p) => p.token === "USDC" && p.amount < 10_000_000n);
  assert.match(above[small.session.id].ACTION, /^skip: worth [0-9.]+ USD, below --min-usd 10$/);
});

test("a config file names the RPC, and a chain it marks without EIP-7702 plans EIP-3009 for USDC, top-ups for USDT and own gas for ETH", async () => {
  const config = join(dir, "kasse.toml");
  writeFileSync(config, `[chains.${LOCAL_CHAIN}]\nrpc = "${env.rpc_url}"\n`);
  const fromFile = await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--config", config], { [`KASSE_RPC_${LOCAL_CHAIN}`]: null });
  assert.equal(Object.keys(planRows(fromFile)).length, 20);
  await kasseRefuses(["sweep", "--chain", String(LOCAL_CHAIN)], new RegExp(`no RPC for chain ${LOCAL_CHAIN}: set KASSE_RPC_${LOCAL_CHAIN}`), { [`KASSE_RPC_${LOCAL_CHAIN}`]: null });

  writeFileSync(config, `[chains.${LOCAL_CHAIN}]\neip7702 = false\n`);
  const out = await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--config", config]);
  const rows = planRows(out);
  assert.equal(Object.keys(rows).length, 20);
  const expected = { USDC: "eip-3009", USDT: "top-up", ETH: "own-gas" };
  for (const p of paid) assert.equal(rows[p.session.id].PATH, expected[p.token], `${p.session.id} (${p.token})`);
  assert.ok(planGas(out).estimated, out);
});

test("kasse sweep --execute --yes moves every payment to the treasury in EIP-7702 batches paid by the gas wallet; the watcher, the sessions, the balances and sweep.succeeded say so", async () => {
  await withReceiver(async (receiver) => {
    const key = account.keys.sk_test;
    await newHook(receiver, { key, events: ["sweep.succeeded"] });
    const gasBefore = await provider.getBalance(gasWallet.address);
    const unfinishedBefore = await holdings(unfinished.address);
    const sent = proxy.requests.length;

    const out = await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--execute", "--yes"]);

    const hashes = [...out.matchAll(/^Batch \d+\/\d+: sent (0x[0-9a-f]{64}) \((\d+) addresses, (\d+) authorizations\)/gm)];
    assert.ok(hashes.length >= 1, out);
    assert.equal(hashes.reduce((n, m) => n + Number(m[2]), 0), 20);
    assert.equal(hashes.reduce((n, m) => n + Number(m[3]), 0), 20);
    assert.deepEqual(await holdings(treasury), { USDC: sum("USDC"), USDT: sum("USDT"), ETH: sum("ETH") }, "the treasury holds exactly the sums");
    const { Sweeper } = await compile();
    const sweeper = (await kasseOk(["sweeper", "address"])).trim();
    for (const p of paid) {
      assert.deepEqual(await holdings(p.session.address), { USDC: 0n, USDT: 0n, ETH: 0n }, `${p.session.id} is empty`);
      assert.equal(await provider.getCode(p.session.address), `0xef0100${sweeper.slice(2).toLowerCase()}`);
    }
    assert.deepEqual(await holdings(unfinished.address), unfinishedBefore, "the unfinished session's money stays");
    let fees = 0n;
    let used = 0n;
    for (const [, hash] of hashes) {
      const receipt = await provider.getTransactionReceipt(hash);
      assert.equal(receipt.status, 1);
      assert.equal(receipt.from, gasWallet.address);
      assert.equal(receipt.to, sweeper);
      const tx = await provider.getTransaction(hash);
      assert.equal(tx.type, 4);
      assert.equal(new ethers.Interface(Sweeper.abi).parseTransaction(tx).name, "sweepAll");
      fees += receipt.fee;
      used += receipt.gasUsed;
    }
    assert.equal(gasBefore - (await provider.getBalance(gasWallet.address)), fees, "the gas wallet paid everything");
    const figures = [...out.matchAll(/gas used (\d+) \(estimated (\d+)\), (\d+) per address, fee ([0-9.]+) ETH/g)];
    assert.equal(figures.length, hashes.length, out);
    for (const [, usedBy, estimated, each] of figures) {
      console.log(`kasse sweep: ${usedBy} gas for ${Math.round(Number(usedBy) / Number(each))} addresses, ${each} per address; estimated ${estimated}`);
    }
    // The plan's figure is the chain's estimate of this very batch: never below what it used,
    // above it only by what the refunds (existing accounts, emptied balances) gave back.
    const estimated = figures.reduce((n, f) => n + BigInt(f[2]), 0n);
    console.log(`kasse sweep: plan estimated ${plannedGas} gas for the 20 addresses, the batches estimated ${estimated} and used ${used}`);
    assert.equal(estimated, plannedGas, "the batch sent is the batch the plan estimated");
    assert.ok(used <= estimated && estimated * 2n <= used * 3n, `estimated ${estimated}, used ${used}`);

    const posts = proxy.requests.slice(sent).filter((r) => r.method === "POST" && r.path === "/v1/sweeps");
    assert.deepEqual(
      posts.map((r) => JSON.parse(r.body)),
      hashes.map(([, hash]) => ({ chain_id: LOCAL_CHAIN, tx_hash: hash })),
    );
    assert.deepEqual(posts.map((r) => r.status), hashes.map(() => 200));
    const reportedSweeps = [...out.matchAll(/Reported to Kasse as (sw_\w+)/g)].map((m) => m[1]);
    assert.equal(reportedSweeps.length, hashes.length);

    // The watcher verifies each reported transaction.
    await mine(3);
    await runScheduled();
    const sweeps = [];
    for (const [i, id] of reportedSweeps.entries()) {
      const sweep = ok(await api("GET", `/v1/sweeps/${id}`, { token: key }));
      assert.equal(sweep.status, "succeeded", JSON.stringify(sweep));
      assert.equal(sweep.tx_hash, hashes[i][1]);
      sweeps.push(sweep);
    }
    // Every payment, session by session, moved from its deposit address to the treasury.
    const moved = sweeps.flatMap((sw) => sw.transfers.map((t) => ({ ...t, sweep: sw })));
    const keyOf = (t) => `${t.session} ${t.address} ${t.to} ${t.token} ${t.amount}`;
    assert.deepEqual(
      moved.map(keyOf).sort(),
      paid.map((p) => keyOf({ session: p.session.id, address: p.session.address, to: treasury, token: p.token, amount: String(p.amount) })).sort(),
    );

    // Each session says what moved out, by which sweep and transaction.
    for (const p of paid) {
      const session = ok(await api("GET", `/v1/checkout_sessions/${p.session.id}`, { token: key }));
      const { sweep } = moved.find((t) => t.session === p.session.id);
      assert.deepEqual(session.swept, [
        {
          sweep: sweep.id, chain_id: LOCAL_CHAIN, token: p.token, amount: String(p.amount),
          amount_formatted: formatted(p.amount, p.token === "ETH" ? 18 : 6), tx_hash: sweep.tx_hash, swept_at: sweep.verified_at,
        },
      ], p.session.id);
      assert.equal(session.status, "paid", "a sweep changes no status");
      assert.equal(session.amount_received, String(p.amount), "a sweep lowers no amount received");
    }

    // The balances: all that was received moved out, except the unfinished session's half payment.
    const unfinishedPaid = BigInt(unfinished.payment_amount.value) / 2n;
    const row = (token, decimals, received, left) => ({
      chain_id: LOCAL_CHAIN, token, decimals,
      received: String(received), received_formatted: formatted(received, decimals),
      swept: String(received - left), swept_formatted: formatted(received - left, decimals),
      at_deposit_addresses: String(left), at_deposit_addresses_formatted: formatted(left, decimals),
    });
    const balances = ok(await api("GET", "/v1/balances", { token: key }));
    assert.deepEqual(
      balances.data.map(({ chain, contract_address, ...b }) => b).sort((a, b) => a.token.localeCompare(b.token)),
      [row("ETH", 18, sum("ETH"), 0n), row("USDC", 6, sum("USDC") + unfinishedPaid, unfinishedPaid), row("USDT", 6, sum("USDT"), 0n)],
    );
    for (const token of ["ETH", "USDT"]) assert.equal(balances.data.find((b) => b.token === token).at_deposit_addresses, "0");

    // sweep.succeeded: one per reported transaction, verified by the standardwebhooks library,
    // each carrying the sweep as GET /v1/sweeps/{id} shows it.
    await receiver.until((r) => r.filter((q) => q.json?.type === "sweep.succeeded").length >= sweeps.length, 15_000, "sweep.succeeded");
    const delivered = receiver.requests.filter((q) => q.json?.type === "sweep.succeeded");
    assert.equal(new Set(delivered.map((q) => q.id)).size, sweeps.length, "one event per reported transaction");
    assert.ok(delivered.every((q) => q.verified), "signed as Standard Webhooks");
    for (const sweep of sweeps) {
      const event = delivered.find((q) => q.json.data.object.id === sweep.id);
      assert.ok(event, `sweep.succeeded for ${sweep.id}`);
      assert.deepEqual(event.json.data.object, ok(await api("GET", `/v1/sweeps/${sweep.id}`, { token: key })));
    }
  });
});

test("a rerun after the sweep plans nothing", async () => {
  const out = await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--execute", "--yes"]);
  assert.match(out, /Nothing to sweep/);
  assert.ok(!out.includes("Batch"), out);
});

test("ETH sent to a swept, delegated address later moves with the next sweep, without a new authorization", async () => {
  const target = paid.find((p) => p.token === "USDT").session;
  const late = 4_321_000_000_000_017n;
  await transfer(target.address, late);
  const before = await holdings(treasury);

  const out = await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN), "--execute", "--yes"]);

  assert.equal(Object.keys(planRows(out)).join(), target.id);
  assert.match(out, /^Batch 1\/1: sent 0x[0-9a-f]{64} \(1 addresses, 0 authorizations\)/m);
  assert.deepEqual(await holdings(treasury), { ...before, ETH: before.ETH + late });
  assert.deepEqual(await holdings(target.address), { USDC: 0n, USDT: 0n, ETH: 0n });
  assert.match(await kasseOk(["sweep", "--chain", String(LOCAL_CHAIN)]), /Nothing to sweep/);
});

test("without EIP-7702 (config): USDC moves by EIP-3009 relays with no ETH ever at its addresses, USDT by exact top-ups, ETH on its own gas; the sweeps succeed and a rerun plans nothing", async () => {
  const key = account.keys.sk_test;
  for (const [token, amount] of [["USDC", "3.33"], ["USDC", "2.22"], ["USDT", "4.44"], ["ETH", "5.55"]]) {
    const session = await paidSession({ amount: USD(amount), token }, { key });
    late.push({ session, token, amount: BigInt(session.payment_amount.value) });
  }
  const usdcPaid = late.filter((l) => l.token === "USDC");
  const [usdtPaid, ethPaid] = ["USDT", "ETH"].map((t) => late.find((l) => l.token === t));
  for (const l of usdcPaid) assert.equal(await provider.getBalance(l.session.address), 0n, "no ETH at a USDC address before");
  const config = join(dir, "no7702.toml");
  writeFileSync(config, `[chains.${LOCAL_CHAIN}]\neip7702 = false\n`);
  const sweepArgs = ["sweep", "--chain", String(LOCAL_CHAIN), "--config", config];

  const plan = await kasseOk(sweepArgs);
  const rows = planRows(plan);
  assert.deepEqual(Object.keys(rows).sort(), late.map((l) => l.session.id).sort(), plan);
  const paths = { USDC: "eip-3009", USDT: "top-up", ETH: "own-gas" };
  for (const l of late) assert.equal(rows[l.session.id].PATH, paths[l.token], `${l.session.id} (${l.token})`);
  assert.ok(planGas(plan).estimated, plan);

  const before = await holdings(treasury);
  const gasBefore = await provider.getBalance(gasWallet.address);
  const startBlock = await provider.getBlockNumber();
  const sent = proxy.requests.length;

  const out = await kasseOk([...sweepArgs, "--execute", "--yes"]);

  // The relay: one transaction from the gas wallet through Multicall3 carrying both authorizations.
  const relays = [...out.matchAll(/^Relay 1\/1: (0x[0-9a-f]{64}) moved 2 EIP-3009 transfers from (0x\w{40}) (0x\w{40}); gas used (\d+) \(estimated (\d+)\), (\d+) per transfer/gm)];
  assert.equal(relays.length, 1, out);
  const [, relayHash, ...relayed] = relays[0];
  assert.deepEqual(relayed.slice(0, 2).sort(), usdcPaid.map((l) => l.session.address).sort());
  const relay = await provider.getTransactionReceipt(relayHash);
  const chains = ok(await api("GET", "/v1/chains", { token: key })).data;
  assert.equal(relay.from, gasWallet.address);
  assert.equal(relay.to, ethers.getAddress(chains.find((c) => c.chain_id === LOCAL_CHAIN).multicall3));
  assert.ok(BigInt(relayed[3]) >= relay.gasUsed, "estimated at least what it used");

  const transfers = [...out.matchAll(/^Transfer \d+\/2: (0x[0-9a-f]{64}) moved ([0-9.]+) (\w+) from (0x\w{40})/gm)];
  assert.equal(transfers.length, 2, out);
  const topUps = [...out.matchAll(/^Top-up \d+\/2: (0x[0-9a-f]{64}) sent ([0-9.]+) ETH to (0x\w{40})/gm)];
  assert.deepEqual(topUps.map((t) => t[3]), [usdtPaid.session.address], "a top-up to the USDT address only");
  const receiptOf = async (address) => provider.getTransactionReceipt(transfers.find((t) => t[4] === address)[1]);

  // USDT: the top-up paid exactly its transfer's gas limit; what the limit did not use stays.
  const topUpTx = await provider.getTransaction(topUps[0][1]);
  const topUp = await provider.getTransactionReceipt(topUps[0][1]);
  assert.equal(topUp.from, gasWallet.address);
  const usdtMove = await receiptOf(usdtPaid.session.address);
  assert.equal(usdtMove.from, usdtPaid.session.address, "the deposit key sent its own transfer");
  assert.deepEqual(await holdings(usdtPaid.session.address), { USDC: 0n, USDT: 0n, ETH: topUpTx.value - usdtMove.fee });

  // ETH: its own gas came out of the payment, the rest went, the address is empty.
  const ethMove = await receiptOf(ethPaid.session.address);
  assert.equal(ethMove.from, ethPaid.session.address);
  assert.deepEqual(await holdings(ethPaid.session.address), { USDC: 0n, USDT: 0n, ETH: 0n });

  const usdcSum = usdcPaid.reduce((t, l) => t + l.amount, 0n);
  assert.deepEqual(
    await holdings(treasury),
    { USDC: before.USDC + usdcSum, USDT: before.USDT + usdtPaid.amount, ETH: before.ETH + ethPaid.amount - ethMove.fee },
    "the tokens whole, the native coin less the gas its address paid",
  );
  assert.equal(gasBefore - (await provider.getBalance(gasWallet.address)), relay.fee + topUp.fee + topUpTx.value, "the gas wallet paid the relay and the top-up");

  // The USDC addresses never held ETH and never sent anything: nobody sent them a transaction.
  const latest = await provider.getBlockNumber();
  const usdcAddresses = usdcPaid.map((l) => l.session.address);
  for (let n = startBlock + 1; n <= latest; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block.prefetchedTransactions) assert.ok(!usdcAddresses.includes(tx.to), `${tx.hash} went to a USDC deposit address`);
  }
  for (const address of usdcAddresses) {
    assert.deepEqual(await holdings(address), { USDC: 0n, USDT: 0n, ETH: 0n });
    assert.equal(await nonce(address), 0);
  }
  const perRelay = relay.gasUsed / 2n;
  console.log(`kasse sweep without EIP-7702: ${perRelay} gas per USDC transfer by EIP-3009 relay (2 in one transaction, ${relay.gasUsed}); top-up then transfer (USDT): ${topUp.gasUsed} + ${usdtMove.gasUsed} = ${topUp.gasUsed + usdtMove.gasUsed}`);

  const posts = proxy.requests.slice(sent).filter((r) => r.method === "POST" && r.path === "/v1/sweeps");
  const hashes = [relayHash, ...transfers.map((t) => t[1])];
  assert.deepEqual(posts.map((r) => JSON.parse(r.body).tx_hash), hashes);
  assert.deepEqual(posts.map((r) => r.status), [200, 200, 200]);
  const reported = [...out.matchAll(/Reported to Kasse as (sw_\w+)/g)].map((m) => m[1]);
  assert.equal(reported.length, 3);

  await mine(3);
  await runScheduled();
  const moved = [];
  for (const id of reported) {
    const sweep = ok(await api("GET", `/v1/sweeps/${id}`, { token: key }));
    assert.equal(sweep.status, "succeeded", JSON.stringify(sweep));
    moved.push(...sweep.transfers.map((t) => `${t.session} ${t.token} ${t.amount} ${t.to}`));
  }
  const nativeSent = ethPaid.amount - ethMove.fee;
  assert.deepEqual(
    moved.sort(),
    late.map((l) => `${l.session.id} ${l.token} ${l.token === "ETH" ? nativeSent : l.amount} ${treasury}`).sort(),
  );
  for (const l of late) {
    const now = ok(await api("GET", `/v1/checkout_sessions/${l.session.id}`, { token: key }));
    assert.equal(now.status, "paid", `${l.session.id}: ${JSON.stringify(now)}`);
    assert.equal(now.amount_received, l.session.payment_amount.value, `${l.session.id}: nothing the sweep did reads as a payment`);
  }

  // A rerun: nothing to move, at most the gas a top-up left unused, skipped as not worth its gas.
  const rerun = await kasseOk([...sweepArgs, "--execute", "--yes"]);
  const left = planRows(rerun);
  for (const [id, r] of Object.entries(left)) {
    assert.equal(id, usdtPaid.session.id, rerun);
    assert.match(r.ACTION, /^skip: /);
  }
  assert.match(rerun, /Nothing to sweep/);
  assert.ok(!/^(Relay|Transfer|Top-up|Batch)/m.test(rerun), rerun);
});

test("nothing the CLI sent to the API carries the mnemonic or a private key", async () => {
  assert.ok(proxy.requests.length > 0);
  const traffic = JSON.stringify(proxy.requests).toLowerCase();
  const words = phrase.split(" ");
  for (let i = 0; i + 2 <= words.length; i++) {
    assert.ok(!traffic.includes(words.slice(i, i + 2).join(" ")), "no two mnemonic words in sequence");
  }
  const keys = [gasWallet.privateKey, ...[...paid.map((p) => p.session), unfinished, ...late.map((l) => l.session)].map((s) => HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/60'/0'/0/${s.derivation_index}`).privateKey)];
  for (const key of keys) {
    assert.ok(!traffic.includes(key.slice(2).toLowerCase()), "no private key");
  }
  for (const r of proxy.requests) {
    assert.equal(r.headers.authorization, `Bearer ${account.keys.sk_test}`);
  }
});
