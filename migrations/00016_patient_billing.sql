-- Patient billing and dunning: statements as sent, branding, channel consent, the
-- message outbox, payment links and processor events, collections placements.
-- +goose Up
-- +goose StatementBegin

-- Collections: a balance placed with an agency moves from patient A/R to
-- collections A/R; recoveries post against it with the agency's commission as an
-- expense; what the agency cannot collect is bad debt. A balance under the
-- small-balance threshold is written off instead of being placed.
INSERT INTO ledger_accounts (code, name, type) VALUES
    ('1150', 'A/R collections (placed with agency)', 'asset'),
    ('4950', 'Small-balance write-offs', 'contra_revenue'),
    ('6100', 'Collection agency commission', 'expense'),
    ('6200', 'Bad debt', 'expense');
-- Collections A/R is a receivable for the A/R aging report (migration 00011).
INSERT INTO report_receivable_accounts (code, label) VALUES
    ('1150', 'Collections A/R (placed with agency)');

-- Branding of statements and the payment page: one row for the practice
-- (scope 'practice') and optional overrides per location (scope the location id).
CREATE TABLE practice_branding (
    scope        text PRIMARY KEY,
    name         text NOT NULL DEFAULT '',
    address      text NOT NULL DEFAULT '',
    phone        text NOT NULL DEFAULT '',
    accent       text NOT NULL DEFAULT '' CHECK (accent = '' OR accent ~ '^#[0-9a-fA-F]{6}$'),
    message      text NOT NULL DEFAULT '',
    logo_png     bytea,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A statement as issued: content is everything needed to render it again
-- identically (JSON of the statement model), content_sha256 its hash, pdf the
-- bytes sent. idempotency_key makes issuing once per dunning step.
CREATE SEQUENCE statement_numbers START 100001;
CREATE TABLE statements (
    id               uuid PRIMARY KEY,
    number           text NOT NULL UNIQUE,
    patient_id       uuid NOT NULL REFERENCES patients(id),
    case_id          uuid REFERENCES cases(id),
    idempotency_key  text NOT NULL UNIQUE,
    amount_due       numeric(14,2) NOT NULL,
    due_date         date NOT NULL,
    content          jsonb NOT NULL,
    content_sha256   text NOT NULL,
    pdf              bytea NOT NULL,
    issued_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX statements_patient ON statements (patient_id, issued_at DESC);
CREATE TRIGGER statements_append_only BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Per-patient channel consent and the time zone quiet hours are counted in.
CREATE TABLE patient_contact_prefs (
    patient_id    uuid PRIMARY KEY REFERENCES patients(id),
    email_ok      boolean NOT NULL DEFAULT true,
    sms_ok        boolean NOT NULL DEFAULT true,
    time_zone     text NOT NULL DEFAULT 'America/Chicago',
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The outbox: one row per (account, step, channel), created before sending, so a
-- retried activity, a crashed worker or a replay never sends a step twice.
-- status: pending (not sent yet), sending (handed to the channel; a row found in
-- this state after a crash is not sent again), sent, skipped (no consent or no
-- address), failed.
CREATE TABLE dunning_messages (
    id           uuid PRIMARY KEY,
    account      text NOT NULL,
    step         text NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms', 'paper')),
    status       text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'unconfirmed')),
    recipient    text NOT NULL DEFAULT '',
    subject      text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',
    detail       text NOT NULL DEFAULT '',
    statement_id uuid REFERENCES statements(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    UNIQUE (account, step, channel)
);

-- The read model of each patient's dunning process for lists and the API.
CREATE TABLE dunning_accounts (
    patient_id    uuid PRIMARY KEY REFERENCES patients(id),
    status        text NOT NULL,
    step          text NOT NULL DEFAULT '',
    next_step     text NOT NULL DEFAULT '',
    next_at       timestamptz,
    balance       numeric(14,2) NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Payment links: the token is shown once (in the message) and stored as its
-- SHA-256; a link pays one patient balance and expires.
CREATE TABLE payment_links (
    id            uuid PRIMARY KEY,
    token_sha256  text NOT NULL UNIQUE,
    patient_id    uuid NOT NULL REFERENCES patients(id),
    statement_id  uuid REFERENCES statements(id),
    amount        numeric(14,2) NOT NULL CHECK (amount > 0),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Checkout sessions opened with the payment processor, and every webhook event
-- applied (event_id unique: an event is applied once).
CREATE TABLE payment_checkouts (
    id            uuid PRIMARY KEY,
    link_id       uuid NOT NULL REFERENCES payment_links(id),
    patient_id    uuid NOT NULL REFERENCES patients(id),
    amount        numeric(14,2) NOT NULL CHECK (amount > 0),
    status        text NOT NULL CHECK (status IN ('open', 'paid', 'declined')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE payment_events (
    event_id      text PRIMARY KEY,
    checkout_id   uuid NOT NULL REFERENCES payment_checkouts(id),
    type          text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);

-- Collections: one CSV file per hand-off run and each balance placed.
CREATE TABLE collection_exports (
    id          uuid PRIMARY KEY,
    file_name   text NOT NULL,
    csv         text NOT NULL,
    accounts    integer NOT NULL,
    total       numeric(14,2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE collection_placements (
    id           uuid PRIMARY KEY,
    patient_id   uuid NOT NULL REFERENCES patients(id),
    case_id      uuid NOT NULL REFERENCES cases(id),
    export_id    uuid REFERENCES collection_exports(id),
    amount       numeric(14,2) NOT NULL CHECK (amount > 0),
    status       text NOT NULL CHECK (status IN ('placed', 'recalled')),
    placed_at    timestamptz NOT NULL DEFAULT now(),
    recalled_at  timestamptz,
    UNIQUE (case_id, placed_at)
);
CREATE INDEX collection_placements_patient ON collection_placements (patient_id) WHERE status = 'placed';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE collection_placements;
DROP TABLE collection_exports;
DROP TABLE payment_events;
DROP TABLE payment_checkouts;
DROP TABLE payment_links;
DROP TABLE dunning_accounts;
DROP TABLE dunning_messages;
DROP TABLE patient_contact_prefs;
DROP TABLE statements;
DROP SEQUENCE statement_numbers;
DROP TABLE practice_branding;
DELETE FROM report_receivable_accounts WHERE code = '1150';
DELETE FROM ledger_accounts WHERE code IN ('1150', '4950', '6100', '6200');
-- +goose StatementEnd
