-- +goose Up
-- +goose StatementBegin

-- Staff sign in to the web application with an email and a password (issue 12).
-- Only a bcrypt hash is stored. A run of failed sign-ins locks the user out for a
-- while (failed_sign_ins counts the run; locked_until ends it), so a password
-- cannot be guessed online. must_change_password is set when an admin (or
-- `rcm dev` for its bootstrap admin) hands out a one-time password: the user
-- chooses their own before doing anything else.
ALTER TABLE users
    ADD COLUMN password_hash        text,
    ADD COLUMN password_set_at      timestamptz,
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN failed_sign_ins      integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    ADD COLUMN locked_until         timestamptz;

-- Server-side sessions of the web application. The cookie carries a random
-- token; only its SHA-256 hash is stored (as for API tokens), so a copy of the
-- table signs nobody in. A session ends when signed out, when idle longer than
-- the application's idle limit (last_seen_at), or at expires_at, whichever comes
-- first; a disabled user's sessions stop working at once (the lookup joins users).
CREATE TABLE web_sessions (
    id            uuid PRIMARY KEY,
    token_hash    text NOT NULL UNIQUE,
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- The application signs people in and out: it reads, creates, touches and ends
-- sessions. (00031's default privileges cover a database migrated in order; this
-- grant covers one where 00031 ran first on another branch's database.)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcm_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO rcm_app;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE web_sessions;
ALTER TABLE users
    DROP COLUMN password_hash,
    DROP COLUMN password_set_at,
    DROP COLUMN must_change_password,
    DROP COLUMN failed_sign_ins,
    DROP COLUMN locked_until;
-- +goose StatementEnd
