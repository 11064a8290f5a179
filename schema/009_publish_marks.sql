-- 009_publish_marks.sql: the deployment's own messages come from one daemon, not from each.
-- Topics roi (every roi.publish_interval) and model (a switch of model) describe the whole
-- deployment, yet every daemon on the database published them. A daemon now publishes one
-- only after it moved the topic's mark here: for roi the interval (its start, in Unix seconds
-- of the database's clock), for model the version. Another daemon finds the mark moved and
-- stays quiet. One row per topic: the table never grows.
CREATE TABLE publish_marks (
    topic         text PRIMARY KEY,
    roi_slot      bigint,
    model_version text,
    marked_at     timestamptz NOT NULL DEFAULT now()
);
