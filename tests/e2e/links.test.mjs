// Payment links: the API, the public page /l/{id} (GET shows, POST starts), publishable keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { USD, api, assertError, base, createLink, demo, env, linkSessions, newAccount, sleep } from "../support/env.mjs";

const POSTER = {
  line_items: [{ name: "Poster <b>", quantity: 2, unit_amount: "12.50" }],
  discounts: [{ name: "Fall", percent_off: "10" }],
  description: "Two posters",
  metadata: { sku: "P-1" },
  success_url: "https://shop.example/ok?s={CHECKOUT_SESSION_ID}",
  return_url: "https://shop.example/",
};

// Each test starts link sessions from its own (documentation-range) address, so the
// per-IP limit of one test never trips another.
let ipCounter = Math.floor(Math.random() * 200);
const freshIp = () => `198.51.100.${(ipCounter += 1) % 250}`;

/** The start limit counts per calendar minute: near a minute's end, waits for the next one so
 * that every request of a test falls in one window. */
async function startOfMinute() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await sleep(60_500 - intoMinute);
}

test("payment links: create, retrieve, list, update, and the order cannot change", async () => {
  const { keys } = await newAccount();
  const link = await createLink(POSTER, { key: keys.sk_test });
  assert.match(link.id, /^plink_[A-Za-z0-9]{24}$/);
  assert.equal(link.object, "payment_link");
  assert.equal(link.active, true);
  assert.equal(link.livemode, false);
  assert.equal(link.url, `${base}/l/${link.id}`);
  assert.equal(link.amount_subtotal, "25.00");
  assert.equal(link.amount_total, "22.50");
  assert.equal(link.currency, "USD");
  assert.deepEqual(link.line_items, [{ name: "Poster <b>", quantity: 2, unit_amount: "12.50", amount_total: "25.00" }]);
  assert.deepEqual(link.discounts, [{ name: "Fall", amount_off: null, percent_off: "10", amount: "2.50" }]);

  const got = await api("GET", `/v1/payment_links/${link.id}`, { token: keys.sk_test });
  assert.deepEqual(got.body, link);

  const second = await createLink({ amount: USD("5.00") }, { key: keys.sk_test });
  // Newest first by creation second, then id: two links of one second come in id order.
  const order = (await api("GET", "/v1/payment_links?limit=100", { token: keys.sk_test })).body.data;
  assert.deepEqual(order.map((l) => l.id).sort(), [link.id, second.id].sort());
  assert.ok(order[0].created_at >= order[1].created_at);
  const first = await api("GET", "/v1/payment_links?limit=1", { token: keys.sk_test });
  assert.deepEqual(first.body.data.map((l) => l.id), [order[0].id]);
  assert.equal(first.body.has_more, true);
  const next = await api("GET", `/v1/payment_links?limit=1&starting_after=${order[0].id}`, { token: keys.sk_test });
  assert.deepEqual(next.body.data.map((l) => l.id), [order[1].id]);
  assert.equal(next.body.has_more, false);
  const back = await api("GET", `/v1/payment_links?limit=1&ending_before=${order[1].id}`, { token: keys.sk_test });
  assert.deepEqual(back.body.data.map((l) => l.id), [order[0].id]);

  const updated = await api("POST", `/v1/payment_links/${link.id}`, {
    token: keys.sk_test,
    json: { active: false, metadata: { sku: "", batch: "7" }, cancel_url: "https://shop.example/cancel" },
  });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.equal(updated.body.active, false);
  assert.deepEqual(updated.body.metadata, { batch: "7" });
  assert.equal(updated.body.cancel_url, "https://shop.example/cancel");
  assert.equal(updated.body.amount_total, "22.50");
  assert.ok(updated.body.updated_at >= link.updated_at);
  const inactive = await api("GET", "/v1/payment_links?active=false", { token: keys.sk_test });
  assert.deepEqual(inactive.body.data.map((l) => l.id), [link.id]);

  const immutable = await api("POST", `/v1/payment_links/${link.id}`, { token: keys.sk_test, json: { amount: USD("1.00") } });
  assert.equal(assertError(immutable, 400, "invalid_request_error", "parameter_immutable").param, "amount");
  for (const [body, param] of [
    [{}, "amount"],
    [{ amount: USD("1.00"), customer_email: "a@b.co" }, "customer_email"],
    [{ amount: { value: 5, currency: "USD" } }, "amount.value"],
    [{ amount: USD("1.00"), active: "yes" }, "active"],
  ]) {
    const res = await api("POST", "/v1/payment_links", { token: keys.sk_test, json: body });
    assert.equal(assertError(res, 400, "invalid_request_error").param, param, JSON.stringify(body));
  }
  assertError(await api("GET", "/v1/payment_links?active=maybe", { token: keys.sk_test }), 400, "invalid_request_error", "parameter_invalid");
  assertError(await api("GET", "/v1/payment_links/plink_nope", { token: keys.sk_test }), 404, "not_found_error", "resource_missing");
  assertError(await api("GET", "/v1/payment_links", { token: keys.pk_test }), 403, "permission_error", "secret_key_required");
});

test("GET /l/{id} shows the link and starts nothing; its POST starts a session and answers 303", async () => {
  const { keys } = await newAccount({ display_name: "Poster & Co" });
  const link = await createLink(POSTER, { key: keys.sk_test });

  const page = await fetch(`${base}/l/${link.id}`);
  const html = await page.text();
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  assert.match(page.headers.get("content-security-policy"), /form-action 'self'/);
  assert.ok(html.includes("Two posters"));
  assert.ok(html.includes("Poster &amp; Co"), "the merchant's name, escaped");
  assert.ok(html.includes("Poster &lt;b&gt; × 2"), "line items, escaped");
  assert.ok(!html.includes("<b>"), "no markup from the merchant's data");
  assert.ok(html.includes("$22.50"));
  assert.ok(html.includes(`<form method="post" action="/l/${link.id}">`));
  // Unfurlers and mail scanners only GET: no address may be burnt.
  await fetch(`${base}/l/${link.id}`, { method: "HEAD" });
  assert.equal((await linkSessions(link.id, { key: keys.sk_test })).length, 0);

  const post = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { "cf-connecting-ip": freshIp() } });
  assert.equal(post.status, 303);
  const location = post.headers.get("location");
  const m = location.match(/^(.*)\/c\/(cs_test_[A-Za-z0-9]{24})#(cs_test_[A-Za-z0-9]{24}_secret_[A-Za-z0-9]+)$/);
  assert.ok(m, location);
  assert.equal(m[1], base);
  const [sessions] = [await linkSessions(link.id, { key: keys.sk_test })];
  assert.equal(sessions.length, 1);
  const s = sessions[0];
  assert.equal(s.id, m[2]);
  assert.equal(s.client_secret, m[3]);
  assert.equal(s.payment_link, link.id);
  assert.equal(s.amount_total, "22.50");
  assert.equal(s.amount_subtotal, "25.00");
  assert.deepEqual(s.line_items, link.line_items);
  assert.deepEqual(s.discounts, link.discounts);
  assert.equal(s.success_url, `https://shop.example/ok?s=${s.id}`, "the link's URL, with the session id substituted");
  assert.equal(s.return_url, link.return_url);
  assert.equal(s.description, "Two posters");
  assert.deepEqual(s.metadata, { sku: "P-1" });
  assert.ok(s.supported_tokens.some((t) => t.token === "USDC" && t.amount === "22500000"));

  // The hosted page the browser lands on, and the shopper's restart link.
  const view = await api("GET", `/v1/public/checkout_sessions/${s.id}`, { headers: { "kasse-client-secret": s.client_secret } });
  assert.equal(view.status, 200);
  assert.equal(view.body.restart_url, link.url);
  assert.equal(view.body.metadata, undefined);
});

test("an inactive or unknown link answers a friendly page and starts nothing", async () => {
  const { keys } = await newAccount();
  const link = await createLink(POSTER, { key: keys.sk_test });
  await api("POST", `/v1/payment_links/${link.id}`, { token: keys.sk_test, json: { active: false } });
  for (const method of ["GET", "POST"]) {
    const res = await fetch(`${base}/l/${link.id}`, { method, redirect: "manual", headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(res.status, 410, method);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assert.match(await res.text(), /no longer active/);
  }
  assert.equal((await linkSessions(link.id, { key: keys.sk_test })).length, 0);
  const missing = await fetch(`${base}/l/plink_000000000000000000000000`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /does not exist/);

  // Reactivated, it works again.
  await api("POST", `/v1/payment_links/${link.id}`, { token: keys.sk_test, json: { active: true } });
  const again = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { "cf-connecting-ip": freshIp() } });
  assert.equal(again.status, 303);
});

test("link mode with a secret key inherits the link; fields it would override are refused", async () => {
  const { keys } = await newAccount();
  const other = await newAccount();
  const link = await createLink(POSTER, { key: keys.sk_test });
  const res = await api("POST", "/v1/checkout_sessions", {
    token: keys.sk_test,
    json: { payment_link: link.id, customer_email: "ann@example.com", metadata: { order: "9" }, return_url: "https://shop.example/back", chain_id: 31337, token: "USDT" },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.payment_link, link.id);
  assert.equal(res.body.amount_total, "22.50");
  assert.equal(res.body.selected_token, "USDT");
  assert.equal(res.body.return_url, "https://shop.example/back");
  assert.equal(res.body.success_url, `https://shop.example/ok?s=${res.body.id}`);
  assert.deepEqual(res.body.metadata, { order: "9", sku: "P-1" });
  assert.equal(res.body.customer_email, "ann@example.com");

  const both = await api("POST", "/v1/checkout_sessions", { token: keys.sk_test, json: { payment_link: link.id, amount: USD("1.00") } });
  assert.equal(assertError(both, 400, "invalid_request_error", "parameter_invalid").param, "amount");
  const foreign = await api("POST", "/v1/checkout_sessions", { token: other.keys.sk_test, json: { payment_link: link.id } });
  assert.equal(assertError(foreign, 400, "invalid_request_error", "resource_missing").param, "payment_link");
  await api("POST", `/v1/payment_links/${link.id}`, { token: keys.sk_test, json: { active: false } });
  const closed = await api("POST", "/v1/checkout_sessions", { token: keys.sk_test, json: { payment_link: link.id } });
  assert.equal(assertError(closed, 400, "invalid_request_error", "payment_link_inactive").param, "payment_link");
});

test("publishable keys start sessions only from their own account's active links", async () => {
  const { keys } = await newAccount();
  const other = await newAccount();
  const link = await createLink(POSTER, { key: keys.sk_test });
  const ip = { "cf-connecting-ip": freshIp() };

  const viaSessions = await api("POST", "/v1/checkout_sessions", { token: keys.pk_test, headers: ip, json: { payment_link: link.id, customer_email: "bo@example.com" } });
  assert.equal(viaSessions.status, 200, JSON.stringify(viaSessions.body));
  const started = viaSessions.body;
  assert.match(started.client_secret, /^cs_test_[A-Za-z0-9]{24}_secret_/);
  assert.equal(started.checkout_url, `${base}/c/${started.id}#${started.client_secret}`);
  assert.equal(started.amount_total, "22.50");
  assert.equal(started.restart_url, link.url);
  for (const hidden of ["metadata", "derivation_index", "customer_email", "customer_id", "account_id"]) {
    assert.equal(started[hidden], undefined, `${hidden} is the merchant's`);
  }
  const merchantView = await api("GET", `/v1/checkout_sessions/${started.id}`, { token: keys.sk_test });
  assert.equal(merchantView.body.customer_email, "bo@example.com");

  const viaPublic = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: keys.pk_test, headers: ip, json: { customer_email: "cy@example.com" } });
  assert.equal(viaPublic.status, 200, JSON.stringify(viaPublic.body));
  assert.notEqual(viaPublic.body.id, started.id);
  const empty = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: keys.pk_test, headers: ip });
  assert.equal(empty.status, 200, JSON.stringify(empty.body));

  for (const field of ["amount", "metadata", "success_url", "expires_in"]) {
    const body = { payment_link: link.id, [field]: field === "amount" ? USD("1.00") : field === "metadata" ? { a: "b" } : field === "expires_in" ? 600 : "https://evil.example" };
    const res = await api("POST", "/v1/checkout_sessions", { token: keys.pk_test, headers: ip, json: body });
    assert.equal(assertError(res, 403, "permission_error", "publishable_key_restricted").param, field);
  }
  const adHoc = await api("POST", "/v1/checkout_sessions", { token: keys.pk_test, headers: ip, json: { amount: USD("1.00") } });
  assertError(adHoc, 403, "permission_error", "publishable_key_restricted");
  const extra = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: keys.pk_test, headers: ip, json: { amount: USD("1.00") } });
  assert.equal(assertError(extra, 400, "invalid_request_error", "parameter_unknown").param, "amount");
  const foreign = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: other.keys.pk_test, headers: ip });
  assertError(foreign, 404, "not_found_error");
  assertError(await api("GET", `/v1/checkout_sessions/${started.id}`, { token: keys.pk_test }), 403, "permission_error", "secret_key_required");

  await api("POST", `/v1/payment_links/${link.id}`, { token: keys.sk_test, json: { active: false } });
  const gone = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: keys.pk_test, headers: ip });
  assertError(gone, 410, "invalid_request_error", "payment_link_inactive");
  const goneForOthers = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: other.keys.pk_test, headers: ip });
  assertError(goneForOthers, 404, "not_found_error");
});

test("starting sessions without a secret key is limited per IP and minute", async () => {
  const { keys } = await newAccount();
  const link = await createLink({ amount: USD("3.00") }, { key: keys.sk_test });
  const ip = freshIp();
  await startOfMinute();
  const statuses = [];
  for (let i = 0; i < 11; i += 1) {
    const res = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { "cf-connecting-ip": ip } });
    statuses.push(res.status);
    if (res.status === 429) {
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      assert.match(await res.text(), /Too many/);
    }
  }
  assert.deepEqual(statuses, [...Array(10).fill(303), 429]);
  const pk = await api("POST", `/v1/public/payment_links/${link.id}/sessions`, { token: keys.pk_test, headers: { "cf-connecting-ip": ip } });
  assertError(pk, 429, "rate_limit_error", "rate_limited");
  assert.equal((await linkSessions(link.id, { key: keys.sk_test })).length, 10);
  // Another address is not affected.
  const elsewhere = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { "cf-connecting-ip": freshIp() } });
  assert.equal(elsewhere.status, 303);
});

test("IPv6 clients are limited per /64: every address and spelling of one /64 shares the budget", async () => {
  const { keys } = await newAccount();
  const link = await createLink({ amount: USD("3.00") }, { key: keys.sk_test });
  const hex = () => Math.floor(Math.random() * 0xffff).toString(16);
  const prefix = `2001:db8:${hex()}:${hex()}`;
  await startOfMinute();
  const spellings = (i) => [
    `${prefix}::${(i + 1).toString(16)}`,
    `${prefix}:${hex()}:${hex()}:${hex()}:${hex()}`.toUpperCase(),
    `${prefix.split(":").map((g) => g.padStart(4, "0")).join(":")}:0:0:0:${(i + 1).toString(16)}`,
  ][i % 3];
  const statuses = [];
  for (let i = 0; i < 11; i += 1) {
    const res = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { "cf-connecting-ip": spellings(i) } });
    statuses.push(res.status);
    await res.text();
  }
  assert.deepEqual(statuses, [...Array(10).fill(303), 429]);
  assert.equal((await linkSessions(link.id, { key: keys.sk_test })).length, 10);
  // The next /64 is another client.
  const next = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { "cf-connecting-ip": `2001:db8:${hex()}:${hex()}::1` } });
  assert.equal(next.status, 303);
});

test("POST /l/{id} from another site's page starts nothing (403 page); our page, a typed URL and non-browser clients start", async () => {
  const { keys } = await newAccount();
  const link = await createLink({ amount: USD("4.00") }, { key: keys.sk_test });
  let started = 0;
  for (const [headers, status] of [
    [{ "sec-fetch-site": "cross-site", origin: "https://evil.example" }, 403],
    [{ "sec-fetch-site": "cross-site" }, 403],
    [{ "sec-fetch-site": "same-site", origin: "http://localhost:1" }, 403],
    [{ origin: "https://evil.example" }, 403],
    [{ origin: "null" }, 403],
    [{ "sec-fetch-site": "same-origin", origin: base }, 303],
    [{ "sec-fetch-site": "same-origin", origin: "null" }, 303],
    [{ "sec-fetch-site": "none" }, 303],
    [{ origin: base }, 303],
    [{}, 303],
  ]) {
    const res = await fetch(`${base}/l/${link.id}`, { method: "POST", redirect: "manual", headers: { ...headers, "cf-connecting-ip": freshIp() } });
    const html = await res.text();
    assert.equal(res.status, status, JSON.stringify(headers));
    if (status === 403) {
      assert.match(res.headers.get("content-type"), /^text\/html/);
      assert.match(html, /another website/);
    } else {
      started += 1;
      assert.match(res.headers.get("location"), /\/c\/cs_test_/);
    }
    assert.equal((await linkSessions(link.id, { key: keys.sk_test })).length, started, JSON.stringify(headers));
  }
  // The page's own form keeps its real Origin: the page sends referrers to itself only.
  const page = await fetch(`${base}/l/${link.id}`);
  assert.equal(page.headers.get("referrer-policy"), "same-origin");
});

test("the demo shop: GET /v1/demo shows what /demo sells; only an operator sets it, with a publishable key", async () => {
  const got = await api("GET", "/v1/demo");
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(got.body.object, "demo");
  assert.equal(got.body.publishable_key, demo.publishable_key);
  assert.equal(got.body.payment_link.id, demo.payment_link);
  assert.ok(!JSON.stringify(got.body).includes("sk_"), "no secret key in what pages read");

  const admin = { token: env.admin_token };
  assertError(await api("POST", "/v1/admin/demo", { json: { publishable_key: demo.publishable_key, payment_link: demo.payment_link } }), 401, "authentication_error");
  const secret = await api("POST", "/v1/admin/demo", { ...admin, json: { publishable_key: demo.secret_key, payment_link: demo.payment_link } });
  assert.equal(assertError(secret, 400, "invalid_request_error").param, "publishable_key");
  const unknownKey = await api("POST", "/v1/admin/demo", { ...admin, json: { publishable_key: "pk_test_nope", payment_link: demo.payment_link } });
  assert.equal(assertError(unknownKey, 400, "invalid_request_error").param, "publishable_key");
  const other = await newAccount();
  const foreign = await api("POST", "/v1/admin/demo", { ...admin, json: { publishable_key: other.keys.pk_test, payment_link: demo.payment_link } });
  assert.equal(assertError(foreign, 400, "invalid_request_error", "resource_missing").param, "payment_link");
  // Setting it again to the same link answers the shop as the page will read it.
  const again = await api("POST", "/v1/admin/demo", { ...admin, json: { publishable_key: demo.publishable_key, payment_link: demo.payment_link } });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.deepEqual(again.body, got.body);
});
