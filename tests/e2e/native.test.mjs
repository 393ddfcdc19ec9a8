// The native coin end to end: quoted from the feed, detected by balance (from an EOA, from
// a contract, on a pre-funded address), confirmed, reorged out, and refused without a price.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ethers, HDNodeWallet } from "ethers";
import ethUrl from "eth-url-parser";
import {
  ANY_OPTION, L2_CHAIN, advance, api, assertError, createSession, d1, demo, env, eventTypes, getSession, mine, newAccount, payAndWatch, rpc,
  runScheduled, shopperApi, transfer,
} from "../support/env.mjs";
import { nativeQuote } from "../support/native-quote.mjs";

const FEED = env.contracts["ETH/USD"];
const provider = () => new ethers.JsonRpcProvider(env.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1 });

/** $49.99 at the feed's $3,000.00 (8 decimals): 0.016663333… ETH, asked for as 0.016664 ETH
 * (rounded up to 6 digits, which adds 0.000000666… ETH, $0.002: less than a cent). */
const QUOTE_4999 = nativeQuote(4999n, 3000n * 10n ** 8n).short;

async function setFeed(answer, updatedAt) {
  const p = provider();
  try {
    const feed = new ethers.Contract(FEED, ["function setRound(int256,uint256)"], await p.getSigner(0));
    await (await feed.setRound(answer, updatedAt)).wait();
  } finally {
    p.destroy();
  }
}

async function chainTime() {
  return BigInt((await rpc("eth_getBlockByNumber", ["latest", false])).timestamp);
}

async function restoreFeed() {
  await setFeed(3000n * 10n ** 8n, await chainTime());
}

/** A fresh account whose native quotes are honoured for 60 s, and an ETH session of it. */
async function ethSessionQuotedFor60s() {
  const key = (await newAccount()).keys.sk_test;
  const set = await api("POST", "/v1/account", { token: key, json: { native_quote_secs: 60 } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  return { key, s: await createSession({ token: "ETH" }, { key }) };
}

test("an ETH option is quoted from the feed, rounded up, with a native EIP-681 URI", async () => {
  const s = await createSession({ token: "ETH" });
  assert.equal(s.selected_token, "ETH");
  const eth = s.supported_tokens[0];
  assert.equal(eth.contract_address, null);
  assert.equal(eth.decimals, 18);
  assert.equal(eth.exchange_rate, "3000.00");
  assert.equal(QUOTE_4999, 16_664_000_000_000_000n);
  assert.equal(eth.amount, QUOTE_4999.toString());
  assert.equal(eth.amount_formatted, "0.016664");
  assert.equal(s.payment_amount.value, QUOTE_4999.toString());
  const uri = ethUrl.parse(s.payment_uri);
  assert.equal(uri.target_address, s.address);
  assert.equal(uri.chain_id, "31337");
  assert.equal(uri.parameters.value, QUOTE_4999.toString());
  // Without a fixed option every stablecoin and native coin of every served chain is
  // offered, chain by chain in catalogue order; the L2's ETH is priced by its own feed.
  const open = await createSession(ANY_OPTION);
  assert.deepEqual(
    open.supported_tokens.map((t) => `${t.chain_id} ${t.token} ${t.decimals}`),
    ["31337 USDC 6", "31337 USDT 6", "31337 ETH 18", "31338 USDC 18", "31338 USDT 18", "31338 ETH 18"],
  );
  const l2Eth = open.supported_tokens.find((t) => t.chain_id === L2_CHAIN && t.token === "ETH");
  assert.equal(l2Eth.exchange_rate, "2500.00");
  // $49.99 at $2,500.00 is exactly 0.019996 ETH; 0.02 would add exactly a cent, so it stays.
  assert.equal(l2Eth.amount, (19_996n * 10n ** 12n).toString());
});

test("ETH from an EOA: detected with its transaction, then paid at depth", async () => {
  const s = await createSession({ token: "ETH" });
  const hash = await transfer(s.address, QUOTE_4999);
  await runScheduled();
  let now = await getSession(s.id);
  assert.equal(now.status, "detected", JSON.stringify(now));
  assert.equal(now.payments.length, 1);
  const p = now.payments[0];
  assert.equal(p.token, "ETH");
  assert.equal(p.tx_hash, hash);
  assert.equal(p.log_index, null);
  assert.equal(p.amount, QUOTE_4999.toString());
  assert.equal(p.counted, true);
  assert.equal(now.tx_hash, hash);

  await mine(1);
  await runScheduled();
  now = await getSession(s.id);
  assert.equal(now.status, "paid");
  assert.equal(now.amount_received, QUOTE_4999.toString());
  await runScheduled();
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.detected", "session.paid"]);
});

test("ETH sent by a contract (internal transfer) is credited, with no transaction hash", async () => {
  const { compile } = await import("../../xtask/chain/lib.mjs");
  const a = (await compile()).Forwarder;
  const p = provider();
  let forwarder;
  try {
    const signer = await p.getSigner(8);
    forwarder = await new ethers.ContractFactory(a.abi, a.bytecode, signer).deploy();
    await forwarder.waitForDeployment();
    const s = await createSession({ token: "ETH" });
    const tx = await forwarder.forward(s.address, { value: QUOTE_4999 });
    await tx.wait();
    await mine(1);
    await runScheduled();
    const now = await getSession(s.id);
    assert.equal(now.status, "paid", JSON.stringify(now));
    assert.equal(now.payments.length, 1);
    assert.equal(now.payments[0].tx_hash, null, "no transaction was addressed to the deposit address");
    assert.equal(now.payments[0].amount, QUOTE_4999.toString());

    // A shopper-supplied hash of a transaction not sent to the address proves nothing.
    const check = await api("POST", `/v1/checkout_sessions/${s.id}/check`, { token: demo.secret_key, json: { tx_hash: tx.hash } });
    assert.equal(check.status, 200);
    assert.equal(check.body.payments.length, 1);
  } finally {
    p.destroy();
  }
});

test("a pre-funded address: only what arrives after creation counts", async () => {
  const before = await createSession({ token: "ETH" });
  const next = HDNodeWallet.fromExtendedKey(demo.xpub_test).deriveChild(0).deriveChild(before.derivation_index + 1).address;
  await transfer(next, 10n ** 18n); // someone funded the address earlier
  const s = await createSession({ token: "ETH" });
  assert.equal(s.address, next);
  const now = await payAndWatch(s, { amount: QUOTE_4999, blocks: 1 });
  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.amount_received, QUOTE_4999.toString());
  assert.equal(now.amount_excess, "0");
});

test("ETH underpaid then topped up: two credits, paid", async () => {
  const s = await createSession({ token: "ETH" });
  const half = QUOTE_4999 / 2n;
  await transfer(s.address, half);
  const now = await payAndWatch(s, { amount: QUOTE_4999 - half, blocks: 1 });
  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.payments.length, 2);
  assert.equal(now.amount_received, QUOTE_4999.toString());
});

test("native dust (below one cent's worth) is recorded but never counts", async () => {
  const s = await createSession({ token: "ETH" });
  const now = await payAndWatch(s, { amount: 1000n, blocks: 1 });
  assert.equal(now.status, "pending");
  assert.equal(now.payments.length, 1);
  assert.equal(now.payments[0].counted, false);
});

test("ETH to a session that chose USDC is recorded as unexpected", async () => {
  const s = await createSession();
  const now = await payAndWatch(s, { amount: QUOTE_4999, token: "ETH", blocks: 1 });
  assert.equal(now.status, "pending");
  assert.equal(now.payments[0].token, "ETH");
  assert.equal(now.payments[0].counted, false);
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.payment_unexpected"]);
});

test("the on-demand check finds ETH at once, with or without the hash", async () => {
  const a = await createSession({ token: "ETH" });
  const hash = await transfer(a.address, QUOTE_4999);
  const checked = await shopperApi("POST", a, "/check", { json: { tx_hash: hash } });
  assert.equal(checked.status, 200, JSON.stringify(checked.body));
  assert.equal(checked.body.status, "detected");
  assert.equal((await getSession(a.id)).payments[0].tx_hash, hash);

  const b = await createSession({ token: "ETH" });
  await transfer(b.address, QUOTE_4999);
  await mine(1);
  const scanned = await api("POST", `/v1/checkout_sessions/${b.id}/check`, { token: demo.secret_key });
  assert.equal(scanned.status, 200);
  assert.equal(scanned.body.status, "paid");
});

test("no usable price: ETH is not offered, and asking for it is a 503", async () => {
  const now = await chainTime();
  try {
    for (const [answer, updatedAt] of [
      [3000n * 10n ** 8n, now - 90_000n], // older than the heartbeat
      [0n, now], // not positive
      [3000n * 10n ** 8n, now + 3_600n], // from the future
    ]) {
      await setFeed(answer, updatedAt);
      const open = await createSession(ANY_OPTION);
      const offered = (chain) => open.supported_tokens.filter((t) => t.chain_id === chain).map((t) => t.token);
      assert.deepEqual(offered(31337), ["USDC", "USDT"]);
      // One chain's broken feed leaves the other chain's native coin offered.
      assert.deepEqual(offered(L2_CHAIN), ["USDC", "USDT", "ETH"]);
      const res = await api("POST", "/v1/checkout_sessions", {
        token: demo.secret_key,
        json: { amount: { value: "5.00", currency: "USD" }, chain_id: 31337, token: "ETH" },
      });
      const e = assertError(res, 503, "api_error", "price_unavailable");
      assert.equal(e.param, "token");
    }
  } finally {
    await restoreFeed();
  }
});

test("selecting locks a young quote, re-quotes an old one, and is refused once paid elsewhere", async () => {
  const s = await createSession(ANY_OPTION);
  const eth = s.supported_tokens.find((t) => t.token === "ETH");
  const select = (body) => shopperApi("POST", s, "/select", { json: body });

  let res = await select({ chain_id: 31337, token: "eth" });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  let merchant = await getSession(s.id);
  assert.equal(merchant.selected_token, "ETH");
  assert.equal(merchant.payment_amount.value, eth.amount);
  assert.equal(merchant.supported_tokens.find((t) => t.token === "ETH").quoted_at, eth.quoted_at);

  // After 15 minutes the quote is priced again before it is locked.
  await advance(s.id, 1000);
  res = await select({ chain_id: 31337, token: "USDC" });
  assert.equal(res.status, 200);
  merchant = await getSession(s.id);
  assert.equal(merchant.selected_token, "USDC");
  const usdc = merchant.supported_tokens.find((t) => t.token === "USDC");
  assert.ok(Date.parse(usdc.quoted_at) >= Date.parse(s.created_at), `re-quoted at ${usdc.quoted_at}`);

  assertError(await select({ chain_id: 1, token: "USDC" }), 400, "invalid_request_error", "option_unavailable");
  assertError(await select({ chain_id: 31337 }), 400, "invalid_request_error", "parameter_missing");
  assertError(
    await api("POST", `/v1/public/checkout_sessions/${s.id}/select`, { headers: { "kasse-client-secret": "wrong" }, json: { chain_id: 31337, token: "USDC" } }),
    401,
    "authentication_error",
  );

  await payAndWatch(s, { amount: 10n ** 15n, token: "ETH", blocks: 1 }); // some ETH arrives while USDC is selected
  assertError(await select({ chain_id: 31337, token: "ETH" }), 409, "invalid_request_error", "selection_locked");
});

test("a native payment after quote_valid_until is valued at the price read when detected: short at that price is underpaid, a top-up completes", async () => {
  const { key, s } = await ethSessionQuotedFor60s();
  assert.equal(s.payment_amount.value, QUOTE_4999.toString());
  assert.equal(Date.parse(s.quote_valid_until) - Date.parse(s.created_at), 60_000, "honoured for native_quote_secs");
  /** $49.99 at $1,500.00: 0.0333266… ETH, asked for as 0.03333 ETH (adds $0.005). */
  const atHalf = nativeQuote(4999n, 1500n * 10n ** 8n).short;
  assert.equal(atHalf, 33_330_000_000_000_000n);
  try {
    await setFeed(1500n * 10n ** 8n, BigInt(Math.floor(Date.now() / 1000) - 5));
    d1("UPDATE prices SET read_at_unix = 0"); // creation's cached round is not reused
    await advance(s.id, 120, { key });
    const under = await payAndWatch(s, { amount: QUOTE_4999, key }); // the locked amount, two minutes after the quote
    assert.equal(under.status, "underpaid", JSON.stringify(under));
    assert.equal(under.exchange_rate, "1500.00");
    assert.equal(under.payment_amount.value, atHalf.toString(), "the total at the price read when detected");
    assert.equal(under.payment_amount.formatted, "0.03333");
    assert.equal(under.amount_received, QUOTE_4999.toString());
    const done = await payAndWatch(s, { amount: atHalf - QUOTE_4999, key });
    assert.equal(done.status, "paid", JSON.stringify(done));
    const types = await eventTypes(s.id, { key });
    assert.ok(types.includes("session.underpaid") && types.includes("session.paid"), types.join());
  } finally {
    await restoreFeed();
  }
});

test("a native payment after quote_valid_until found while the feed is stale waits for a price, then counts at it", async () => {
  const { key, s } = await ethSessionQuotedFor60s();
  try {
    await setFeed(3000n * 10n ** 8n, BigInt(Math.floor(Date.now() / 1000) - 7200)); // two hours old: unusable
    d1("UPDATE prices SET read_at_unix = 0");
    await advance(s.id, 120, { key });
    const waiting = await payAndWatch(s, { amount: QUOTE_4999, key });
    assert.equal(waiting.status, "pending", JSON.stringify(waiting));
    assert.equal(waiting.amount_received, "0", "not valued at the stale quote");
    assert.equal(waiting.payments.length, 1);
    assert.equal(waiting.payments[0].counted, true, "recorded, and counted once priced");
  } finally {
    await restoreFeed();
    d1("UPDATE prices SET read_at_unix = 0");
  }
  await runScheduled();
  const done = await getSession(s.id, { key });
  assert.equal(done.status, "paid", JSON.stringify(done));
  assert.equal(done.amount_received, QUOTE_4999.toString());
});
