// The shopper's claim link: `GET /v1/public/refunds/{id}` and `POST …/address`, scoped to one
// refund by its claim secret. The shopper sees only what they need (no claim secret, no
// session, no reason), gives an address once (checked: a 20-byte 0x address, EIP-55 when
// mixed case, not zero, not the shop's own deposit address, never another network's), and
// the refund becomes `pending` with its `refund.pending` event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { api, assertError, base, createSession, d1, demo, env, getSession, newAccount, paidSession, randomXpub } from "../support/env.mjs";

/** A checksummed address nobody else uses in these tests (anvil's account #8). */
const SHOPPER = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";
const SHOPPER_2 = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";

/** The refund's id and claim secret from its `claim_url` (`…/r/{id}#{secret}`). */
function claimOf(refund) {
  const url = new URL(refund.claim_url);
  assert.equal(url.origin, base);
  const [, r, id] = url.pathname.split("/");
  assert.equal(r, "r");
  assert.equal(id, refund.id);
  return { id, secret: url.hash.slice(1) };
}

/** A paid $49.99 USDC session of `key`'s account and a refund of all of it that waits for
 * its address; `body` goes to the create call. */
async function claimable(body = {}, { key = demo.secret_key } = {}) {
  const session = await paidSession({}, { key });
  const res = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const refund = res.body;
  assert.equal(refund.status, "requires_address");
  return { session, refund, claim: claimOf(refund) };
}

const claimApi = (method, claim, suffix = "", { json, headers = {}, secret = claim.secret } = {}) =>
  api(method, `/v1/public/refunds/${claim.id}${suffix}`, {
    json,
    headers: secret === null ? headers : { "kasse-claim-secret": secret, ...headers },
  });

const giveAddress = (claim, address, options = {}) => claimApi("POST", claim, "/address", { json: { address }, ...options });

/** The refund as its merchant reads it. */
async function merchantRefund(id, key = demo.secret_key) {
  const res = await api("GET", `/v1/refunds/${id}`, { token: key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** The refund's events of one type, read straight from D1 (the frozen bodies). */
function refundEvents(id, type) {
  return d1(`SELECT type, cause, body FROM events WHERE type = '${type}' AND body LIKE '%"id":"${id}"%'`);
}

test("claim: the shopper sees the amount, token, network and shop, and nothing the merchant keeps", async () => {
  const reason = "customer-returned-item-7f3a";
  const { session, refund, claim } = await claimable({ reason });
  const res = await claimApi("GET", claim);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers.get("cache-control"), "no-store");
  const body = res.body;
  assert.deepEqual(Object.keys(body).sort(), [
    "address", "amount", "amount_formatted", "chain", "chain_id", "decimals", "id", "merchant", "object", "status", "token",
  ]);
  assert.deepEqual(body, {
    id: refund.id,
    object: "refund_claim",
    status: "requires_address",
    chain_id: 31337,
    chain: "Local (anvil)",
    token: "USDC",
    amount: "49990000",
    amount_formatted: "49.99",
    decimals: 6,
    address: null,
    merchant: { display_name: body.merchant.display_name },
  });
  assert.equal(BigInt(body.amount), 49_990_000n);
  assert.equal(typeof body.merchant.display_name, "string");
  assert.ok(body.merchant.display_name.length > 0);
  const text = JSON.stringify(body);
  for (const secret of [claim.secret, session.id, session.client_secret, reason, session.address]) {
    assert.ok(!text.includes(secret), `the claim leaks ${secret}`);
  }
});

test("claim: a wrong or missing secret, another refund's secret, an unknown id: the session routes' 401 and 404", async () => {
  const { claim } = await claimable();
  const { claim: other } = await claimable();
  const session = await createSession();
  const sessionWrong = await api("GET", `/v1/public/checkout_sessions/${session.id}`, { headers: { "kasse-client-secret": "wrong" } });
  assertError(sessionWrong, 401, "authentication_error");

  for (const [method, suffix, json] of [["GET", ""], ["POST", "/address", { address: SHOPPER }]]) {
    const wrong = await claimApi(method, claim, suffix, { json, secret: `${claim.secret.slice(0, -1)}x` });
    assertError(wrong, 401, "authentication_error");
    const another = await claimApi(method, claim, suffix, { json, secret: other.secret });
    assertError(another, 401, "authentication_error");
    assert.deepEqual(another.body, wrong.body, "another refund's secret is just a wrong secret");
    const missing = await claimApi(method, claim, suffix, { json, secret: null });
    assertError(missing, 401, "authentication_error");
    assert.match(missing.body.error.message, /Kasse-Claim-Secret/);
    const sessionSecret = await claimApi(method, claim, suffix, { json, secret: session.client_secret });
    assertError(sessionSecret, 401, "authentication_error");
    const unknown = await claimApi(method, { id: `re_test_${"a".repeat(24)}`, secret: claim.secret }, suffix, { json });
    assertError(unknown, 404, "not_found_error", "resource_missing");
    const malformed = await claimApi(method, { id: "re_nope", secret: claim.secret }, suffix, { json });
    assertError(malformed, 404, "not_found_error", "resource_missing");
    assert.equal(malformed.body.error.message, unknown.body.error.message.replace(`re_test_${"a".repeat(24)}`, "re_nope"));
    const sessionAsRefund = await claimApi(method, { id: session.id, secret: session.client_secret }, suffix, { json });
    assertError(sessionAsRefund, 404, "not_found_error", "resource_missing");
  }
  assert.equal((await merchantRefund(claim.id)).status, "requires_address", "no refusal set an address");
});

test("claim: anything but a 20-byte 0x address is a 400 address_invalid naming the network, and nothing changes", async () => {
  const { claim, session } = await claimable();
  const tron = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8";
  const rows = [
    [tron, /Local \(anvil\).*starts with 0x.*a Tron address cannot receive it/],
    ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", /a Bitcoin address cannot receive it/],
    ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", /a Bitcoin address cannot receive it/],
    ["3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", /a Bitcoin address cannot receive it/],
    ["7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV", /a Solana address cannot receive it/],
    ["vitalik.eth", /ENS name/],
    ["0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8F", /checksum/], // one letter's case changed
    [`0x${"0".repeat(40)}`, /zero address/],
    ["0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8", /this one has 39/],
    [`0x${"ab".repeat(32)}`, /transaction hash/],
    ["23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f", /add 0x/],
    ["0xZZ618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f", /other characters/],
    ["", /Local \(anvil\)/],
    [session.address, /shop's own payment addresses/],
    [session.address.toLowerCase(), /shop's own payment addresses/],
  ];
  for (const [address, message] of rows) {
    const res = await giveAddress(claim, address);
    const error = assertError(res, 400, "invalid_request_error", "address_invalid");
    assert.equal(error.param, "address", address);
    assert.match(error.message, message, address);
  }
  assert.equal(
    (await giveAddress(claim, tron)).body.error.message,
    "This refund is paid on Local (anvil); enter an address that starts with 0x (a Tron address cannot receive it).",
  );
  for (const [json, code] of [[{}, "parameter_missing"], [{ address: 7 }, "parameter_invalid"], [{ address: SHOPPER, amount: "1" }, "parameter_unknown"]]) {
    assertError(await claimApi("POST", claim, "/address", { json }), 400, "invalid_request_error", code);
  }
  assertError(await claimApi("POST", claim, "/address", { json: undefined }), 400, "invalid_request_error", "invalid_json");
  const after = await merchantRefund(claim.id);
  assert.equal(after.status, "requires_address");
  assert.equal(after.address, null);
  assert.deepEqual(refundEvents(claim.id, "refund.pending"), [], "no refusal wrote an event");
});

test("claim: an address is set once (lowercase comes back checksummed), with its refund.pending event; then 409", async () => {
  const { claim, refund } = await claimable();
  const set = await giveAddress(claim, SHOPPER.toLowerCase());
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal(set.body.object, "refund_claim");
  assert.equal(set.body.status, "pending");
  assert.equal(set.body.address, SHOPPER);
  assert.equal(set.body.amount, "49990000");

  const merchant = await merchantRefund(refund.id);
  assert.equal(merchant.status, "pending");
  assert.equal(merchant.address, SHOPPER);
  assert.equal(merchant.claim_url, null, "the link is spent once it has an address");
  assert.equal(BigInt(merchant.amount), 49_990_000n);
  assert.equal(merchant.version, refund.version + 1);
  const [row] = d1(`SELECT address, status FROM refunds WHERE id = '${refund.id}'`);
  assert.deepEqual(row, { address: SHOPPER.toLowerCase(), status: "pending" }, "stored lowercase");

  const events = refundEvents(refund.id, "refund.pending");
  assert.equal(events.length, 1);
  assert.match(events[0].cause, new RegExp(refund.id));
  const object = JSON.parse(events[0].body).data.object;
  assert.equal(object.id, refund.id);
  assert.equal(object.status, "pending");
  assert.equal(object.address, SHOPPER);

  const again = await giveAddress(claim, SHOPPER_2);
  assertError(again, 409, "invalid_request_error", "refund_address_set");
  const same = await giveAddress(claim, SHOPPER);
  assertError(same, 409, "invalid_request_error", "refund_address_set");
  const read = await claimApi("GET", claim);
  assert.equal(read.status, 200, "the link still shows where the refund stands");
  assert.equal(read.body.status, "pending");
  assert.equal(read.body.address, SHOPPER);
  assert.equal((await merchantRefund(refund.id)).address, SHOPPER, "the first address stays");
  assert.equal(refundEvents(refund.id, "refund.pending").length, 1);
});

test("claim: eight shoppers' tabs at once: exactly one address is set, the rest get 409", async () => {
  const { claim, refund } = await claimable();
  const addresses = Array.from({ length: 8 }, (_, i) => `0x${(i + 1).toString(16).padStart(2, "0").repeat(20)}`);
  const answers = await Promise.all(addresses.map((a) => giveAddress(claim, a)));
  const won = answers.filter((a) => a.status === 200);
  assert.equal(won.length, 1, JSON.stringify(answers.map((a) => a.status)));
  for (const lost of answers.filter((a) => a.status !== 200)) assertError(lost, 409, "invalid_request_error", "refund_address_set");
  const merchant = await merchantRefund(refund.id);
  assert.equal(merchant.address, won[0].body.address);
  assert.equal(refundEvents(refund.id, "refund.pending").length, 1);
});

test("claim: a canceled refund takes no address (409) but still shows its state", async () => {
  const { claim, refund } = await claimable();
  const canceled = await api("POST", `/v1/refunds/${refund.id}/cancel`, { token: demo.secret_key });
  assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
  assertError(await giveAddress(claim, SHOPPER), 409, "invalid_request_error", "refund_address_set");
  const read = await claimApi("GET", claim);
  assert.equal(read.body.status, "canceled");
  assert.equal(read.body.address, null);
});

test("claim: CORS for the account's own origins only, errors included; preflights allow Kasse-Claim-Secret", async () => {
  const account = await newAccount({ display_name: "Origin shop" });
  const key = account.keys.sk_test;
  const origin = "https://shop.example";
  const settings = await api("POST", "/v1/account", { token: key, json: { allowed_origins: [origin], branding: { display_name: "Origin Shop GmbH" } } });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const session = await paidSession({}, { key });
  const created = await api("POST", `/v1/checkout_sessions/${session.id}/refunds`, { token: key, json: {} });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const claim = claimOf(created.body);

  for (const suffix of ["", "/address"]) {
    const preflight = await fetch(`${base}/v1/public/refunds/${claim.id}${suffix}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "kasse-claim-secret, content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), origin);
    assert.match(preflight.headers.get("access-control-allow-headers"), /Kasse-Claim-Secret/);
    assert.match(preflight.headers.get("vary"), /Origin/);
    const stranger = await fetch(`${base}/v1/public/refunds/${claim.id}${suffix}`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    assert.equal(stranger.headers.get("access-control-allow-origin"), null);
  }
  const read = await claimApi("GET", claim, "", { headers: { origin } });
  assert.equal(read.status, 200);
  assert.equal(read.headers.get("access-control-allow-origin"), origin);
  assert.equal(read.body.merchant.display_name, "Origin Shop GmbH");
  const denied = await claimApi("GET", claim, "", { headers: { origin: "https://evil.example" } });
  assert.equal(denied.status, 200);
  assert.equal(denied.headers.get("access-control-allow-origin"), null);
  assert.match(denied.headers.get("vary"), /Origin/);
  const wrong = await claimApi("GET", claim, "", { headers: { origin }, secret: "wrong" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("access-control-allow-origin"), origin, "errors are readable too");
  const invalid = await giveAddress(claim, "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", { headers: { origin } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.headers.get("access-control-allow-origin"), origin);
  const set = await giveAddress(claim, SHOPPER, { headers: { origin } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal(set.headers.get("access-control-allow-origin"), origin);
  assert.equal((await getSession(session.id, { key })).status, "paid", "the session itself is untouched");
});

/** A base62 id as the worker makes them (prefix + 24 characters). */
function fakeId(prefix, length = 24) {
  const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return prefix + [...randomBytes(length)].map((b) => chars[b % 62]).join("");
}

test("claim: a refund reads its own mode's settings (shop name, origins): a live refund the live ones", async () => {
  const account = await newAccount({ display_name: "Two modes", xpub_live: await randomXpub() });
  const { sk_test: testKey, sk_live: liveKey } = account.keys;
  for (const [key, name, origin] of [[testKey, "Test face", "https://test.example"], [liveKey, "Live face", "https://live.example"]]) {
    const res = await api("POST", "/v1/account", { token: key, json: { allowed_origins: [origin], branding: { display_name: name } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const { claim: testClaim } = await claimable({}, { key: testKey });
  // The test stack serves no live chain, so the live refund is written in D1, as the modes
  // suite writes its live objects; it refunds a session of the same account.
  const session = await createSession({}, { key: testKey });
  const liveClaim = { id: fakeId("re_live_"), secret: fakeId("", 32) };
  d1(`INSERT INTO refunds (id, account_id, livemode, session_id, chain_id, token, contract_address, decimals, amount, status,
        requested_by, claim_secret, created_block, created_at, created_unix, updated_at)
      VALUES ('${liveClaim.id}', '${account.id}', 1, '${session.id}', 31337, 'USDC', '${env.contracts.USDC.toLowerCase()}', 6, '2500000',
        'requires_address', 'merchant', '${liveClaim.secret}', 1, '2026-11-30T00:00:00Z', 1796083200, '2026-11-30T00:00:00Z')`);
  const preflightAllows = async (claim, origin) => {
    const res = await fetch(`${base}/v1/public/refunds/${claim.id}/address`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    return res.headers.get("access-control-allow-origin") === origin;
  };
  for (const [claim, own, other, amount] of [
    [testClaim, ["Test face", "https://test.example"], ["Live face", "https://live.example"], "49990000"],
    [liveClaim, ["Live face", "https://live.example"], ["Test face", "https://test.example"], "2500000"],
  ]) {
    const read = await claimApi("GET", claim, "", { headers: { origin: own[1] } });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.merchant.display_name, own[0]);
    assert.equal(read.body.amount, amount);
    assert.equal(read.headers.get("access-control-allow-origin"), own[1]);
    assert.ok(await preflightAllows(claim, own[1]), `${claim.id} allows ${own[1]}`);
    assert.ok(!(await preflightAllows(claim, other[1])), `${claim.id} refuses ${other[1]}`);
    const crossed = await claimApi("GET", claim, "", { headers: { origin: other[1] } });
    assert.equal(crossed.headers.get("access-control-allow-origin"), null);
  }
  // Each secret opens its own refund only, across modes too.
  assertError(await claimApi("GET", { id: liveClaim.id, secret: testClaim.secret }), 401, "authentication_error");
  const set = await giveAddress(liveClaim, SHOPPER);
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal(set.body.status, "pending");
  const [event] = refundEvents(liveClaim.id, "refund.pending");
  assert.equal(JSON.parse(event.body).livemode, true, "the live refund's event is a live event");
});
