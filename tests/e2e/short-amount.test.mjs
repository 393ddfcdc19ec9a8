// Short native amounts end to end: an ETH quote is rounded up to the fewest digits whose
// rounding is worth less than a cent, that short amount is what the shopper sees, what the
// payment URI and the wallet transaction carry, and what the watcher expects: paying exactly
// it makes the session `paid`, not `overpaid`. Stablecoins stay exact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import ethUrl from "eth-url-parser";
import {
  ANY_OPTION, L2_CHAIN, LOCAL_CHAIN, USD, chainEnv, createSession, eventTypes, newAccount, payAndWatch, shopperView,
} from "../support/env.mjs";
import { fractionDigits, nativeQuote, written } from "../support/native-quote.mjs";

/** The ETH/USD feed's answer and decimals on a local chain, read from the chain itself. */
async function feedPrice(chainId) {
  const chain = chainEnv(chainId);
  const provider = new ethers.JsonRpcProvider(chain.rpc_url, undefined, { staticNetwork: true, batchMaxCount: 1 });
  try {
    const feed = new ethers.Contract(
      chain.contracts["ETH/USD"],
      ["function decimals() view returns (uint8)", "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)"],
      provider,
    );
    const [, answer] = await feed.latestRoundData();
    return { price: answer, feedDecimals: BigInt(await feed.decimals()) };
  } finally {
    provider.destroy();
  }
}

/** What a $25.00 ETH quote on `chainId` must be, worked out from its feed. */
async function expectedEth(chainId, cents = 2500n) {
  const { price, feedDecimals } = await feedPrice(chainId);
  return { price, ...nativeQuote(cents, price, { feedDecimals }) };
}

test("$25 of ETH at $3,000 is asked for as 0.008334 ETH, and paying exactly that is paid, not overpaid", async () => {
  const { price, exact, short } = await expectedEth(LOCAL_CHAIN);
  assert.equal(price, 3000n * 10n ** 8n, "the local feed's $3,000.00");
  // $25 / $3,000 = 0.0083333… ETH; 0.00834 would add $0.02, 0.008334 adds $0.002.
  assert.equal(exact, 8_333_333_333_333_334n);
  assert.equal(short, 8_334_000_000_000_000n);
  assert.equal(written(short), "0.008334");

  const s = await createSession({ amount: USD("25.00"), token: "ETH" });
  const option = s.supported_tokens[0];
  assert.deepEqual([option.chain_id, option.token, option.contract_address], [LOCAL_CHAIN, "ETH", null]);
  assert.equal(option.amount, short.toString());
  assert.equal(option.amount_formatted, written(short));
  assert.ok(fractionDigits(option.amount_formatted) <= 6, option.amount_formatted);
  assert.deepEqual(s.payment_amount, { value: short.toString(), formatted: "0.008334", decimals: 18, token: "ETH" });

  // The shopper's page, the QR's URI and the browser wallet's transaction carry the same integer.
  const view = await shopperView(s);
  assert.equal(view.selected.amount, short.toString());
  assert.equal(view.selected.amount_formatted, "0.008334");
  const uri = ethUrl.parse(view.payment_uri);
  assert.equal(uri.target_address, s.address);
  assert.equal(uri.chain_id, String(LOCAL_CHAIN));
  assert.equal(uri.parameters.value, short.toString());
  assert.equal(BigInt(view.wallet_transaction.value_hex), short);

  const now = await payAndWatch(s, { amount: short, token: "ETH" });
  assert.equal(now.status, "paid", JSON.stringify(now));
  assert.equal(now.amount_received, short.toString());
  assert.equal(now.amount_excess, "0");
  assert.deepEqual(await eventTypes(s.id), ["session.created", "session.paid"], "confirmed in one run, never overpaid");
});

test("the unrounded amount is short of the quote: underpaid, with a QR for exactly the rest", async () => {
  const { exact, short } = await expectedEth(LOCAL_CHAIN);
  const key = (await newAccount()).keys.sk_test; // no underpayment tolerance
  const s = await createSession({ amount: USD("25.00"), token: "ETH" }, { key });
  assert.equal(s.payment_amount.value, short.toString());
  const under = await payAndWatch(s, { amount: exact, token: "ETH", key });
  assert.equal(under.status, "underpaid", JSON.stringify(under));
  assert.equal(under.amount_received, exact.toString());
  const rest = short - exact;
  assert.equal(rest, 666_666_666_666n, "0.000000666… ETH, $0.002");
  const view = await shopperView(s);
  assert.equal(view.amount_remaining, written(rest));
  assert.equal(BigInt(ethUrl.parse(view.payment_uri).parameters.value), rest);
});

test("every chain's ETH option is short, each at its own feed's price; stablecoins stay exact", async () => {
  const s = await createSession({ amount: USD("12.34"), ...ANY_OPTION });
  const option = (chainId, token) => s.supported_tokens.find((t) => t.chain_id === chainId && t.token === token);
  for (const chainId of [LOCAL_CHAIN, L2_CHAIN]) {
    const { short } = await expectedEth(chainId, 1234n);
    const eth = option(chainId, "ETH");
    assert.equal(eth.amount, short.toString(), `chain ${chainId}`);
    assert.equal(eth.amount_formatted, written(short), `chain ${chainId}`);
  }
  // $12.34 / $3,000 = 0.00411333… ETH → 0.004114 (adds $0.002); / $2,500 = 0.004936 exactly.
  assert.equal(option(LOCAL_CHAIN, "ETH").amount_formatted, "0.004114");
  assert.equal(option(L2_CHAIN, "ETH").amount_formatted, "0.004936");
  assert.equal(option(LOCAL_CHAIN, "USDC").amount, "12340000");
  assert.equal(option(L2_CHAIN, "USDT").amount, (1234n * 10n ** 16n).toString());
  assert.equal(option(L2_CHAIN, "USDT").amount_formatted, "12.34");
});
