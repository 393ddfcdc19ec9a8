// `kasse refund`, run as a merchant runs it, against the test stack: the API through a
// recording proxy, the merchant's own RPC straight to anvil. It pays a pending refund from the
// treasury (a key file, or the mnemonic at KASSE_TREASURY_PATH): exactly the amount, as an
// ERC-20 transfer (USDC, and USDT that returns no bool) or a native transfer, then reports the
// hash and Kasse verifies it on chain. Everything it refuses leaves the chain and the API as
// they were.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ethers, HDNodeWallet, Mnemonic } from "ethers";
import { LOCAL_CHAIN, USD, api, createSession, env, getSession, mine, newAccount, newHook, ok, payAndWatch, paidSession, rpc, runScheduled, transfer } from "../support/env.mjs";
import { startApiProxy } from "../support/api-proxy.mjs";
import { withReceiver } from "../support/receiver.mjs";
import { CLI, cliRunner } from "../support/cli.mjs";

const TREASURY_PATH = "m/44'/60'/2'/0/0";
const ERC20 = ["function balanceOf(address) view returns (uint256)"];

let proxy, provider, dir, account, key, required, keyFile, mnemonicFile, phrase, treasury, mnemonicTreasury, usdc, usdt;
/** The refund the full flow pays, once it succeeded. */
let succeeded;

before(async () => {
  assert.ok(CLI, "KASSE_CLI is not set: run the suites through `cargo xtask test`");
  proxy = await startApiProxy(env.worker_url);
  provider = new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  dir = mkdtempSync(join(tmpdir(), "kasse-cli-refund-"));
  account = await newAccount({ display_name: "CLI refunds" });
  key = account.keys.sk_test;
  const settings = ok(await api("GET", "/v1/account", { token: key }));
  required = 2 + (settings.extra_confirmations?.[String(LOCAL_CHAIN)] ?? 0);

  treasury = ethers.Wallet.createRandom();
  keyFile = join(dir, "treasury.key");
  writeFileSync(keyFile, `${treasury.privateKey}\n`, { mode: 0o600 });
  phrase = Mnemonic.fromEntropy(ethers.randomBytes(16)).phrase;
  mnemonicFile = join(dir, "mnemonic.txt");
  writeFileSync(mnemonicFile, `${phrase}\n`, { mode: 0o600 });
  mnemonicTreasury = HDNodeWallet.fromPhrase(phrase, undefined, TREASURY_PATH);

  usdc = new ethers.Contract(env.contracts.USDC, ERC20, provider);
  usdt = new ethers.Contract(env.contracts.USDT, ERC20, provider);
  await setBalance(treasury.address, 10n ** 19n);
  await transfer(treasury.address, 100_000_000n, "USDC");
  await setBalance(mnemonicTreasury.address, 10n ** 18n);
  await transfer(mnemonicTreasury.address, 100_000_000n, "USDT");
});

after(async () => {
  await proxy?.close();
  provider?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The merchant's environment, paying from the treasury's key file; each run may override it. */
const { kasseOk, kasseRefuses } = cliRunner(() => ({
  HOME: dir,
  KASSE_URL: proxy.url,
  KASSE_API_KEY: key,
  [`KASSE_RPC_${LOCAL_CHAIN}`]: env.rpc_url,
  KASSE_TREASURY_KEY_FILE: keyFile,
}));

/** The mnemonic's treasury (KASSE_TREASURY_PATH, default m/44'/60'/2'/0/0) instead of the key file. */
const withMnemonic = (extra = {}) => ({ KASSE_TREASURY_KEY_FILE: null, KASSE_MNEMONIC_FILE: mnemonicFile, ...extra });

const setBalance = (address, wei) => rpc("anvil_setBalance", [address, ethers.toQuantity(wei)]);
const nonce = (address) => provider.getTransactionCount(address, "latest");

/** What an address holds: USDC, USDT and ETH in base units. */
async function holdings(address) {
  return { USDC: await usdc.balanceOf(address), USDT: await usdt.balanceOf(address), ETH: await provider.getBalance(address) };
}

const freshAddress = () => ethers.Wallet.createRandom().address;

async function getRefund(id) {
  return ok(await api("GET", `/v1/refunds/${id}`, { token: key }));
}

async function createRefund(session, body) {
  return ok(await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: body }), 201);
}

/** The hash `kasse refund --execute` says it sent. */
function sentHash(stdout) {
  const m = stdout.match(/^Sent (0x[0-9a-f]{64}); waiting for it to be mined$/m);
  assert.ok(m, stdout);
  return m[1];
}

/** Reports of refund transactions that reached the API. */
const submits = () => proxy.requests.filter((r) => r.method === "POST" && /^\/v1\/refunds\/[^/]+\/submit$/.test(r.path)).length;

/** What a refusal must leave as it was: balances and nonces of the treasuries and `others`, and the API's reports. */
async function snapshot(others = []) {
  const state = { submits: submits() };
  for (const address of [treasury.address, mnemonicTreasury.address, ...others]) {
    state[address] = { ...(await holdings(address)), nonce: await nonce(address) };
  }
  return state;
}

/** The ETH a mined transaction paid for gas. */
async function feeOf(hash) {
  const receipt = await provider.getTransactionReceipt(hash);
  return receipt.gasUsed * receipt.gasPrice;
}

test("kasse --help and kasse refund --help name the refund command, its options and the treasury's key", async () => {
  const top = await kasseOk(["--help"]);
  for (const word of ["refund", "pay refunds", "KASSE_TREASURY_KEY_FILE", "KASSE_TREASURY_PATH", "m/44'/60'/2'/0/0"]) {
    assert.ok(top.includes(word), `kasse --help names ${word}:\n${top}`);
  }
  const help = await kasseOk(["refund", "--help"]);
  for (const option of ["--execute", "--yes", "--submit", "--config", "REFUND"]) {
    assert.ok(help.includes(option), `kasse refund --help names ${option}:\n${help}`);
  }
});

test("full flow: an overpaid USDC session, its excess claimed by the shopper, paid by kasse refund --execute from the treasury key; succeeded with the CLI's hash and refund.succeeded", async () => {
  await withReceiver(async (receiver) => {
    await newHook(receiver, { key, events: ["refund.succeeded"] });
    const session = await createSession({ amount: USD("20.00"), token: "USDC" }, { key });
    const exact = BigInt(session.payment_amount.value);
    const excess = 3_210_000n;
    const paid = await payAndWatch(session, { amount: exact + excess, token: "USDC", key });
    assert.equal(paid.status, "overpaid", JSON.stringify(paid));
    assert.equal(BigInt(paid.amount_excess), excess);

    const created = await createRefund(session, { excess: true });
    assert.equal(created.status, "requires_address");
    assert.equal(created.address, null);
    assert.equal(BigInt(created.amount), excess);

    // The shopper claims it through the public claim API, with the secret in claim_url's fragment.
    const shopper = freshAddress();
    const secret = new URL(created.claim_url).hash.slice(1);
    const claimed = await api("POST", `/v1/public/refunds/${created.id}/address`, { json: { address: shopper }, headers: { "kasse-claim-secret": secret } });
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.status, "pending");

    // Without --execute: what it would send, exactly, and nothing sent.
    const before = await snapshot([shopper]);
    const plan = await kasseOk(["refund", created.id]);
    const lines = plan.split("\n");
    for (const line of [
      `Refund ${created.id}`,
      "  Status        pending",
      `  Amount        ${ethers.formatUnits(excess, 6)} USDC (${excess} base units)`,
      `  Token         USDC at ${ethers.getAddress(env.contracts.USDC)}`,
      `  Chain         ${created.chain} (${LOCAL_CHAIN})`,
      `  Address       ${shopper}`,
      "  Requested by  merchant",
      `  Session       ${session.id}`,
      `To send: ${ethers.formatUnits(excess, 6)} USDC (${excess} base units) to ${shopper} on ${created.chain} (chain ${LOCAL_CHAIN}),`,
      `  as transfer(${shopper}, ${excess}) to the USDC contract ${ethers.getAddress(env.contracts.USDC)}`,
      `  call data 0xa9059cbb${shopper.slice(2).toLowerCase().padStart(64, "0")}${excess.toString(16).padStart(64, "0")}`,
      "This is a plan: nothing was sent. Run again with --execute to send it from the treasury.",
    ]) {
      assert.ok(lines.includes(line), `${JSON.stringify(line)} in\n${plan}`);
    }
    assert.deepEqual(await snapshot([shopper]), before, "a plan sends nothing");

    const out = await kasseOk(["refund", created.id, "--execute", "--yes"]);
    const hash = sentHash(out);
    assert.match(out, new RegExp(`^From the treasury ${treasury.address}, which holds 100 USDC and 10 ETH; gas up to [0-9.]+ ETH$`, "m"));
    assert.match(out, new RegExp(`^Refund ${created.id}: pending, Kasse recorded ${hash} \\(1 confirmation\\); it succeeds once the transfer is deep enough\\.$`, "m"));
    const after = await snapshot([shopper]);
    assert.equal(after[shopper].USDC, excess, "the shopper received exactly the excess");
    assert.equal(after[treasury.address].USDC, before[treasury.address].USDC - excess, "the treasury sent exactly the excess");
    assert.equal(after[treasury.address].ETH, before[treasury.address].ETH - (await feeOf(hash)), "and paid only the gas in ETH");
    assert.equal(after[treasury.address].nonce, before[treasury.address].nonce + 1, "one transaction");
    assert.equal(after.submits, before.submits + 1, "reported once");
    const reported = await getRefund(created.id);
    assert.equal(reported.status, "pending");
    assert.equal(reported.submitted_hash, hash);
    assert.equal(reported.transaction.tx_hash, hash);

    // Paying it again would send the money twice: refused while its transfer is recorded.
    await kasseRefuses(["refund", created.id, "--execute", "--yes"], new RegExp(`refund ${created.id} already has its transfer ${hash} recorded \\(\\d+ confirmations?\\): it succeeds once the transfer is deep enough; nothing was sent$`));
    assert.deepEqual(await snapshot([shopper]), after);

    await mine(required - 1);
    await runScheduled();
    const done = await getRefund(created.id);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.equal(done.transaction.tx_hash, hash);
    assert.equal(done.transaction.confirmations, required);
    const now = await getSession(session.id, { key });
    assert.equal(BigInt(now.amount_refunded), excess);
    assert.deepEqual(now.refunds, [created.id]);

    await receiver.until((reqs) => reqs.some((r) => r.json?.data?.object?.id === created.id), 20_000, "refund.succeeded");
    const delivered = receiver.processed().filter((r) => r.json?.data?.object?.id === created.id);
    assert.equal(delivered.length, 1);
    assert.ok(delivered[0].verified, "verified with the official standardwebhooks library");
    assert.equal(delivered[0].json.type, "refund.succeeded");
    assert.deepEqual(delivered[0].json.data.object, await getRefund(created.id));
    succeeded = done;
  });
});

test("native: ETH sent to a USDC session is refunded as that payment, in ETH, by a plain transfer, verified from the reported hash", async () => {
  const session = await createSession({}, { key });
  const eth = 123_456_789_000_000_000n;
  await payAndWatch(session, { amount: eth, token: "ETH", blocks: 3, key });
  await mine(1);
  await runScheduled();
  const payment = (await getSession(session.id, { key })).payments.find((p) => p.token === "ETH");
  assert.ok(payment, "the ETH payment is recorded");
  const shopper = freshAddress();
  const refund = await createRefund(session, { payment: payment.id, address: shopper });
  assert.equal(refund.status, "pending");
  assert.equal(refund.contract_address, null);
  assert.equal(BigInt(refund.amount), eth);

  const before = await snapshot([shopper]);
  const out = await kasseOk(["refund", refund.id, "--execute", "--yes"]);
  assert.match(out, new RegExp(`^  Payment       ${payment.id}$`, "m"));
  assert.match(out, new RegExp(`as a plain ETH transfer \\(value ${eth}\\) to that address`));
  const hash = sentHash(out);
  const after = await snapshot([shopper]);
  assert.equal(after[shopper].ETH, eth, "the shopper received exactly the payment");
  assert.equal(after[treasury.address].ETH, before[treasury.address].ETH - eth - (await feeOf(hash)), "the treasury sent exactly it, plus gas");
  assert.equal(after[treasury.address].USDC, before[treasury.address].USDC);
  const tx = await provider.getTransaction(hash);
  assert.equal(tx.to, shopper);
  assert.equal(tx.data, "0x");

  await mine(required);
  await runScheduled();
  const done = await getRefund(refund.id);
  assert.equal(done.status, "succeeded", JSON.stringify(done));
  assert.equal(done.transaction.tx_hash, hash);
  assert.equal(done.submitted_hash, hash);
});

test("USDT (a token whose transfer returns no bool) paid from the mnemonic's treasury at the default KASSE_TREASURY_PATH", async () => {
  const session = await paidSession({ amount: USD("9.99"), token: "USDT" }, { key });
  const shopper = freshAddress();
  const amount = 1_234_567n;
  const refund = await createRefund(session, { amount: String(amount), address: shopper, reason: "one item returned" });
  assert.equal(refund.token, "USDT");

  const before = await snapshot([shopper]);
  const out = await kasseOk(["refund", refund.id, "--execute", "--yes"], withMnemonic());
  assert.match(out, /^  Reason        one item returned$/m);
  assert.match(out, new RegExp(`^From the treasury ${mnemonicTreasury.address}, which holds 100 USDT and 1 ETH;`, "m"));
  const hash = sentHash(out);
  const after = await snapshot([shopper]);
  assert.equal(after[shopper].USDT, amount);
  assert.equal(after[mnemonicTreasury.address].USDT, before[mnemonicTreasury.address].USDT - amount);
  assert.equal(after[treasury.address].nonce, before[treasury.address].nonce, "the key file's treasury sent nothing");

  await mine(required);
  await runScheduled();
  const done = await getRefund(refund.id);
  assert.equal(done.status, "succeeded", JSON.stringify(done));
  assert.equal(done.transaction.tx_hash, hash);
});

test("refusals are one line on stderr, and nothing is signed, sent or reported", async () => {
  assert.ok(succeeded, "the full flow ran");
  const session = await paidSession({ amount: USD("30.00"), token: "USDC" }, { key });
  const shopper = freshAddress();
  const unclaimed = await createRefund(session, { amount: "1000000" });
  const canceled = await createRefund(session, { amount: "1000000", address: shopper });
  ok(await api("POST", `/v1/refunds/${canceled.id}/cancel`, { token: key }));
  // 1.5 USDC to pay from a second mnemonic treasury that holds only 1 USDC, then no ETH.
  const pending = await createRefund(session, { amount: "1500000", address: shopper });
  const poorPath = "m/44'/60'/2'/0/1";
  const poor = HDNodeWallet.fromPhrase(phrase, undefined, poorPath).address;
  await transfer(poor, 1_000_000n, "USDC");
  await setBalance(poor, 10n ** 17n);

  const before = await snapshot([shopper, poor]);
  const execute = (id) => ["refund", id, "--execute", "--yes"];
  await kasseRefuses(execute(unclaimed.id), new RegExp(`^kasse: refund ${unclaimed.id} has no address yet \\(requires_address\\).*nothing was sent$`));
  await kasseRefuses(execute(succeeded.id), new RegExp(`^kasse: refund ${succeeded.id} is succeeded: it was paid already by ${succeeded.transaction.tx_hash}; nothing was sent$`));
  await kasseRefuses(execute(canceled.id), new RegExp(`^kasse: refund ${canceled.id} is canceled: it must not be paid; nothing was sent$`));
  await kasseRefuses(execute("re_test_000000000000000000000000"), /^kasse: GET \/v1\/refunds\/re_test_000000000000000000000000: the Kasse API answered 404: /);
  await kasseRefuses(execute("cs_test_000000000000000000000000"), /is not a refund id \(re_test_… or re_live_…\)/);
  await kasseRefuses(execute(pending.id), /KASSE_API_KEY must be a secret key/, { KASSE_API_KEY: account.keys.pk_test });
  await kasseRefuses(execute(pending.id), new RegExp(`no RPC for chain ${LOCAL_CHAIN}: set KASSE_RPC_${LOCAL_CHAIN}`), { [`KASSE_RPC_${LOCAL_CHAIN}`]: null });
  await kasseRefuses(["refund", pending.id, "--execute"], /stdin is not a terminal: add --yes/);
  await kasseRefuses(execute(pending.id), /no mnemonic: set KASSE_MNEMONIC_FILE/, { KASSE_TREASURY_KEY_FILE: null });
  await kasseRefuses(
    execute(pending.id),
    new RegExp(`^kasse: the treasury ${poor} holds 1 USDC but the refund needs 1\\.5 USDC: 0\\.5 USDC \\(500000 base units\\) short; fund the treasury; nothing was sent$`),
    withMnemonic({ KASSE_TREASURY_PATH: poorPath }),
  );
  await transfer(poor, 1_000_000n, "USDC");
  await setBalance(poor, 0n);
  await kasseRefuses(
    execute(pending.id),
    new RegExp(`^kasse: the treasury ${poor} holds 0 ETH but the transfer's gas may cost up to [0-9.]+ ETH: [0-9.]+ ETH short; fund the treasury; nothing was sent$`),
    withMnemonic({ KASSE_TREASURY_PATH: poorPath }),
  );
  const after = await snapshot([shopper, poor]);
  assert.deepEqual(after[poor], { ...before[poor], USDC: before[poor].USDC + 1_000_000n, ETH: 0n }, "only the test's own changes");
  after[poor] = before[poor];
  assert.deepEqual(after, before, "treasuries, shopper and the API untouched");
  assert.equal((await getRefund(pending.id)).status, "pending");
  assert.equal((await getRefund(pending.id)).submitted_hash, null);
});

test("--submit reports a transfer the merchant sent some other way, and the refund succeeds", async () => {
  const session = await paidSession({ amount: USD("12.00"), token: "USDC" }, { key });
  const shopper = freshAddress();
  const amount = 777_777n;
  const refund = await createRefund(session, { amount: String(amount), address: shopper });
  // Sent from another wallet (anvil's account #9), not by the CLI.
  const hash = await transfer(shopper, amount, "USDC");
  await mine(required - 1);
  const before = await snapshot([shopper]);
  // Reporting needs neither the chain nor a key.
  const out = await kasseOk(["refund", refund.id, "--submit", hash], { [`KASSE_RPC_${LOCAL_CHAIN}`]: null, KASSE_TREASURY_KEY_FILE: null });
  assert.equal(out, `Refund ${refund.id}: succeeded, paid by ${hash} (${required} confirmations).\n`);
  const after = await snapshot([shopper]);
  assert.equal(after.submits, before.submits + 1);
  after.submits = before.submits;
  assert.deepEqual(after, before, "--submit sends nothing on chain");
  const done = await getRefund(refund.id);
  assert.equal(done.status, "succeeded");
  assert.equal(done.submitted_hash, hash);
  assert.equal(done.transaction.tx_hash, hash);
  // Reporting again is the API's refusal, in one line.
  await kasseRefuses(["refund", refund.id, "--submit", hash], /the Kasse API answered 409: .*succeeded/);
});

/** An API in front of `upstream` that answers 503 to every refund report and passes the rest on. */
async function reportsFail(upstream) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (req.url.endsWith("/submit")) return res.writeHead(503, { "content-type": "text/plain" }).end("down");
    const headers = { ...req.headers };
    delete headers.host;
    const answer = await fetch(upstream + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" }).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) };
}

test("a report that fails after the transfer was sent names the hash and the exact command, and that command finishes it", async () => {
  const session = await paidSession({ amount: USD("8.00"), token: "USDC" }, { key });
  const shopper = freshAddress();
  const amount = 2_500_000n;
  const refund = await createRefund(session, { amount: String(amount), address: shopper });
  const down = await reportsFail(proxy.url);
  let line;
  try {
    line = await kasseRefuses(["refund", refund.id, "--execute", "--yes"], /was sent and mined, but reporting it failed: .*answered 503/, { KASSE_URL: down.url });
  } finally {
    await down.close();
  }
  const [, hash, command] = line.match(/^kasse: (0x[0-9a-f]{64}) was sent and mined, .*; report it with `(kasse refund \S+ --submit 0x[0-9a-f]{64})`$/);
  assert.equal(command, `kasse refund ${refund.id} --submit ${hash}`);
  assert.equal((await holdings(shopper)).USDC, amount, "the money moved");
  assert.equal((await getRefund(refund.id)).submitted_hash, null, "Kasse was not told");

  const out = await kasseOk(command.split(" ").slice(1));
  assert.match(out, new RegExp(`^Refund ${refund.id}: pending, Kasse recorded ${hash} \\(1 confirmation\\)`));
  await mine(required - 1);
  await runScheduled();
  const done = await getRefund(refund.id);
  assert.equal(done.status, "succeeded");
  assert.equal(done.transaction.tx_hash, hash);
});

test("nothing the CLI sent to the API carries the treasury's key or mnemonic", async () => {
  assert.ok(proxy.requests.length > 0);
  const traffic = JSON.stringify(proxy.requests).toLowerCase();
  for (const secret of [treasury.privateKey, mnemonicTreasury.privateKey]) assert.ok(!traffic.includes(secret.slice(2).toLowerCase()));
  const words = phrase.split(" ");
  for (let i = 0; i + 2 <= words.length; i++) assert.ok(!traffic.includes(words.slice(i, i + 2).join(" ")));
  for (const r of proxy.requests) assert.equal(r.headers.authorization, `Bearer ${key}`, "the publishable key was refused before any request");
});
