// GET /v1/search: a session found by its id, its deposit address, a payment's tx hash or its
// customer's email, in the key's own account and mode only, each through an index.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { USD, api, assertError, createSession, d1, getSession, newAccount, paidSession, randomXpub } from "../support/env.mjs";

const search = (key, q, extra = "") => api("GET", `/v1/search?q=${encodeURIComponent(q)}${extra}`, { token: key });

/** The ids a search finds, after checking the list envelope. */
async function found(key, q, extra = "") {
  const res = await search(key, q, extra);
  assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.object, "list");
  assert.equal(res.body.url, "/v1/search");
  assert.equal(typeof res.body.has_more, "boolean");
  return res.body.data.map((s) => s.id);
}

/** A session's id, its address in both cases, its payments' hashes in both cases, and its
 * email upper-cased: every way a merchant may paste it. */
function termsOf(session, email) {
  const hex = session.address.slice(2);
  const hashes = (session.payments || []).map((p) => p.tx_hash).filter(Boolean);
  return [
    session.id,
    `0x${hex.toLowerCase()}`,
    `0x${hex.toUpperCase()}`,
    ...hashes.flatMap((h) => [h.toLowerCase(), `0x${h.slice(2).toUpperCase()}`]),
    ...(email ? [email.toUpperCase()] : []),
  ];
}

/** Payments' confirmations grow as other tests mine blocks; everything else must be equal. */
const steady = (s) => ({ ...s, payments: s.payments.map(({ confirmations, ...p }) => p) });

test("search finds a paid session by its id, its address in either case, its tx hash and its email in another case", async () => {
  const key = (await newAccount()).keys.sk_test;
  const first = await createSession({ amount: USD("3.00"), customer_email: "Ada.Lovelace@Example.com" }, { key });
  const paid = await paidSession({ amount: USD("12.34"), customer_email: "ada.lovelace@example.COM" }, { key });
  const other = await createSession({ amount: USD("4.00"), customer_email: "grace@example.org" }, { key });
  const now = await getSession(paid.id, { key });
  assert.equal(now.status, "paid");
  assert.equal(now.payments.length, 1);
  const option = paid.supported_tokens.find((t) => t.token === "USDC");
  assert.equal(BigInt(now.payments[0].amount), BigInt(option.amount));
  assert.equal(BigInt(now.payments[0].amount), 12_340_000n, "12.34 USDC in base units");
  const hash = now.payments[0].tx_hash;
  assert.match(hash, /^0x[0-9a-f]{64}$/);

  for (const q of termsOf(now).slice(0, 5)) {
    assert.deepEqual(await found(key, q), [paid.id], q);
  }
  assert.deepEqual(await found(key, `0x${hash.slice(2).toUpperCase()}`), [paid.id]);
  assert.deepEqual(await found(key, other.address), [other.id]);
  // The key, the search, then the page's payments, heads and sweeps in one batch.
  const usage = (await search(key, hash)).headers.get("kasse-d1-usage");
  assert.match(usage, /^round_trips=3,/, usage);

  // The object is the list's, swept and payments included.
  const list = (await api("GET", "/v1/checkout_sessions?limit=100", { token: key })).body.data;
  const listed = list.find((s) => s.id === paid.id);
  const res = await search(key, hash);
  assert.deepEqual(Object.keys(res.body.data[0]).sort(), Object.keys(listed).sort());
  assert.ok("swept" in res.body.data[0]);
  assert.deepEqual(steady(res.body.data[0]), steady(listed));

  // One email, two sessions: in the list's order (newest first, then by id within a
  // second), paged like any list.
  const [newer, older] = list.map((s) => s.id).filter((id) => id === paid.id || id === first.id);
  assert.deepEqual(await found(key, "ADA.LOVELACE@EXAMPLE.COM"), [newer, older]);
  const page = await search(key, "ada.lovelace@example.com", "&limit=1");
  assert.deepEqual(page.body.data.map((s) => s.id), [newer]);
  assert.equal(page.body.has_more, true);
  const next = await search(key, "ada.lovelace@example.com", `&limit=1&starting_after=${newer}`);
  assert.deepEqual(next.body.data.map((s) => s.id), [older]);
  assert.equal(next.body.has_more, false);
  const back = await search(key, "ada.lovelace@example.com", `&limit=1&ending_before=${older}`);
  assert.deepEqual(back.body.data.map((s) => s.id), [newer]);
  assert.equal(back.body.has_more, false);

  // Well-formed terms nobody used: an empty page, not an error.
  for (const q of [`0x${randomBytes(20).toString("hex")}`, `0x${randomBytes(32).toString("hex")}`, "nobody@example.com", "cs_test_AAAAAAAAAAAAAAAAAAAAAAAA"]) {
    assert.deepEqual(await found(key, q), [], q);
  }
  // An exact email only: a prefix or another address of the domain is not a match.
  assert.deepEqual(await found(key, "ada@example.com"), []);
});

test("another account's session is never found, by any of the four kinds", async () => {
  const mine = (await newAccount()).keys.sk_test;
  const theirs = (await newAccount()).keys.sk_test;
  const email = `shared-${randomBytes(4).toString("hex")}@example.com`;
  const ours = await createSession({ amount: USD("2.00"), customer_email: email }, { key: mine });
  const paid = await paidSession({ amount: USD("6.00"), customer_email: email }, { key: theirs });
  const terms = termsOf(await getSession(paid.id, { key: theirs }), email);
  assert.equal(terms.length, 6, "id, address twice, hash twice, email");
  for (const q of terms) {
    assert.deepEqual(await found(theirs, q), [paid.id], `its own key finds it by ${q}`);
    assert.deepEqual(await found(mine, q), q.includes("@") ? [ours.id] : [], `another account's key by ${q}`);
  }
});

test("a test key never finds a live session, which the live key finds", async () => {
  const account = await newAccount({ xpub_live: await randomXpub() });
  const { sk_test: testKey, sk_live: liveKey } = account.keys;
  const email = `live-${randomBytes(4).toString("hex")}@example.com`;
  const from = await createSession({ amount: USD("5.00"), customer_email: email }, { key: testKey });
  const live = `cs_live_${randomBytes(12).toString("hex")}`;
  const address = `0x${randomBytes(20).toString("hex")}`;
  const hash = `0x${randomBytes(32).toString("hex")}`;
  // The test stack serves no live chain: the live session and its payment are written in D1.
  d1(`INSERT INTO checkout_sessions (id, account_id, livemode, status, version, write_token, payment_link, address, customer_email, funded, data, created_at, created_unix, updated_at)
      SELECT '${live}', account_id, 1, status, version, write_token, NULL, '${address}', customer_email, funded,
             json_set(data, '$.id', '${live}', '$.livemode', json('true'), '$.address', '${address}'),
             created_at, created_unix, updated_at
      FROM checkout_sessions WHERE id = '${from.id}';
      INSERT INTO payments (id, session_id, chain_id, token, address, tx_hash, log_index, block_number, block_hash, block_time, amount, status, counted, created_at, updated_at)
      VALUES ('pay_${randomBytes(12).toString("hex")}', '${live}', 1, 'USDC', '${address}', '${hash}', 0, 1, '0x${"00".repeat(32)}',
              '2026-11-30T00:00:00Z', '5000000', 'confirmed', 1, '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')`);
  for (const q of [live, address, address.toUpperCase().replace("0X", "0x"), hash, email.toUpperCase()]) {
    assert.deepEqual(await found(liveKey, q), [live], `the live key finds it by ${q}`);
    assert.deepEqual(await found(testKey, q), q.includes("@") ? [from.id] : [], `the test key by ${q}`);
  }
});

test("anything not searchable is a 400 naming q that says what can be searched; never a 500", async () => {
  const key = (await newAccount()).keys.sk_test;
  for (const q of ["hello", "0x123", "' OR 1=1 --", `0x${"g".repeat(40)}`, `0x${"a".repeat(63)}`, "cs_test_short", " a@example.com", "a@b", "%", "a".repeat(188) + "@example.com" + "x"]) {
    const e = assertError(await search(key, q), 400, "invalid_request_error", "parameter_invalid");
    assert.equal(e.param, "q", q);
    assert.match(e.message, /session id.*deposit address.*transaction hash.*email/, q);
  }
  assert.equal("a".repeat(188).length + "@example.com".length, 200);
  assert.deepEqual(await found(key, "a".repeat(188) + "@example.com"), [], "200 characters are still read");
  const long = assertError(await search(key, "a".repeat(189) + "@example.com"), 400, "invalid_request_error", "parameter_invalid");
  assert.equal(long.param, "q");
  assert.match(long.message, /at most 200/);

  for (const path of ["/v1/search", "/v1/search?q=", "/v1/search?limit=5"]) {
    const e = assertError(await api("GET", path, { token: key }), 400, "invalid_request_error", "parameter_missing");
    assert.equal(e.param, "q", path);
  }
  const twice = assertError(await api("GET", "/v1/search?q=a@example.com&q=b@example.com", { token: key }), 400, "invalid_request_error", "parameter_invalid");
  assert.equal(twice.param, "q");
  assert.equal(assertError(await search(key, "a@example.com", "&limit=0"), 400, "invalid_request_error", "parameter_invalid").param, "limit");
  assert.equal(assertError(await search(key, "a@example.com", "&status=paid"), 400, "invalid_request_error", "parameter_unknown").param, "status");
  const cursor = assertError(await search(key, "a@example.com", "&starting_after=cs_test_AAAAAAAAAAAAAAAAAAAAAAAA"), 400, "invalid_request_error", "resource_missing");
  assert.equal(cursor.param, "starting_after");
  assertError(await api("GET", "/v1/search?q=a@example.com"), 401, "authentication_error");
});

/** The four queries of worker/src/store/search.rs as the worker runs them: each kind's own
 * `WHERE`, then a page's keyset and order (bind.rs `Keyset::sql`). */
function searchQueries() {
  const source = readFileSync(new URL("../../worker/src/store/search.rs", import.meta.url), "utf8");
  const queries = Object.fromEntries([...source.matchAll(/const (BY_\w+): &str = "([^"]+)";/g)].map(([, name, sql]) => [name, sql]));
  assert.deepEqual(Object.keys(queries).sort(), ["BY_ADDRESS", "BY_EMAIL", "BY_ID", "BY_TX_HASH"]);
  const page = (after) =>
    ` AND (${after ? 1_800_000_000 : "NULL"} IS NULL OR (created_unix, id) < (${after ? "1800000000, 'cs_test_A'" : "NULL, NULL"}))
      AND (NULL IS NULL OR (created_unix, id) > (NULL, NULL)) ORDER BY created_unix DESC, id DESC LIMIT 11`;
  const values = { 1: "'acct_x'", 2: "0", 3: "'x'" };
  return Object.entries(queries).flatMap(([name, sql]) =>
    [false, true].map((after) => ({ name: `${name}${after ? " after a cursor" : ""}`, sql: sql.replace(/\?(\d)/g, (_, n) => values[n]) + page(after) })),
  );
}

test("every search query is read through an index, never a scan of sessions or payments", () => {
  const want = {
    BY_ID: /SEARCH checkout_sessions USING (COVERING )?INDEX sqlite_autoindex_checkout_sessions_1 \(id=\?\)/,
    BY_ADDRESS: /SEARCH checkout_sessions USING (COVERING )?INDEX sqlite_autoindex_checkout_sessions_2 \(address=\?\)/,
    BY_TX_HASH: /SEARCH payments USING (COVERING )?INDEX payments_tx \(tx_hash=\?\)/,
    BY_EMAIL: /SEARCH checkout_sessions USING (COVERING )?INDEX checkout_sessions_email \(account_id=\? AND livemode=\? AND <expr>=\?/,
  };
  const queries = searchQueries();
  assert.equal(queries.length, 8);
  for (const { name, sql } of queries) {
    const plan = d1(`EXPLAIN QUERY PLAN ${sql}`).map((row) => row.detail);
    const text = plan.join("\n");
    assert.match(text, want[name.split(" ")[0]], `${name}:\n${text}`);
    assert.doesNotMatch(text, /SCAN (checkout_sessions|payments)\b/, `${name}:\n${text}`);
    assert.doesNotMatch(text, /INDEX checkout_sessions_list/, `${name} reads the account's whole list:\n${text}`);
    if (name.startsWith("BY_TX_HASH")) assert.match(text, /SEARCH checkout_sessions USING INDEX sqlite_autoindex_checkout_sessions_1 \(id=\?\)/, text);
  }
});
