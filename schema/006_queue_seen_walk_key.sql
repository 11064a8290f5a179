-- 006_queue_seen_walk_key.sql: a queue walk's rows side by side in queue_seen's key.
-- A page records its contacts in one statement. Keyed (contact_id, walk_id), each of its rows
-- landed on a leaf page of its own, scattered over the whole index: 50 random index pages
-- read and dirtied per queue read, more as the table grows. Keyed (walk_id, contact_id), a
-- page's rows share one or two. The key still holds contact_id (docs/SCALING.md); forgetting
-- a contact scans queue_seen instead, which walk expiry keeps small.
ALTER TABLE queue_seen DROP CONSTRAINT queue_seen_pkey;
ALTER TABLE queue_seen ADD PRIMARY KEY (walk_id, contact_id);
