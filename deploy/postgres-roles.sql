-- Two database roles for the outcome tracker on PostgreSQL (README, "Database roles").
--
--   outcomes_owner  owns the schema and runs `flask init-db` (the migrations); never used by the web app
--   outcomes_app    the role the web app and the other commands connect as: it reads and writes the
--                   business tables but may only SELECT and INSERT audit events, so it can neither
--                   change nor remove one, nor TRUNCATE the table, nor switch its triggers off
--                   (ALTER TABLE needs the owner; session_replication_role needs a superuser).
--
-- Run as outcomes_owner in the app's database, after every `init-db` (new tables need their grants):
--   psql "postgresql://outcomes_owner@HOST/outcomes" -v ON_ERROR_STOP=1 -f deploy/postgres-roles.sql
-- Another runtime role name: replace outcomes_app below.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM outcomes_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM outcomes_app;
REVOKE CREATE ON SCHEMA public FROM outcomes_app;
GRANT USAGE ON SCHEMA public TO outcomes_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO outcomes_app;
-- The audit trail: read and append only.
REVOKE UPDATE, DELETE ON audit_events FROM outcomes_app;
-- The schema version belongs to the owner's migrations.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM outcomes_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO outcomes_app;
