-- roles.sql: least-privilege roles for leadscore (not a migration: an admin applies it once,
-- and again after upgrades, as the owner of the database):
--
--   leadscore migrate --dsn "dbname=leadscore"          # tables, as their owner
--   psql -d leadscore -f schema/roles.sql                # the roles below and their grants
--   ALTER ROLE leadscore_daemon PASSWORD '...';          # or use peer/cert authentication
--
-- leadscore_daemon: what leadscored (and its API threads) needs: read and write contact data,
-- read the model registry. It cannot change the schema, nor register or promote models.
-- leadscore_admin: the CLI's jobs on top of that: training, the registry, migrations stay with
-- the owner.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leadscore_daemon') THEN
        CREATE ROLE leadscore_daemon LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leadscore_admin') THEN
        CREATE ROLE leadscore_admin LOGIN;
    END IF;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM leadscore_daemon, leadscore_admin;
GRANT USAGE ON SCHEMA public TO leadscore_daemon, leadscore_admin;

-- Contact data: the batch path, the API, forget and retention.
GRANT SELECT, INSERT, UPDATE, DELETE ON contacts, events, leases, queue_pages, roi_daily
    TO leadscore_daemon, leadscore_admin;
-- Which daemon publishes the deployment's roi and model messages (schema 009).
GRANT SELECT, INSERT, UPDATE ON publish_marks TO leadscore_daemon, leadscore_admin;
GRANT SELECT, INSERT, DELETE ON score_changes, dead_letters, contact_snapshots, outcomes
    TO leadscore_daemon, leadscore_admin;
GRANT USAGE ON SEQUENCE score_changes_seq_seq, dead_letters_id_seq
    TO leadscore_daemon, leadscore_admin;
-- UPDATE too: a retention pass locks the dead letters it drops (FOR UPDATE SKIP LOCKED).
GRANT UPDATE ON dead_letters TO leadscore_daemon, leadscore_admin;

-- The registry: the daemon only follows it; admins change it.
GRANT SELECT ON models, model_promotions, schema_migrations TO leadscore_daemon, leadscore_admin;
GRANT INSERT, UPDATE ON models TO leadscore_admin;
-- UPDATE too: rollback locks the promotion it returns to (SELECT ... FOR UPDATE).
GRANT INSERT, UPDATE ON model_promotions TO leadscore_admin;
GRANT USAGE ON SEQUENCE model_promotions_id_seq TO leadscore_admin;
