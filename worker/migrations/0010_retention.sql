-- Retention: the cron deletes events, webhook deliveries and their attempts 30 days old,
-- oldest first, a bounded batch per run. These indexes let it find the oldest rows
-- without scanning the tables (the other indexes lead with the account or endpoint).
CREATE INDEX events_created ON events (created_unix);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_unix);

-- Event snapshots name the hosted page without the client secret. Events written before
-- that carried it as the URL fragment (`/c/{id}#{client_secret}`): strip it from the
-- stored bodies, which are also what redeliveries send. Nothing else in a body changes
-- (SQLite's JSON functions keep the minified text as it was).
UPDATE events SET body = json_set(body,
    '$.data.object.url',
    substr(json_extract(body, '$.data.object.url'), 1, instr(json_extract(body, '$.data.object.url'), '#') - 1),
    '$.data.object.checkout_url',
    substr(json_extract(body, '$.data.object.checkout_url'), 1, instr(json_extract(body, '$.data.object.checkout_url'), '#') - 1))
WHERE instr(json_extract(body, '$.data.object.url'), '#') > 0
  AND instr(json_extract(body, '$.data.object.checkout_url'), '#') > 0;
