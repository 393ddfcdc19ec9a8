// `cargo xtask bench sweep`: what a sweep costs. Gas per swept address when one EIP-7702
// transaction from the gas wallet sweeps 1, 10 and 100 deposit addresses (each holding USDC
// and USDT, no ETH), first delegating them and then again when they are already delegated,
// against the path without EIP-7702: top up each address with gas, then it sends each token
// itself. Then, when the `kasse` binary is given (KASSE_CLI), the wall time of
// `kasse sweep --execute` over 100 paid sessions. Prints figures; asserts nothing.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ethers } from "ethers";
import { compile } from "./chain/lib.mjs";
import { LOCAL_CHAIN, env } from "../tests/support/env.mjs";

const provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
const payer = await provider.getSigner(9);
const artifacts = await compile();
const erc20 = new ethers.Interface(["function mint(address to, uint256 value)", "function transfer(address to, uint256 value)"]);
const tokens = [env.contracts.USDC, env.contracts.USDT];
const AMOUNT = 1_000_000n; // 1.00 of a 6-decimal token

async function fundedWallet(wei) {
  const wallet = ethers.Wallet.createRandom(provider);
  await (await payer.sendTransaction({ to: wallet.address, value: wei })).wait();
  return wallet;
}

/** `n` fresh deposit keys, each holding AMOUNT of every token and no ETH (mints in one block). */
async function deposits(n, existing = []) {
  const wallets = existing.length ? existing : Array.from({ length: n }, () => ethers.Wallet.createRandom(provider));
  await provider.send("evm_setAutomine", [false]);
  let nonce = await provider.getTransactionCount(await payer.getAddress(), "pending");
  const sent = [];
  for (const w of wallets)
    for (const token of tokens)
      sent.push(await payer.sendTransaction({ to: token, data: erc20.encodeFunctionData("mint", [w.address, AMOUNT]), nonce: nonce++, gasLimit: 100_000n }));
  await provider.send("evm_mine", []);
  await provider.send("evm_setAutomine", [true]);
  for (const tx of sent) await tx.wait();
  return wallets;
}

const gasWallet = await fundedWallet(100n * 10n ** 18n);
const treasury = ethers.Wallet.createRandom().address;
const a = artifacts.Sweeper;
const sweeper = await new ethers.ContractFactory(a.abi, a.bytecode, gasWallet).deploy(treasury, gasWallet.address);
await sweeper.waitForDeployment();

/** One transaction from the gas wallet sweeping `wallets`, delegating them first if asked. */
async function sweepAll(wallets, delegate) {
  const authorizationList = delegate
    ? await Promise.all(wallets.map((w) => w.authorize({ address: sweeper.target, chainId: LOCAL_CHAIN })))
    : [];
  const overrides = delegate ? { type: 4, authorizationList } : {};
  const receipt = await (await sweeper.sweepAll(wallets.map((w) => w.address), tokens, overrides)).wait();
  if (receipt.status !== 1) throw new Error("sweep reverted");
  return receipt.gasUsed;
}

/** Without EIP-7702: the gas wallet sends each address exactly the gas its transfers need, then
 * the address sends each token itself. */
async function topUpThenTransfer(wallets) {
  let gas = 0n;
  const price = (await provider.getFeeData()).maxFeePerGas;
  for (const w of wallets) {
    const calls = tokens.map((token) => ({ to: token, data: erc20.encodeFunctionData("transfer", [treasury, AMOUNT]) }));
    const limits = await Promise.all(calls.map((c) => provider.estimateGas({ ...c, from: w.address })));
    const need = limits.reduce((s, l) => s + l * price, 0n);
    const topUp = await (await gasWallet.sendTransaction({ to: w.address, value: need })).wait();
    gas += topUp.gasUsed;
    for (const [i, c] of calls.entries()) {
      const r = await (await w.sendTransaction({ ...c, gasLimit: limits[i], maxFeePerGas: price, maxPriorityFeePerGas: price / 2n })).wait();
      gas += r.gasUsed;
    }
  }
  return gas;
}

const rows = [];
for (const n of [1, 10, 100]) {
  const wallets = await deposits(n);
  const first = await sweepAll(wallets, true);
  await deposits(n, wallets);
  const again = await sweepAll(wallets, false);
  const topUp = await topUpThenTransfer(await deposits(n));
  rows.push({ n, first, again, topUp });
}

const per = (gas, n) => (gas / BigInt(n)).toLocaleString("en-US");
console.log("Sweep gas per address (each address holds USDC and USDT, no ETH; gas paid by the gas wallet)");
console.log("| addresses per tx | EIP-7702, delegating in the same tx | EIP-7702, already delegated | top-up then transfer (no EIP-7702) |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.n} | ${per(r.first, r.n)} | ${per(r.again, r.n)} | ${per(r.topUp, r.n)} |`);

// The merchant's view: `kasse sweep --execute` over 100 paid USDC sessions, from the plan's
// first API call to the last receipt, on the local chain (automine: blocks are instant, so
// this is the tool's own time: API paging, derivation, signing, balance reads, estimates).
const CLI = process.env.KASSE_CLI;
if (CLI) {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { api, newAccount, runScheduled, sendMint, inOneBlock, rpc, d1 } = await import("../tests/support/env.mjs");
  const N = 100;
  const phrase = ethers.Mnemonic.fromEntropy(ethers.randomBytes(16)).phrase;
  const xpub = ethers.HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'").neuter().extendedKey;
  const { keys } = await newAccount({ xpub_test: xpub });
  const sessions = [];
  for (let i = 0; i < N; i++) {
    const res = await api("POST", "/v1/checkout_sessions", {
      token: keys.sk_test,
      json: { amount: { value: "1.00", currency: "USD" }, chain_id: LOCAL_CHAIN, token: "USDC" },
    });
    if (res.status !== 200) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
    sessions.push(res.body);
  }
  await runScheduled();
  await inOneBlock(async () => {
    for (const s of sessions) await sendMint("USDC", s.address, 1_000_000);
  });
  await rpc("evm_mine", []);
  const ids = sessions.map((s) => `'${s.id}'`).join(",");
  for (let run = 0; run < 10; run++) {
    await runScheduled();
    const { n } = d1(`SELECT COUNT(*) AS n FROM checkout_sessions WHERE status = 'paid' AND id IN (${ids})`)[0];
    if (n === N) break;
  }
  const dir = mkdtempSync(join(tmpdir(), "kasse-bench-"));
  const mnemonicFile = join(dir, "mnemonic");
  writeFileSync(mnemonicFile, phrase, { mode: 0o600 });
  const gas = ethers.HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/1'/0/0");
  await rpc("anvil_setBalance", [gas.address, ethers.toQuantity(10n ** 20n)]);
  const cliEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    KASSE_URL: env.worker_url,
    KASSE_API_KEY: keys.sk_test,
    [`KASSE_RPC_${LOCAL_CHAIN}`]: env.rpc_url,
    KASSE_MNEMONIC_FILE: mnemonicFile,
    KASSE_TREASURY: ethers.Wallet.createRandom().address,
  };
  const kasse = (...args) => promisify(execFile)(CLI, args, { env: cliEnv, maxBuffer: 1 << 24 });
  await kasse("sweeper", "deploy", "--chain", String(LOCAL_CHAIN));
  const started = performance.now();
  await kasse("sweep", "--chain", String(LOCAL_CHAIN), "--execute", "--yes");
  const wall = performance.now() - started;
  const sweeps = (await api("GET", "/v1/sweeps", { token: keys.sk_test })).body.data;
  let used = 0n;
  for (const s of sweeps) used += (await provider.getTransactionReceipt(s.tx_hash)).gasUsed;
  rmSync(dir, { recursive: true, force: true });
  console.log();
  console.log(`kasse sweep --execute over ${N} paid USDC sessions: ${(wall / 1000).toFixed(1)} s wall, ` +
    `${sweeps.length} transaction(s), ${per(used, N)} gas per address`);
} else {
  console.log("\n(KASSE_CLI not set: the wall time of `kasse sweep` is not measured)");
}
provider.destroy();
