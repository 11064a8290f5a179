-- 008_queue_pages.sql: a queue walk's page is one row, its contacts an array in rank order.
-- queue_seen (003, 006) held a row per contact returned: a first page of 50 wrote 50 heap
-- tuples and 150 index entries, about half of the page's time in the database. A page is
-- now one row and two index entries; "not returned by this walk yet" hashes the walk's
-- arrays once per page instead of probing an index per candidate. Walks in progress keep
-- their pages.
CREATE TABLE queue_pages (
    walk_id     text NOT NULL,
    page        integer NOT NULL,
    contact_ids text[] NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (walk_id, page)
);
CREATE INDEX queue_pages_time_idx ON queue_pages (seen_at);

INSERT INTO queue_pages (walk_id, page, contact_ids, seen_at)
SELECT walk_id, page, array_agg(contact_id ORDER BY rank), min(seen_at)
  FROM queue_seen GROUP BY walk_id, page;

DROP TABLE queue_seen;
