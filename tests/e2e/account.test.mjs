// Accounts, API keys, isolation between accounts and modes, CORS, ETag and accessed_at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ANY_OPTION, USD, api, assertError, base, createLink, createSession, env, getSession, newAccount, randomXpub, sessionEvents } from "../support/env.mjs";

/** A $5.00 session offering every option the account accepts. */
const create = (key) => createSession({ amount: USD("5.00"), ...ANY_OPTION }, { key });

test("GET/POST /v1/account read and change the key's mode's settings; an xpub is set once", async () => {
  const account = await newAccount({ display_name: "Settings shop" });
  const key = account.keys.sk_test;
  const got = await api("GET", "/v1/account", { token: key });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(got.body.id, account.id);
  assert.equal(got.body.object, "account");
  assert.equal(got.body.livemode, false);
  assert.equal(got.body.session_ttl_secs, 1800);
  assert.equal(got.body.native_quote_secs, 1800);
  assert.equal(got.body.late_grace_secs, 86400);
  assert.equal(got.body.underpayment_tolerance_bps, 0);
  assert.deepEqual(got.body.enabled_options, []);
  assert.deepEqual(got.body.allowed_origins, []);
  assert.equal(got.body.branding.display_name, "Settings shop");
  assert.match(got.body.xpub_test, /^xpub/);
  assert.ok(!("xpub_live" in got.body), "a test key sees nothing of live mode");
  assert.ok(!("addresses_issued_live" in got.body));
  assert.equal(got.body.addresses_issued_test, 0);

  const changed = await api("POST", "/v1/account", {
    token: key,
    json: { session_ttl_secs: 600, allowed_origins: ["https://Shop.example"], enabled_options: ["31337:usdc"], branding: { accent_color: "#112233" }, native_quote_secs: 120 },
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.equal(changed.body.session_ttl_secs, 600);
  assert.equal(changed.body.native_quote_secs, 120);
  assert.deepEqual(changed.body.allowed_origins, ["https://shop.example"]);
  assert.deepEqual(changed.body.enabled_options, ["31337:USDC"]);
  assert.equal(changed.body.branding.accent_color, "#112233");
  assert.equal(changed.body.branding.display_name, "Settings shop");
  assert.equal(changed.body.keys, undefined);

  // The settings take effect: TTL and the accepted options.
  const s = await create(key);
  assert.equal(Date.parse(s.expires_at) - Date.parse(s.created_at), 600_000);
  assert.deepEqual(s.supported_tokens.map((t) => t.token), ["USDC"]);
  assert.equal((await api("GET", "/v1/account", { token: key })).body.addresses_issued_test, 1);

  for (const [body, param] of [
    [{ session_ttl_secs: 5 }, "session_ttl_secs"],
    [{ native_quote_secs: 59 }, "native_quote_secs"],
    [{ native_quote_secs: 86_401 }, "native_quote_secs"],
    [{ native_quote_secs: "600" }, "native_quote_secs"],
    [{ allowed_origins: ["https://shop.example/path"] }, "allowed_origins[0]"],
    [{ enabled_options: ["31337:DOGE"] }, "enabled_options[0]"],
    [{ branding: { logo_url: "javascript:alert(1)" } }, "branding.logo_url"],
    [{ plan: "pro" }, "plan"],
  ]) {
    const res = await api("POST", "/v1/account", { token: key, json: body });
    assert.equal(assertError(res, 400, "invalid_request_error").param, param, JSON.stringify(body));
  }
  const swap = await api("POST", "/v1/account", { token: key, json: { xpub_test: await randomXpub() } });
  assert.equal(assertError(swap, 409, "invalid_request_error", "xpub_immutable").param, "xpub_test");
  const same = await api("POST", "/v1/account", { token: key, json: { xpub_test: got.body.xpub_test } });
  assert.equal(same.status, 200, "sending the xpub it has changes nothing");
  // A test key never acts on live mode, whatever the xpub is.
  for (const xpub_live of ["xpub123", got.body.xpub_test, await randomXpub()]) {
    const res = await api("POST", "/v1/account", { token: key, json: { xpub_live } });
    assert.equal(assertError(res, 403, "permission_error", "livemode_mismatch").param, "xpub_live");
  }

  // The operator enables live mode: its first keys, once.
  const live = await api("POST", `/v1/admin/accounts/${account.id}/xpubs`, { token: env.admin_token, json: { mode: "live", xpub: await randomXpub() } });
  assert.equal(live.status, 200, JSON.stringify(live.body));
  assert.match(live.body.keys.sk_live, /^sk_live_/);
  assert.match(live.body.keys.pk_live, /^pk_live_/);
  const liveAccount = await api("GET", "/v1/account", { token: live.body.keys.sk_live });
  assert.equal(liveAccount.body.xpub_live, live.body.xpub);
  assert.ok(!("xpub_test" in liveAccount.body), "a live key sees nothing of test mode");
  const liveList = await api("GET", "/v1/checkout_sessions", { token: live.body.keys.sk_live });
  assert.equal(liveList.status, 200);
  assert.deepEqual(liveList.body.data, [], "live mode sees no test session");
  assertError(await api("GET", `/v1/checkout_sessions/${s.id}`, { token: live.body.keys.sk_live }), 404, "not_found_error");
  assertError(await api("GET", "/v1/account", { token: account.keys.pk_test }), 403, "permission_error");
});

test("API keys: create, list redacted, revoke at once, never the last secret key", async () => {
  const account = await newAccount();
  const first = account.keys.sk_test;
  const made = await api("POST", "/v1/api_keys", { token: first, json: { kind: "secret" } });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  assert.match(made.body.key, /^sk_test_[A-Za-z0-9]{32}$/);
  assert.match(made.body.id, /^key_/);
  assert.equal(made.body.kind, "secret");
  assert.equal(made.body.livemode, false);
  assert.equal(made.body.redacted, `sk_test_…${made.body.key.slice(-4)}`);
  const second = made.body.key;
  assert.equal((await api("GET", "/v1/account", { token: second })).status, 200);

  const listed = await api("GET", "/v1/api_keys", { token: second });
  assert.equal(listed.status, 200);
  assert.equal(listed.body.data.length, 3, "sk, pk from the admin and the new one");
  assert.ok(listed.body.data.every((k) => k.key === undefined && k.redacted.includes("…")));
  assert.ok(!JSON.stringify(listed.body).includes(second), "never the key itself");

  const firstId = listed.body.data.find((k) => k.kind === "secret" && k.id !== made.body.id).id;
  const revoked = await api("POST", `/v1/api_keys/${firstId}/revoke`, { token: second });
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  assert.ok(revoked.body.revoked_at);
  assertError(await api("GET", "/v1/account", { token: first }), 401, "authentication_error");
  const again = await api("POST", `/v1/api_keys/${firstId}/revoke`, { token: second });
  assert.equal(again.status, 200);
  assert.equal(again.body.revoked_at, revoked.body.revoked_at);
  const last = await api("POST", `/v1/api_keys/${made.body.id}/revoke`, { token: second });
  assertError(last, 409, "invalid_request_error", "last_secret_key");

  const pk = await api("POST", "/v1/api_keys", { token: second, json: { kind: "publishable" } });
  assert.match(pk.body.key, /^pk_test_/);
  assert.equal(assertError(await api("POST", "/v1/api_keys", { token: second, json: { kind: "root" } }), 400, "invalid_request_error").param, "kind");
  assertError(await api("POST", "/v1/api_keys", { token: pk.body.key, json: { kind: "secret" } }), 403, "permission_error");
  const other = await newAccount();
  assertError(await api("POST", `/v1/api_keys/${made.body.id}/revoke`, { token: other.keys.sk_test }), 404, "not_found_error");
});

test("another account's or another mode's objects are 404s, never leaks", async () => {
  const a = await newAccount({ xpub_live: await randomXpub() });
  const b = await newAccount();
  const aLive = a.keys.sk_live;
  const session = await create(a.keys.sk_test);
  const link = await createLink({ amount: USD("2.00") }, { key: a.keys.sk_test });
  const liveLink = await createLink({ amount: USD("2.00"), success_url: "https://shop.example/ok" }, { key: aLive });
  assert.equal(liveLink.livemode, true);
  const [event] = await sessionEvents(session.id, { key: a.keys.sk_test });

  for (const [who, key] of [["other account", b.keys.sk_test], ["live key", aLive]]) {
    for (const [method, path] of [
      ["GET", `/v1/checkout_sessions/${session.id}`],
      ["POST", `/v1/checkout_sessions/${session.id}/cancel`],
      ["POST", `/v1/checkout_sessions/${session.id}/check`],
      ["GET", `/v1/payment_links/${link.id}`],
      ["POST", `/v1/payment_links/${link.id}`],
    ]) {
      const res = await api(method, path, { token: key, json: method === "POST" ? {} : undefined });
      const e = assertError(res, 404, "not_found_error");
      assert.ok(!JSON.stringify(res.body).includes(a.id), `${who} ${method} ${path} names no account`);
      assert.equal(e.param, "id");
    }
    const listed = await api("GET", "/v1/checkout_sessions?limit=100", { token: key });
    assert.ok(!listed.body.data.some((s) => s.id === session.id), who);
    const links = await api("GET", "/v1/payment_links?limit=100", { token: key });
    assert.ok(!links.body.data.some((l) => l.id === link.id), who);
    const events = await api("GET", `/v1/events?session=${session.id}`, { token: key });
    assert.deepEqual(events.body.data, [], who);
    const cursor = await api("GET", `/v1/checkout_sessions?starting_after=${session.id}`, { token: key });
    assertError(cursor, 400, "invalid_request_error", "resource_missing");
  }
  assertError(await api("GET", `/v1/payment_links/${liveLink.id}`, { token: a.keys.sk_test }), 404, "not_found_error");
  assert.ok(event, "the session's own key sees its event");
});

test("CORS: only the account's origins, with Vary: Origin; secret-key routes send none", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  await api("POST", "/v1/account", { token: key, json: { allowed_origins: ["http://shop.example:8080"] } });
  const s = await create(key);
  const path = `/v1/public/checkout_sessions/${s.id}`;
  const secret = { "kasse-client-secret": s.client_secret };

  const preflight = await fetch(base + path, {
    method: "OPTIONS",
    headers: { origin: "http://shop.example:8080", "access-control-request-method": "GET", "access-control-request-headers": "kasse-client-secret" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "http://shop.example:8080");
  assert.match(preflight.headers.get("access-control-allow-headers"), /Kasse-Client-Secret/);
  assert.match(preflight.headers.get("vary"), /Origin/);
  const selectPreflight = await fetch(`${base}${path}/select`, { method: "OPTIONS", headers: { origin: "http://shop.example:8080" } });
  assert.equal(selectPreflight.headers.get("access-control-allow-origin"), "http://shop.example:8080");

  const stranger = await fetch(base + path, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
  assert.equal(stranger.headers.get("access-control-allow-origin"), null);
  assert.match(stranger.headers.get("vary"), /Origin/);

  const allowed = await api("GET", path, { headers: { ...secret, origin: "http://shop.example:8080" } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get("access-control-allow-origin"), "http://shop.example:8080");
  assert.match(allowed.headers.get("access-control-expose-headers"), /ETag/);
  assert.match(allowed.headers.get("vary"), /Origin/);
  const denied = await api("GET", path, { headers: { ...secret, origin: "https://evil.example" } });
  assert.equal(denied.headers.get("access-control-allow-origin"), null);
  assert.match(denied.headers.get("vary"), /Origin/);
  const error = await api("GET", path, { headers: { "kasse-client-secret": "wrong", origin: "http://shop.example:8080" } });
  assert.equal(error.status, 401);
  assert.equal(error.headers.get("access-control-allow-origin"), "http://shop.example:8080", "errors are readable too");

  const merchant = await api("GET", `/v1/checkout_sessions/${s.id}`, { token: key, headers: { origin: "http://shop.example:8080" } });
  assert.equal(merchant.status, 200);
  assert.equal(merchant.headers.get("access-control-allow-origin"), null);
  assert.equal(merchant.headers.get("vary"), null);
  const merchantPreflight = await fetch(`${base}/v1/checkout_sessions`, { method: "OPTIONS", headers: { origin: "http://shop.example:8080" } });
  assert.equal(merchantPreflight.headers.get("access-control-allow-origin"), null);
});

test("the shopper view has an ETag; accessed_at is recorded without touching version or updated_at", async () => {
  const { keys } = await newAccount();
  const s = await create(keys.sk_test);
  assert.equal(s.accessed_at, null);
  const path = `/v1/public/checkout_sessions/${s.id}`;
  const secret = { "kasse-client-secret": s.client_secret };
  const first = await api("GET", path, { headers: secret });
  const tag = first.headers.get("etag");
  assert.match(tag, /^W\/"[0-9a-f]{24}"$/);
  const unchanged = await fetch(base + path, { headers: { ...secret, "if-none-match": tag } });
  assert.equal(unchanged.status, 304);
  assert.equal(unchanged.headers.get("etag"), tag);
  assert.equal(await unchanged.text(), "");

  const seen = await getSession(s.id, { key: keys.sk_test });
  assert.ok(seen.accessed_at, "set by the shopper's visit");
  assert.ok(Date.parse(seen.accessed_at) >= Date.parse(s.created_at));
  assert.equal(seen.version, s.version);
  assert.equal(seen.updated_at, s.updated_at);
  await api("GET", path, { headers: secret });
  const later = await getSession(s.id, { key: keys.sk_test });
  assert.equal(later.accessed_at, seen.accessed_at, "written at most every five minutes");

  // A change (the shopper selects) makes a new tag.
  const select = await api("POST", `${path}/select`, { headers: secret, json: { chain_id: 31337, token: "USDC" } });
  assert.equal(select.status, 200, JSON.stringify(select.body));
  const changed = await fetch(base + path, { headers: { ...secret, "if-none-match": tag } });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get("etag"), tag);
});

test("the operator CLI creates an account, adds live mode, and prints keys once", async () => {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const run = promisify(execFile);
  const cli = new URL("../../xtask/account.mjs", import.meta.url).pathname;
  const opts = { env: { ...process.env, KASSE_ADMIN_TOKEN: env.admin_token, KASSE_OUTPUT: "json" } };
  const { stdout } = await run("node", [cli, "create", "--url", base, "--name", "CLI shop", "--xpub-test", await randomXpub()], opts);
  const account = JSON.parse(stdout);
  assert.match(account.id, /^acct_/);
  assert.equal(account.display_name, "CLI shop");
  assert.equal((await api("GET", "/v1/account", { token: account.keys.sk_test })).body.id, account.id);

  const human = await run("node", [cli, "create", "--url", base, "--xpub-test", await randomXpub()], { env: { ...opts.env, KASSE_OUTPUT: "" } });
  assert.match(human.stdout, /sk_test +sk_test_/);
  assert.match(human.stdout, /shown only now/);

  const refused = await run("node", [cli, "create", "--url", base, "--xpub-test", "xpubNOPE"], opts).catch((e) => e);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /account not created \(400\).*\[xpub_test\]/);
  const wrongToken = await run("node", [cli, "create", "--url", base, "--xpub-test", await randomXpub()], { env: { ...opts.env, KASSE_ADMIN_TOKEN: "nope" } }).catch((e) => e);
  assert.equal(wrongToken.code, 1);
  assert.match(wrongToken.stderr, /\(401\)/);

  // Live mode for the account, by the operator: its live keys, once.
  const liveXpub = await randomXpub();
  const xpub = await run("node", [cli, "xpub", "--url", base, "--account", account.id, "--mode", "live", "--xpub", liveXpub], opts);
  const added = JSON.parse(xpub.stdout);
  assert.equal(added.livemode, true);
  assert.match(added.keys.sk_live, /^sk_live_/);
  assert.equal((await api("GET", "/v1/account", { token: added.keys.sk_live })).body.xpub_live, liveXpub);
  const twice = await run("node", [cli, "xpub", "--url", base, "--account", account.id, "--mode", "live", "--xpub", liveXpub], opts).catch((e) => e);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /xpub not registered \(409\).*\[xpub\]/);
});
