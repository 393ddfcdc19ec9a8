-- Webhook delivery. A claim writes a random `lease` beside `locked_until_unix`:
-- only the run holding the lease may record the attempt, so overlapping runs never send
-- or record one attempt twice.
ALTER TABLE webhook_deliveries ADD COLUMN lease TEXT;
CREATE INDEX webhook_deliveries_lease ON webhook_deliveries (lease);

-- First attempts per (endpoint, session) go out in version order: the claim looks for an
-- earlier delivery of the same session to the same endpoint that has not been tried.
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, session_id, attempts);

-- `GET /v1/webhook_endpoints/{id}/deliveries`, newest first.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_unix);
