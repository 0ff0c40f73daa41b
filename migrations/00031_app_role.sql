-- +goose Up
-- +goose StatementBegin

-- The application acts as rcm_app, a role that owns nothing: it may read and
-- write rows, but not drop, alter or truncate a table, nor disable a trigger
-- (all of which need ownership), and it may not update or delete audit rows
-- or reads of patient records at all. Migrations run as the database's owner;
-- `rcm` connections SET ROLE rcm_app (DATABASE_ROLE), so a bug or an injected
-- statement in the application cannot erase the audit trail.
--
-- Roles belong to the whole cluster: rcm_app is created once (here when the
-- migrating user may create roles, as a local superuser can; by the compose
-- topology's initdb script otherwise) and granted privileges in each database.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcm_app') THEN
        BEGIN
            CREATE ROLE rcm_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object THEN NULL; -- created meanwhile by a concurrent migration
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role rcm_app does not exist and % may not create it: create it as a superuser (CREATE ROLE rcm_app NOLOGIN; GRANT rcm_app TO %;) or set DATABASE_ROLE=none', current_user, current_user;
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'rcm_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT rcm_app TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% is not a member of rcm_app and may not grant it: GRANT rcm_app TO % as a superuser, or set DATABASE_ROLE=none', current_user, current_user;
        END;
    END IF;
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO rcm_app', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO rcm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rcm_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO rcm_app;
-- Tables and sequences later migrations create (as the same owner) get the same.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO rcm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO rcm_app;

-- The trails are append-only for the application, whatever the triggers say.
REVOKE UPDATE, DELETE ON audit_log FROM rcm_app;
REVOKE UPDATE, DELETE ON patient_access_log FROM rcm_app;
-- Migrations' bookkeeping is the owner's.
REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM rcm_app;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM rcm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM rcm_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM rcm_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM rcm_app;
REVOKE USAGE ON SCHEMA public FROM rcm_app;
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM rcm_app', current_database());
END
$$;
-- +goose StatementEnd
