-- 002_training.sql: point-in-time feature snapshots, the examples retraining learns from.
-- The daemon writes one row per contact and active day: the contact's raw feature values as they
-- stood at the end of that day (as_of), before any later event was applied. Training labels a
-- snapshot from the events table (a conversion within the label horizon after as_of), so no
-- feature can see the future of its label. contact_id leads the key, as in 001, for Citus.

CREATE TABLE contact_snapshots (
    contact_id text NOT NULL,
    day        date NOT NULL,
    as_of      timestamptz NOT NULL,
    spec_hash  text NOT NULL,
    features   jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contact_id, day)
);
CREATE INDEX contact_snapshots_as_of_idx ON contact_snapshots (as_of);
