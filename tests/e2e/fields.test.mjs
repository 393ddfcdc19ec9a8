// Every field a merchant's integration may read has its place in the session object, under
// the names the API documents.
import { test } from "node:test";
import assert from "node:assert/strict";
import { USD, api, createLink, newAccount } from "../support/env.mjs";

// Every field of the session object, in one list.
const SESSION_FIELDS = [
  "id", "object", "account_id", "payment_link", "mode", "status", "livemode", "currency",
  "amount_subtotal", "amount_total", "line_items", "discounts", "supported_tokens", "chain_id",
  "chain", "selected_token", "payment_amount", "exchange_rate", "address", "derivation_index",
  "payment_uri", "confirmations_required", "amount_received", "amount_pending", "amount_excess",
  "payments", "tx_hash", "paid_at", "expires_at", "late_until", "canceled_at", "success_url",
  "cancel_url", "return_url", "url", "checkout_url", "client_secret", "customer_email",
  "customer_id", "description", "metadata", "version", "created_at", "updated_at",
  "accessed_at", "used_at", "locale",
];
const OPTION_FIELDS = ["chain_id", "chain", "token", "contract_address", "decimals", "amount", "amount_formatted", "exchange_rate", "quoted_at"];

test("every mapped seed field is present in the session JSON, in both modes and under /api/v1", async () => {
  const { keys } = await newAccount();
  const link = await createLink({ amount: USD("10.00") }, { key: keys.sk_test });
  const full = {
    line_items: [{ name: "Mug", quantity: 2, unit_amount: "7.50" }],
    discounts: [{ name: "Ten off", percent_off: "10" }],
    currency: "usd",
    mode: "payment",
    chain_id: 31337,
    token: "USDC",
    success_url: "https://shop.example/ok/{CHECKOUT_SESSION_ID}",
    cancel_url: "https://shop.example/cancel",
    return_url: "https://shop.example/",
    customer_email: "ann@example.com",
    customer_id: "cus_42",
    description: "Two mugs",
    metadata: { order: "42" },
    expires_in: 900,
  };
  for (const [path, body] of [
    ["/v1/checkout_sessions", full],
    ["/api/v1/checkout_sessions", full],
    ["/v1/checkout_sessions", { payment_link: link.id }],
  ]) {
    const created = await api("POST", path, { token: keys.sk_test, json: body });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const retrieved = await api("GET", `${path}/${created.body.id}`, { token: keys.sk_test });
    for (const s of [created.body, retrieved.body]) {
      assert.deepEqual(SESSION_FIELDS.filter((f) => !(f in s)), [], `${path} ${JSON.stringify(body).slice(0, 40)}`);
      for (const option of s.supported_tokens) assert.deepEqual(OPTION_FIELDS.filter((f) => !(f in option)), []);
      assert.equal(s.url, s.checkout_url);
      assert.equal(s.object, "checkout_session");
      assert.equal(s.mode, "payment");
      assert.equal(s.currency, "USD");
    }
    if (body === full) {
      const s = created.body;
      // Each optional field round-trips, under its snake_case name.
      assert.equal(s.amount_subtotal, "15.00");
      assert.equal(s.amount_total, "13.50");
      assert.equal(s.chain_id, 31337);
      assert.equal(s.chain, "Local (anvil)");
      assert.equal(s.selected_token, "USDC");
      assert.deepEqual(s.payment_amount, { value: "13500000", formatted: "13.5", decimals: 6, token: "USDC" });
      assert.equal(s.exchange_rate, "1.00");
      assert.match(s.address, /^0x[0-9a-fA-F]{40}$/);
      assert.match(s.payment_uri, new RegExp(`^ethereum:0x[0-9a-fA-F]{40}@31337/transfer\\?address=${s.address}&uint256=13500000$`));
      assert.equal(s.success_url, `https://shop.example/ok/${s.id}`);
      assert.equal(s.cancel_url, full.cancel_url);
      assert.equal(s.return_url, full.return_url);
      assert.equal(s.customer_email, full.customer_email);
      assert.equal(s.customer_id, full.customer_id);
      assert.equal(s.description, full.description);
      assert.deepEqual(s.metadata, full.metadata);
      assert.equal(Date.parse(s.expires_at) - Date.parse(s.created_at), 900_000);
      assert.equal(s.payment_link, null);
    } else {
      assert.equal(created.body.payment_link, link.id);
    }
  }
});
