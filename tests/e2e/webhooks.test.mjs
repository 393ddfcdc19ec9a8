// Webhooks against real workerd and a real receiver that verifies every delivery with the
// official `standardwebhooks` library.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  USD, api, assertError, base, cancelSession, createEndpoint, createSession, deliveries, mine, newAccount, newHook,
  paySession, randomXpub, runScheduled, sessionEvents, sleep,
} from "../support/env.mjs";
import { withReceiver, withReceivers } from "../support/receiver.mjs";

const session = (key) => createSession({ amount: USD("12.34") }, { key });

async function advanceEndpoint(key, endpointId, seconds) {
  const res = await api("POST", `/v1/test_helpers/webhook_endpoints/${endpointId}/advance`, { token: key, json: { seconds } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** Polls until `predicate` holds for the endpoint's deliveries. */
async function deliveriesUntil(key, endpointId, predicate, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await deliveries(endpointId, { key });
    if (predicate(last)) return last;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

test("endpoints: create shows the secret once; list, retrieve, update, rotate and delete never show it", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const made = await createEndpoint("http://127.0.0.1:9/hooks", { key, events: ["session.paid", "session.created"], description: "orders" });
  assert.match(made.id, /^we_[0-9A-Za-z]{24}$/);
  assert.equal(made.object, "webhook_endpoint");
  assert.match(made.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(Buffer.from(made.secret.slice(6), "base64").length, 32);
  assert.deepEqual(made.events, ["session.created", "session.paid"]);
  assert.equal(made.enabled, true);
  assert.equal(made.livemode, false);
  assert.equal(made.description, "orders");

  const got = await api("GET", `/v1/webhook_endpoints/${made.id}`, { token: key });
  assert.equal(got.status, 200);
  assert.equal(got.body.secret, undefined);
  const { secret, ...rest } = made;
  assert.deepEqual(got.body, rest);

  const list = await api("GET", "/v1/webhook_endpoints", { token: key });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.data.map((e) => e.id), [made.id]);
  assert.ok(!JSON.stringify(list.body).includes(secret.slice(6)), "no secret in the list");

  const updated = await api("POST", `/v1/webhook_endpoints/${made.id}`, {
    token: key,
    json: { url: "http://127.0.0.1:9/other", events: ["*"], enabled: false, description: null },
  });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.equal(updated.body.url, "http://127.0.0.1:9/other");
  assert.deepEqual(updated.body.events, ["*"]);
  assert.equal(updated.body.enabled, false);
  assert.equal(updated.body.description, null);
  assert.equal(updated.body.secret, undefined);

  const rotated = await api("POST", `/v1/webhook_endpoints/${made.id}/rotate_secret`, { token: key });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  assert.match(rotated.body.secret, /^whsec_/);
  assert.notEqual(rotated.body.secret, secret);
  const expires = Date.parse(rotated.body.previous_secret_expires_at);
  assert.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 120_000, rotated.body.previous_secret_expires_at);

  const other = await newAccount();
  assertError(await api("GET", `/v1/webhook_endpoints/${made.id}`, { token: other.keys.sk_test }), 404, "not_found_error");
  assertError(await api("POST", `/v1/webhook_endpoints/${made.id}`, { token: other.keys.sk_test, json: { enabled: true } }), 404, "not_found_error");
  assertError(await api("DELETE", `/v1/webhook_endpoints/${made.id}`, { token: other.keys.sk_test }), 404, "not_found_error");
  assertError(await api("GET", "/v1/webhook_endpoints", { token: account.keys.pk_test }), 403, "permission_error");

  const deleted = await api("DELETE", `/v1/webhook_endpoints/${made.id}`, { token: key });
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.body, { id: made.id, object: "webhook_endpoint", deleted: true });
  assertError(await api("GET", `/v1/webhook_endpoints/${made.id}`, { token: key }), 404, "not_found_error");
});

test("endpoints: bad parameters are 400s naming the parameter; live URLs must be public https", async () => {
  const account = await newAccount({ xpub_live: await randomXpub() });
  const test = account.keys.sk_test;
  const live = account.keys.sk_live;
  const bad = async (key, json, param, code = undefined) => {
    const e = assertError(await api("POST", "/v1/webhook_endpoints", { token: key, json }), 400, "invalid_request_error", code);
    assert.equal(e.param, param, JSON.stringify(json));
  };
  await bad(test, { events: ["*"] }, "url", "parameter_missing");
  await bad(test, { url: "https://shop.example/h" }, "events", "parameter_missing");
  await bad(test, { url: "https://shop.example/h", events: [] }, "events");
  await bad(test, { url: "https://shop.example/h", events: ["invoice.paid"] }, "events");
  await bad(test, { url: "https://shop.example/h", events: ["*"], secret: "whsec_x" }, "secret", "parameter_unknown");
  await bad(test, { url: "ftp://shop.example/h", events: ["*"] }, "url", "url_invalid");
  await bad(test, { url: "https://shop.example/" + "x".repeat(2100), events: ["*"] }, "url");
  for (const url of [
    "http://shop.example/h",
    "https://127.0.0.1/h",
    "https://10.1.2.3/h",
    "https://192.168.0.10/h",
    "https://169.254.169.254/latest",
    "https://[::1]/h",
    "https://[fe80::1]/h",
    "https://localhost/h",
    "https://2130706433/h",
    // IPv6 forms that carry or reach an internal IPv4 address, and site-local.
    "https://[::7f00:1]/h",
    "https://[::ffff:0:10.0.0.1]/h",
    "https://[2002:c0a8:1::1]/h",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h",
    "https://[64:ff9b:1::a00:1]/h",
    "https://[fec0::1]/h",
  ]) {
    await bad(live, { url, events: ["*"] }, "url", "url_invalid");
  }
  const ok = await createEndpoint("https://shop.example/hooks", { key: live });
  assert.equal(ok.livemode, true);
  const update = await api("POST", `/v1/webhook_endpoints/${ok.id}`, { token: live, json: { url: "https://10.0.0.1/h" } });
  assertError(update, 400, "invalid_request_error", "url_invalid");
  // Test mode may point at a local receiver.
  await createEndpoint("http://127.0.0.1:8788/hooks", { key: test });

  // A live endpoint receives no test events.
  await session(test);
  await sleep(500);
  assert.deepEqual(await deliveries(ok.id, { key: live }), []);
});

test("delivery: signed with Standard Webhooks, webhook-id = event id, body = the frozen event, filtered by type", async () => {
  await withReceivers(2, async (receiver, paidOnly) => {
    const key = (await newAccount()).keys.sk_test;
    const all = await newHook(receiver, { key });
    await newHook(paidOnly, { key, events: ["session.paid"] });

    const s = await session(key);
    const first = await receiver.until((r) => r.length >= 1, 10_000, "session.created");
    const created = first[0];
    assert.equal(created.verified, true, "standardwebhooks verifies the signature");
    assert.equal(created.method, "POST");
    assert.equal(created.contentType, "application/json");
    assert.match(created.signature, /^v1,[A-Za-z0-9+/]+=*$/);
    assert.ok(Math.abs(created.timestamp - Date.now() / 1000) < 30);
    const [event] = await sessionEvents(s.id, { key });
    assert.equal(created.id, event.id, "webhook-id is the event id");
    assert.deepEqual(created.json, event, "the body is the event as the API shows it");
    assert.equal(created.json.type, "session.created");
    assert.equal(created.json.data.object.id, s.id);
    assert.equal(created.json.data.object.version, s.version);
    assert.equal(created.json.data.object.client_secret, undefined, "snapshots carry no browser capability");
    // Only the create answer opens the page; the snapshot names it without the secret.
    assert.equal(s.url, `${base}/c/${s.id}#${s.client_secret}`);
    assert.equal(created.json.data.object.url, `${base}/c/${s.id}`);
    assert.equal(created.json.data.object.checkout_url, `${base}/c/${s.id}`);
    assert.ok(!JSON.stringify(created.json).includes(s.client_secret), "the delivered body never holds the client secret");

    const got = await api("GET", `/v1/events/${event.id}`, { token: key });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, event);

    // Pay it: the watcher's events are delivered by the same cron run.
    await paySession(s);
    await mine(3);
    await runScheduled();
    await mine(3);
    await runScheduled();
    const listed = await sessionEvents(s.id, { key });
    const types = listed.map((e) => e.type);
    assert.ok(types.includes("session.paid"), types.join());
    for (const e of listed) {
      // (The cron has no request origin: without PUBLIC_BASE_URL its snapshots hold a path.)
      assert.ok(e.data.object.url.endsWith(`/c/${s.id}`), `${e.type}: the page without the secret: ${e.data.object.url}`);
      assert.ok(!JSON.stringify(e).includes(s.client_secret), `${e.type}: no client secret in GET /v1/events`);
    }
    await receiver.until((r) => new Set(r.map((q) => q.id)).size >= types.length, 15_000, "every event");
    assert.ok(receiver.requests.every((q) => q.verified));
    assert.deepEqual(new Set(receiver.processed().map((q) => q.json.type)), new Set(types));
    // The snapshot is frozen at event time: each body carries its own version.
    const versions = receiver.processed().map((q) => q.json.data.object.version);
    assert.equal(new Set(versions).size, versions.length, versions.join());

    await paidOnly.until((r) => r.length >= 1, 10_000, "session.paid on the filtered endpoint");
    await sleep(300);
    assert.deepEqual(paidOnly.processed().map((q) => q.json.type), ["session.paid"]);
    assert.ok(paidOnly.requests.every((q) => q.verified));

    const list = await deliveries(all.id, { key });
    assert.equal(list.length, types.length);
    for (const d of list) {
      assert.equal(d.object, "webhook_delivery");
      assert.equal(d.status, "delivered");
      assert.equal(d.next_attempt_at, null);
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].status_code, 204);
      assert.equal(d.attempts[0].error, null);
      assert.equal(typeof d.attempts[0].latency_ms, "number");
      assert.ok(Date.parse(d.attempts[0].at) > 0);
    }
    const byEvent = await deliveries(all.id, { key, query: `&event=${event.id}` });
    assert.deepEqual(byEvent.map((d) => d.event), [event.id]);
    assert.ok(!JSON.stringify(await sessionEvents(s.id, { key })).includes(all.secret.slice(6)), "no secret in events");
  });
});

test("faults: receiver down for several attempts, then up → every event delivered exactly once after dedupe", async () => {
  await withReceiver(async (receiver) => {
    const key = (await newAccount()).keys.sk_test;
    const hook = await newHook(receiver, { key });
    await receiver.down();

    const sessions = [await session(key), await session(key)];
    await cancelSession(sessions[1].id, { key });
    // Attempt 1 right away, attempt 2 five seconds later, both refused.
    const afterTwo = await deliveriesUntil(key, hook.id, (ds) => ds.length === 3 && ds.every((d) => d.attempts.length === 2), "two attempts each");
    for (const d of afterTwo) {
      assert.equal(d.status, "pending");
      assert.equal(d.attempts[0].status_code, null);
      assert.match(d.attempts[0].error, /no response/);
      const gap = Date.parse(d.attempts[1].at) - Date.parse(d.attempts[0].at);
      assert.ok(gap >= 4_000, `second attempt ${gap} ms after the first`);
      const wait = Date.parse(d.next_attempt_at) - Date.parse(d.attempts[1].at);
      assert.ok(wait >= 299_000 && wait <= 302_000, `third attempt due ${wait} ms later`);
    }
    // Two more cron attempts while still down: 5 min, then 30 min.
    for (const seconds of [300, 1800]) {
      await advanceEndpoint(key, hook.id, seconds);
      await runScheduled();
    }
    const afterFour = await deliveries(hook.id, { key });
    assert.deepEqual(afterFour.map((d) => d.attempts.length), [4, 4, 4]);
    assert.ok(afterFour.every((d) => d.status === "pending"));

    await receiver.up();
    await advanceEndpoint(key, hook.id, 7200);
    await runScheduled();
    const done = await deliveries(hook.id, { key });
    assert.ok(done.every((d) => d.status === "delivered"), JSON.stringify(done));
    assert.deepEqual(done.map((d) => d.attempts.at(-1).status_code), [204, 204, 204]);

    const expected = [...(await sessionEvents(sessions[0].id, { key })), ...(await sessionEvents(sessions[1].id, { key }))];
    const processed = receiver.processed();
    assert.deepEqual(processed.map((q) => q.id).sort(), expected.map((e) => e.id).sort());
    assert.ok(receiver.requests.every((q) => q.verified));
    // A cron run after delivery sends nothing again.
    const before = receiver.requests.length;
    await advanceEndpoint(key, hook.id, 86_400);
    await runScheduled();
    assert.equal(receiver.requests.length, before);
  });
});

test("faults: first attempts per (endpoint, session) go out in version order", async () => {
  await withReceiver(async (receiver) => {
    receiver.mode = "500";
    const key = (await newAccount()).keys.sk_test;
    const hook = await newHook(receiver, { key });
    const s = await session(key);
    await paySession(s);
    await runScheduled(); // detected
    await mine(1);
    await runScheduled(); // paid
    const expected = await sessionEvents(s.id, { key });
    assert.ok(expected.length >= 3, expected.map((e) => e.type).join());
    await receiver.until((r) => new Set(r.map((q) => q.id)).size >= expected.length, 15_000, "every first attempt");
    const firsts = [];
    for (const q of receiver.requests) if (!firsts.some((f) => f.id === q.id)) firsts.push(q);
    const versions = firsts.map((q) => q.json.data.object.version);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `first attempts in version order: ${versions}`);
    assert.ok(receiver.requests.every((q) => q.verified));
  });
});

test("faults: 500s follow the schedule to failed; 410 disables the endpoint; redirects are not followed", async () => {
  await withReceiver(async (receiver) => {
    const key = (await newAccount()).keys.sk_test;
    const hook = await newHook(receiver, { key });

    receiver.mode = "500";
    await session(key);
    await deliveriesUntil(key, hook.id, (ds) => ds[0]?.attempts.length === 2, "two attempts");
    for (const seconds of [300, 1800, 7200, 18000, 36000, 36000]) {
      await advanceEndpoint(key, hook.id, seconds);
      await runScheduled();
    }
    const [failed] = await deliveries(hook.id, { key });
    assert.equal(failed.status, "failed");
    assert.equal(failed.next_attempt_at, null);
    assert.deepEqual(failed.attempts.map((a) => a.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(failed.attempts.every((a) => a.status_code === 500 && a.error === "HTTP 500"));
    assert.equal(receiver.requests.length, 8);
    assert.equal(new Set(receiver.requests.map((q) => q.timestamp)).size >= 2, true, "re-signed with the time of each attempt");
    assert.ok(receiver.requests.every((q) => q.verified && q.body === receiver.requests[0].body), "the body is frozen");

    receiver.mode = "redirect";
    await session(key);
    const redirected = await deliveriesUntil(key, hook.id, (ds) => ds.length === 2 && ds[0].attempts.length === 2, "two redirected attempts");
    assert.equal(redirected[0].attempts[0].status_code, 302);
    assert.equal(redirected[0].attempts[0].error, "redirect (302) not followed");
    await sleep(500);
    assert.ok(!receiver.requests.some((q) => q.path === "/moved"), "the redirect was not followed");

    receiver.mode = "410";
    await session(key);
    await deliveriesUntil(key, hook.id, (ds) => ds.length === 3 && ds[0].status === "failed", "the 410");
    const gone = await deliveries(hook.id, { key });
    assert.equal(gone[0].attempts.length, 1);
    assert.equal(gone[0].attempts[0].status_code, 410);
    const disabled = await api("GET", `/v1/webhook_endpoints/${hook.id}`, { token: key });
    assert.equal(disabled.body.enabled, false);
    const count = receiver.requests.length;
    await session(key);
    await sleep(1_000);
    assert.equal(receiver.requests.length, count, "a disabled endpoint gets nothing");
    assert.equal((await deliveries(hook.id, { key })).length, 3);
  });
});

test("faults: an endpoint that never answers is cut off after 10 s and retried", async () => {
  await withReceiver(async (receiver) => {
    receiver.mode = "hang";
    const key = (await newAccount()).keys.sk_test;
    const hook = await newHook(receiver, { key });
    await session(key);
    await receiver.until((r) => r.length === 1, 5_000, "the first attempt");
    receiver.mode = "ok";
    const [d] = await deliveriesUntil(key, hook.id, (ds) => ds[0]?.status === "delivered", "the retry after the timeout", 30_000);
    assert.equal(d.attempts[0].status_code, null);
    assert.equal(d.attempts[0].error, "timed out after 10 s");
    assert.ok(d.attempts[0].latency_ms >= 9_900 && d.attempts[0].latency_ms < 13_000, String(d.attempts[0].latency_ms));
    assert.equal(d.attempts[1].status_code, 204);
    assert.equal(receiver.processed().length, 1);
  });
});

test("faults: a hanging endpoint costs one timeout; another endpoint is served in the same run", async () => {
  await withReceivers(2, async (hanging, healthy) => {
    hanging.mode = "500";
    healthy.mode = "500";
    const key = (await newAccount()).keys.sk_test;
    const h = await newHook(hanging, { key });
    const k = await newHook(healthy, { key });
    for (let i = 0; i < 3; i++) await session(key);
    for (const e of [h, k]) {
      await deliveriesUntil(key, e.id, (ds) => ds.length === 3 && ds.every((d) => d.attempts.length === 2), "two attempts each");
    }
    hanging.mode = "hang";
    healthy.mode = "ok";
    await advanceEndpoint(key, h.id, 300);
    await advanceEndpoint(key, k.id, 300);
    const started = Date.now();
    await runScheduled();
    const took = Date.now() - started;
    assert.ok(took < 16_000, `the run took ${took} ms: one timeout, not one per delivery`);

    const served = await deliveries(k.id, { key });
    assert.ok(served.every((d) => d.status === "delivered"), "the healthy endpoint was served in the same run");
    const stuck = await deliveries(h.id, { key });
    const tried = stuck.filter((d) => d.attempts.length === 3);
    assert.equal(tried.length, 1, "one attempt to the hanging endpoint");
    assert.equal(tried[0].attempts[2].error, "timed out after 10 s");
    const waiting = stuck.filter((d) => d.attempts.length === 2);
    assert.equal(waiting.length, 2);
    for (const d of waiting) {
      const wait = Date.parse(d.next_attempt_at) - Date.now();
      assert.ok(wait > 30_000, `its other deliveries wait (${wait} ms), untried`);
    }
  });
});

test("faults: two overlapping cron runs never send the same attempt twice", async () => {
  await withReceiver(async (receiver) => {
    receiver.mode = "500";
    const key = (await newAccount()).keys.sk_test;
    const hook = await newHook(receiver, { key });
    for (let i = 0; i < 4; i++) await session(key);
    await deliveriesUntil(key, hook.id, (ds) => ds.length === 4 && ds.every((d) => d.attempts.length === 2), "two attempts each");
    const before = receiver.requests.length;
    receiver.mode = "ok";
    await advanceEndpoint(key, hook.id, 300);
    await Promise.all([runScheduled(), runScheduled(), runScheduled()]);
    const round = receiver.requests.slice(before);
    assert.equal(round.length, 4, `one third attempt per delivery, got ${round.length}`);
    assert.equal(new Set(round.map((q) => q.id)).size, 4);
    const after = await deliveries(hook.id, { key });
    assert.ok(after.every((d) => d.status === "delivered" && d.attempts.length === 3), JSON.stringify(after));
  });
});

test("rotation: both secrets sign for 24 h, then only the new one; redeliver resends the same event", async () => {
  await withReceiver(async (receiver) => {
    const key = (await newAccount()).keys.sk_test;
    const hook = await createEndpoint(receiver.url, { key });
    const old = hook.secret;
    const rotated = await api("POST", `/v1/webhook_endpoints/${hook.id}/rotate_secret`, { token: key });
    const fresh = rotated.body.secret;
    receiver.secrets = [old, fresh];

    await session(key);
    const [first] = await receiver.until((r) => r.length === 1, 10_000, "a delivery");
    assert.equal(first.signature.split(" ").length, 2, "two space-separated signatures");
    assert.deepEqual(first.verifiedWith, [old, fresh], "each secret verifies on its own");

    await advanceEndpoint(key, hook.id, 86_400);
    const s = await session(key);
    await receiver.until((r) => r.length === 2, 10_000, "a second delivery");
    const second = receiver.requests[1];
    assert.equal(second.signature.split(" ").length, 1);
    assert.deepEqual(second.verifiedWith, [fresh], "the old secret no longer signs");

    const [event] = await sessionEvents(s.id, { key });
    const again = await api("POST", `/v1/events/${event.id}/redeliver`, { token: key });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await receiver.until((r) => r.length === 3, 10_000, "the redelivery");
    const third = receiver.requests[2];
    assert.equal(third.id, event.id, "the same webhook-id");
    assert.equal(third.body, second.body, "the same body bytes");
    assert.ok(third.verified);
    const list = await deliveries(hook.id, { key, query: `&event=${event.id}` });
    assert.deepEqual(list[0].attempts.map((a) => a.status_code), [204, 204]);

    assertError(await api("POST", `/v1/events/${event.id}/redeliver`, { token: key, json: { endpoint: "we_nope" } }), 400, "invalid_request_error", "resource_missing");
    const other = await newAccount();
    assertError(await api("POST", `/v1/events/${event.id}/redeliver`, { token: other.keys.sk_test }), 404, "not_found_error");
    assertError(await api("GET", `/v1/events/${event.id}`, { token: other.keys.sk_test }), 404, "not_found_error");
  });
});

test("events: paginated newest first with starting_after / ending_before, filtered by type and session", async () => {
  const account = await newAccount();
  const key = account.keys.sk_test;
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await session(key));
  const all = await api("GET", "/v1/events?limit=100", { token: key });
  assert.equal(all.status, 200);
  const ids = all.body.data.map((e) => e.id);
  assert.equal(ids.length, 5);
  assert.deepEqual(all.body.data.map((e) => e.data.object.id), made.map((s) => s.id).reverse(), "newest first");

  const page1 = await api("GET", "/v1/events?limit=2", { token: key });
  assert.deepEqual(page1.body.data.map((e) => e.id), ids.slice(0, 2));
  assert.equal(page1.body.has_more, true);
  const page2 = await api("GET", `/v1/events?limit=2&starting_after=${ids[1]}`, { token: key });
  assert.deepEqual(page2.body.data.map((e) => e.id), ids.slice(2, 4));
  const page3 = await api("GET", `/v1/events?limit=2&starting_after=${ids[3]}`, { token: key });
  assert.deepEqual(page3.body.data.map((e) => e.id), ids.slice(4));
  assert.equal(page3.body.has_more, false);
  const back = await api("GET", `/v1/events?limit=2&ending_before=${ids[4]}`, { token: key });
  assert.deepEqual(back.body.data.map((e) => e.id), ids.slice(2, 4));
  assert.equal(back.body.has_more, true);

  await cancelSession(made[0].id, { key });
  const byType = await api("GET", "/v1/events?type=session.canceled", { token: key });
  assert.deepEqual(byType.body.data.map((e) => e.data.object.id), [made[0].id]);
  const bySession = await api("GET", `/v1/events?session=${made[0].id}`, { token: key });
  assert.deepEqual(bySession.body.data.map((e) => e.type), ["session.canceled", "session.created"]);

  const other = await newAccount();
  assertError(await api("GET", `/v1/events?starting_after=${ids[0]}`, { token: other.keys.sk_test }), 400, "invalid_request_error", "resource_missing");
  assertError(await api("GET", "/v1/events/evt_nope", { token: key }), 404, "not_found_error");
});

test("the README's receivers (Node and Python, official libraries) verify real deliveries", async () => {
  const { spawn } = await import("node:child_process");
  const { createServer } = await import("node:net");
  const freePort = () =>
    new Promise((ok) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => ok(port));
      });
    });
  const account = await newAccount();
  const key = account.keys.sk_test;
  const started = [];
  try {
    for (const [program, file] of [
      [process.execPath, "examples/webhooks/receiver.mjs"],
      [".kasse/venv/bin/python", "examples/webhooks/receiver.py"],
    ]) {
      const port = await freePort();
      const hook = await createEndpoint(`http://127.0.0.1:${port}/kasse`, { key, events: ["session.created", "session.canceled"] });
      const child = spawn(program, [file, String(port)], { env: { ...process.env, KASSE_WEBHOOK_SECRET: hook.secret } });
      const out = { text: "", err: "" };
      child.stdout.on("data", (d) => (out.text += d));
      child.stderr.on("data", (d) => (out.err += d));
      started.push({ child, out, file });
    }
    await sleep(1_500); // both listening
    const s = await session(key);
    await cancelSession(s.id, { key });
    for (const { out, file } of started) {
      const end = Date.now() + 15_000;
      while (Date.now() < end && out.text.trim().split("\n").filter(Boolean).length < 2) await sleep(100);
      assert.deepEqual(
        out.text.trim().split("\n"),
        [`session.created ${s.id} pending`, `session.canceled ${s.id} canceled`],
        `${file}: ${out.err}`,
      );
    }
  } finally {
    for (const { child } of started) child.kill();
  }
});
