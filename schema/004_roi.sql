-- 004_roi.sql: the hold-out group and SDR outcomes, for time-saved and ROI figures.

-- Fixed when the contact is first seen (stable hash of its id at roi.holdout_percent), so a
-- later change of the share or of the model never moves a contact between groups.
ALTER TABLE contacts ADD COLUMN holdout boolean NOT NULL DEFAULT false;

-- A hold-out contact's place in the queue ignores its score: a fixed value in [0, 100) from
-- the same hash, so hold-out contacts are spread evenly through the queue, between scored
-- contacts, in an order that owes nothing to the model. queue_key is what the queue sorts by.
ALTER TABLE contacts ADD COLUMN holdout_key double precision;
ALTER TABLE contacts ADD COLUMN queue_key double precision
    GENERATED ALWAYS AS (CASE WHEN holdout THEN holdout_key ELSE score END) STORED;
DROP INDEX contacts_queue_idx;
CREATE INDEX contacts_queue_idx ON contacts (queue_key DESC, contact_id)
    WHERE score IS NOT NULL AND consent AND NOT bounced AND NOT unsubscribed;

-- One row per sdr.outcome event, with the contact's group and score when it was worked.
CREATE TABLE outcomes (
    contact_id text NOT NULL,
    source     text NOT NULL,
    event_id   text NOT NULL,
    time       timestamptz NOT NULL,
    sdr        text,
    outcome    text NOT NULL CHECK (outcome IN
                   ('connected', 'meeting_booked', 'disqualified', 'no_answer', 'nurture')),
    minutes    double precision NOT NULL CHECK (minutes >= 0),
    holdout    boolean NOT NULL,
    score      smallint,
    tier       char(1),
    PRIMARY KEY (contact_id, source, event_id)
);
CREATE INDEX outcomes_time_idx ON outcomes (time);

-- Per day and group, recomputed from outcomes, so history survives restarts.
CREATE TABLE roi_daily (
    day                  date NOT NULL,
    holdout              boolean NOT NULL,
    minutes              double precision NOT NULL,
    leads                integer NOT NULL,
    meetings             integer NOT NULL,
    disqualified         integer NOT NULL,
    disqualified_minutes double precision NOT NULL,
    reps                 integer NOT NULL,
    computed_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, holdout)
);
