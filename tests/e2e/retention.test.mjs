// Retention: the cron deletes events, webhook deliveries and their attempts once they are
// 30 days old, and keeps everything younger (or acted on since).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ANY_OPTION, USD, api, assertError, createSession, deliveries, newAccount, newHook, ok, runScheduled, sessionEvents, sleep,
} from "../support/env.mjs";
import { withReceivers } from "../support/receiver.mjs";

const DAY = 86_400;

test("the cron purges events and deliveries older than 30 days and keeps younger or redelivered ones", async () => {
  await withReceivers(2, async (good, failing) => {
    failing.mode = "500";
    const key = (await newAccount()).keys.sk_test;
    const live = await newHook(good, { key });
    const stuck = await newHook(failing, { key });
    const session = () => createSession({ amount: USD("1.00"), ...ANY_OPTION }, { key });
    const [old, recent, fresh, revived] = [await session(), await session(), await session(), await session()];
    const eventsOf = (s) => sessionEvents(s.id, { key });
    const [oldEvent] = await eventsOf(old);
    const [revivedEvent] = await eventsOf(revived);

    // Every session.created is delivered to one endpoint, and fails twice at the other
    // (both attempts in the request), which is then disabled: its deliveries stay pending.
    let atLive = [];
    let atStuck = [];
    const end = Date.now() + 30_000;
    for (;;) {
      atLive = await deliveries(live.id, { key });
      atStuck = await deliveries(stuck.id, { key });
      if (atLive.filter((d) => d.status === "delivered").length === 4 && atStuck.filter((d) => d.attempts.length >= 2).length === 4) break;
      assert.ok(Date.now() < end, `deliveries: ${JSON.stringify({ atLive, atStuck })}`);
      await sleep(250);
    }
    assert.ok(atStuck.every((d) => d.status === "pending"), JSON.stringify(atStuck));
    ok(await api("POST", `/v1/webhook_endpoints/${stuck.id}`, { token: key, json: { enabled: false } }));

    const age = async (s, seconds) =>
      ok(await api("POST", `/v1/test_helpers/checkout_sessions/${s.id}/age_events`, { token: key, json: { seconds } }));
    assert.equal((await age(old, 31 * DAY)).events, 1);
    await age(recent, 29 * DAY);
    await age(revived, 31 * DAY);
    // A redelivery acts on an old event again: it is kept for 30 days after that.
    ok(await api("POST", `/v1/events/${revivedEvent.id}/redeliver`, { token: key }), 202);
    const until = Date.now() + 20_000;
    while ((await deliveries(live.id, { key })).find((d) => d.event === revivedEvent.id).attempts.length < 2) {
      assert.ok(Date.now() < until, "the redelivery was not made");
      await sleep(250);
    }

    await runScheduled();

    assert.deepEqual(await eventsOf(old), [], "the 31-day-old event is gone");
    assertError(await api("GET", `/v1/events/${oldEvent.id}`, { token: key }), 404, "not_found_error");
    const kept = {};
    for (const [name, s] of Object.entries({ recent, fresh, revived })) {
      const events = await eventsOf(s);
      assert.equal(events.length, 1, `${name}: its event is kept`);
      kept[name] = events[0].id;
    }
    const sorted = (ids) => [...ids].sort();
    const leftLive = await deliveries(live.id, { key });
    assert.deepEqual(sorted(leftLive.map((d) => d.event)), sorted([kept.recent, kept.fresh, kept.revived]));
    assert.ok(leftLive.every((d) => d.attempts.length >= 1), "kept deliveries keep their attempts");
    assert.equal(leftLive.find((d) => d.event === kept.revived).attempts.length, 2);
    // The disabled endpoint's pending deliveries of old events go too (nothing will send
    // them); the redelivered event stays for its live delivery.
    const leftStuck = await deliveries(stuck.id, { key });
    assert.deepEqual(sorted(leftStuck.map((d) => d.event)), sorted([kept.recent, kept.fresh]));
  });
});
