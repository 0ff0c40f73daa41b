-- Creates the application and Temporal databases and their owners on first
-- start of the postgres service (the official postgres image runs the files in
-- /docker-entrypoint-initdb.d once, when the data volume is empty). It runs as
-- the POSTGRES_USER superuser; the passwords come from the container's
-- environment (see docker-compose.yml), never from this file.
--
--   rcm                  owned by role rcm       the application (DATABASE_URL);
--                                                its sessions act as rcm_app
--   temporal             owned by role temporal  Temporal persistence
--   temporal_visibility  owned by role temporal  Temporal visibility
--
-- Neither role is a superuser or may create databases or roles; each can
-- connect only to its own databases. The Temporal schema itself is created
-- by the temporal-schema service, the application schema by `rcm api` /
-- `rcm migrate up`.

\set ON_ERROR_STOP on
\getenv rcm_password RCM_DB_PASSWORD
\getenv temporal_password TEMPORAL_DB_PASSWORD
-- Fail the initialization (psql exits non-zero) if a password is missing.
\if :{?rcm_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'RCM_DB_PASSWORD is not set'; END $$;
\endif
\if :{?temporal_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'TEMPORAL_DB_PASSWORD is not set'; END $$;
\endif

CREATE ROLE rcm LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'rcm_password';
CREATE ROLE temporal LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'temporal_password';

-- The application's sessions act as rcm_app (DATABASE_ROLE), which owns
-- nothing: rows yes, the schema, triggers and the audit trail no (migration
-- 00031 grants its privileges). rcm owns the database and runs migrations.
CREATE ROLE rcm_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT rcm_app TO rcm;

CREATE DATABASE rcm OWNER rcm ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE temporal OWNER temporal ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE temporal_visibility OWNER temporal ENCODING 'UTF8' TEMPLATE template0;

-- Only the owner (and superusers) may connect.
REVOKE CONNECT, TEMPORARY ON DATABASE rcm FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE temporal FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE temporal_visibility FROM PUBLIC;
