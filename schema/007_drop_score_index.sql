-- 007_drop_score_index.sql: contacts_score_idx (001) served the queue until 004 ordered it by
-- queue_key (contacts_queue_idx). Nothing reads contacts in score order any more, and every
-- score change wrote an entry into it and left one for vacuum.
DROP INDEX contacts_score_idx;
