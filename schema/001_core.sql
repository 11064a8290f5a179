-- 001_core.sql: contacts, their events (the dedupe ledger), score audit, dead letters, model registry.
-- Every contact-keyed table has contact_id first in its primary key, so that a Citus deployment
-- can distribute them all by contact_id.

CREATE TABLE contacts (
    contact_id       text PRIMARY KEY,
    account          text,
    owner            text,
    consent          boolean NOT NULL DEFAULT true,
    bounced          boolean NOT NULL DEFAULT false,
    unsubscribed     boolean NOT NULL DEFAULT false,
    state            jsonb NOT NULL DEFAULT '{}',
    events_applied   bigint NOT NULL DEFAULT 0,
    first_seen       timestamptz,
    last_event_at    timestamptz,
    last_activity_at timestamptz,
    converted_at     timestamptz,
    score            smallint,
    probability      double precision,
    tier             char(1),
    reasons          jsonb,
    fit              double precision,
    engagement       double precision,
    model_version    text,
    scored_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_account_idx ON contacts (account) WHERE account IS NOT NULL;
CREATE INDEX contacts_score_idx ON contacts (score DESC, contact_id);

-- Applied events. The primary key is the dedupe key: (source, id) within the contact.
CREATE TABLE events (
    contact_id  text NOT NULL,
    source      text NOT NULL,
    event_id    text NOT NULL,
    type        text NOT NULL,
    time        timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    data        jsonb,
    PRIMARY KEY (contact_id, source, event_id)
);
CREATE INDEX events_time_idx ON events (time);

-- Every published score change, with the event and model behind it.
CREATE TABLE score_changes (
    contact_id     text NOT NULL,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    score          smallint NOT NULL,
    previous_score smallint,
    tier           char(1) NOT NULL,
    previous_tier  char(1),
    probability    double precision NOT NULL,
    model_version  text NOT NULL,
    event_source   text,
    event_id       text,
    reasons        jsonb,
    PRIMARY KEY (contact_id, seq)
);

-- Input that was never applied: bounded raw bytes and a one-line reason.
CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    transport    text NOT NULL,
    reason       text NOT NULL,
    event_source text,
    event_id     text,
    contact_id   text,
    raw          bytea NOT NULL,
    raw_bytes    integer NOT NULL
);
CREATE INDEX dead_letters_time_idx ON dead_letters (received_at);

-- The model registry: bundles on disk, at most one active.
CREATE TABLE models (
    version      text PRIMARY KEY,
    kind         text NOT NULL,
    path         text NOT NULL,
    manifest     jsonb NOT NULL,
    metrics      jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'candidate'
                 CHECK (status IN ('candidate', 'active', 'retired')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    promoted_at  timestamptz
);
CREATE UNIQUE INDEX models_one_active ON models ((true)) WHERE status = 'active';

-- Promotions in order, so that rollback knows what was active before.
CREATE TABLE model_promotions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version     text NOT NULL REFERENCES models (version),
    promoted_at timestamptz NOT NULL DEFAULT now(),
    reason      text NOT NULL
);
