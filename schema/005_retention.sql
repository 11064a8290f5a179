-- 005_retention.sql: raw-event retention works on when an event was stored, in bounded batches.
CREATE INDEX events_received_idx ON events (received_at);
