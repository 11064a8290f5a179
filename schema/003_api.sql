-- 003_api.sql: the SDR interface: leases on contacts, queue walks (stable pagination), segments.
-- contact_id leads every key, as in 001, so that Citus can distribute these tables with contacts.

-- The segment a CRM puts a contact in (contact.updated data.segment), for queue filters.
ALTER TABLE contacts ADD COLUMN segment text;

-- The queue is read best first among the contacts that may be called; this index serves it.
CREATE INDEX contacts_queue_idx ON contacts (score DESC, contact_id)
    WHERE score IS NOT NULL AND consent AND NOT bounced AND NOT unsubscribed;

-- A claim: one SDR works the contact until expires_at. A row whose expires_at has passed is no
-- lease at all (the contact is back in the queue); the next claim overwrites it. The primary key
-- is what makes a double lease impossible, whatever the readers saw.
CREATE TABLE leases (
    contact_id text PRIMARY KEY,
    sdr        text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX leases_expires_idx ON leases (expires_at);

-- The contacts each page of a queue walk returned. A later page lists the best contacts this
-- walk has not returned yet, so a walk never repeats a contact and never skips one, however
-- scores move meanwhile; a repeated page request returns the same contacts again.
CREATE TABLE queue_seen (
    contact_id text NOT NULL,
    walk_id    text NOT NULL,
    page       integer NOT NULL,
    rank       integer NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contact_id, walk_id)
);
CREATE INDEX queue_seen_walk_idx ON queue_seen (walk_id, page, rank);
CREATE INDEX queue_seen_time_idx ON queue_seen (seen_at);
