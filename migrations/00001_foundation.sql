-- +goose Up
-- +goose StatementBegin

CREATE TABLE users (
    id          uuid PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('front_desk', 'provider', 'biller', 'manager', 'admin')),
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- API tokens are stored as SHA-256 hashes; the plaintext is shown once at issue time.
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users(id),
    name          text NOT NULL DEFAULT '',
    token_hash    text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

-- Append-only audit trail of every write. It names entities by id only, never PHI.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text NOT NULL,
    request_id   text NOT NULL DEFAULT '',
    changes      jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE TABLE locations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    npi         text,
    address1    text NOT NULL DEFAULT '',
    address2    text NOT NULL DEFAULT '',
    city        text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT '',
    zip         text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE providers (
    id          uuid PRIMARY KEY,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    credential  text NOT NULL DEFAULT '',
    npi         text NOT NULL UNIQUE,
    taxonomy    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fee_schedules (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- At most one default fee schedule.
CREATE UNIQUE INDEX fee_schedules_one_default ON fee_schedules (is_default) WHERE is_default;

CREATE TABLE fee_schedule_items (
    fee_schedule_id  uuid NOT NULL REFERENCES fee_schedules(id),
    procedure_code   text NOT NULL,
    description      text NOT NULL DEFAULT '',
    price            numeric(14,2) NOT NULL CHECK (price >= 0),
    PRIMARY KEY (fee_schedule_id, procedure_code)
);

CREATE TABLE patients (
    id             uuid PRIMARY KEY,
    first_name     text NOT NULL,
    last_name      text NOT NULL,
    date_of_birth  date NOT NULL,
    sex            text NOT NULL DEFAULT 'U' CHECK (sex IN ('F', 'M', 'U')),
    email          text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    address1       text NOT NULL DEFAULT '',
    address2       text NOT NULL DEFAULT '',
    city           text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT '',
    zip            text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_name ON patients (lower(last_name), lower(first_name));

CREATE TABLE cases (
    id               uuid PRIMARY KEY,
    patient_id       uuid NOT NULL REFERENCES patients(id),
    kind             text NOT NULL CHECK (kind IN ('private', 'insurance', 'mva', 'personal_injury', 'workers_comp')),
    title            text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    stage            text NOT NULL DEFAULT 'open',
    fee_schedule_id  uuid REFERENCES fee_schedules(id),
    opened_at        timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_patient ON cases (patient_id);
CREATE INDEX cases_stage ON cases (stage) WHERE status = 'open';

CREATE TABLE encounters (
    id                    uuid PRIMARY KEY,
    case_id               uuid NOT NULL REFERENCES cases(id),
    provider_id           uuid NOT NULL REFERENCES providers(id),
    location_id           uuid NOT NULL REFERENCES locations(id),
    service_date          date NOT NULL,
    checked_in_at         timestamptz NOT NULL,
    charges_completed_at  timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX encounters_case ON encounters (case_id);

CREATE TABLE charges (
    id                  uuid PRIMARY KEY,
    case_id             uuid NOT NULL REFERENCES cases(id),
    encounter_id        uuid NOT NULL REFERENCES encounters(id),
    procedure_code      text NOT NULL,
    modifiers           text[] NOT NULL DEFAULT '{}' CHECK (cardinality(modifiers) <= 4),
    units               integer NOT NULL CHECK (units > 0),
    diagnoses           text[] NOT NULL CHECK (cardinality(diagnoses) BETWEEN 1 AND 12),
    diagnosis_pointers  integer[] NOT NULL CHECK (cardinality(diagnosis_pointers) BETWEEN 1 AND 4),
    unit_price          numeric(14,2) NOT NULL CHECK (unit_price >= 0),
    amount              numeric(14,2) NOT NULL CHECK (amount >= 0),
    price_overridden    boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'voided')),
    void_reason         text NOT NULL DEFAULT '',
    voided_at           timestamptz,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charges_encounter ON charges (encounter_id);
CREATE INDEX charges_case ON charges (case_id);

CREATE TABLE payments (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases(id),
    patient_id       uuid NOT NULL REFERENCES patients(id),
    amount           numeric(14,2) NOT NULL CHECK (amount > 0),
    method           text NOT NULL CHECK (method IN ('cash', 'check', 'card', 'ach', 'other')),
    reference        text NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     text NOT NULL DEFAULT '',
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, idempotency_key)
);

CREATE TABLE adjustments (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases(id),
    amount           numeric(14,2) NOT NULL CHECK (amount > 0),
    reason           text NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     text NOT NULL DEFAULT '',
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, idempotency_key)
);

-- Work for people. business_key makes creation idempotent for retried activities.
CREATE TABLE tasks (
    id            uuid PRIMARY KEY,
    queue         text NOT NULL,
    kind          text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'done', 'cancelled')),
    business_key  text NOT NULL UNIQUE,
    case_id       uuid REFERENCES cases(id),
    encounter_id  uuid REFERENCES encounters(id),
    title         text NOT NULL,
    details       jsonb NOT NULL DEFAULT '{}',
    priority      integer NOT NULL DEFAULT 0,
    due_at        timestamptz,
    assignee_id   uuid REFERENCES users(id),
    claimed_at    timestamptz,
    completed_at  timestamptz,
    resolution    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_queue_open ON tasks (queue, priority DESC, created_at) WHERE status IN ('open', 'claimed');

-- Double-entry ledger. Amounts on lines are signed: debit positive, credit negative.
CREATE TABLE ledger_accounts (
    code  text PRIMARY KEY,
    name  text NOT NULL,
    type  text NOT NULL CHECK (type IN ('asset', 'liability', 'revenue', 'contra_revenue', 'expense'))
);

INSERT INTO ledger_accounts (code, name, type) VALUES
    ('1000', 'Cash', 'asset'),
    ('1100', 'A/R patient', 'asset'),
    ('1200', 'A/R insurance unbilled', 'asset'),
    ('1300', 'A/R held (legal cases)', 'asset'),
    ('2100', 'Patient credits', 'liability'),
    ('4000', 'Service revenue', 'revenue'),
    ('4900', 'Adjustments', 'contra_revenue');

CREATE TABLE journals (
    id               uuid PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    kind             text NOT NULL,
    case_id          uuid REFERENCES cases(id),
    source_type      text NOT NULL,
    source_id        uuid NOT NULL,
    memo             text NOT NULL DEFAULT '',
    posted_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journals_case ON journals (case_id);

CREATE TABLE journal_lines (
    id            bigserial PRIMARY KEY,
    journal_id    uuid NOT NULL REFERENCES journals(id),
    account_code  text NOT NULL REFERENCES ledger_accounts(code),
    case_id       uuid REFERENCES cases(id),
    patient_id    uuid REFERENCES patients(id),
    amount        numeric(14,2) NOT NULL CHECK (amount <> 0)
);
CREATE INDEX journal_lines_case_account ON journal_lines (case_id, account_code);
CREATE INDEX journal_lines_journal ON journal_lines (journal_id);

-- A journal must have at least two lines summing to zero. Checked at commit, so a
-- journal and its lines are written in one transaction and never seen unbalanced.
CREATE FUNCTION check_journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    n     integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, n
      FROM journal_lines WHERE journal_id = NEW.journal_id;
    IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'journal % is unbalanced: % lines summing to %', NEW.journal_id, n, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER journal_lines_balanced
    AFTER INSERT ON journal_lines
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_journal_balanced();

-- A journal with no lines at all is caught here.
CREATE FUNCTION check_journal_has_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM journal_lines WHERE journal_id = NEW.id) THEN
        RAISE EXCEPTION 'journal % has no lines', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER journals_have_lines
    AFTER INSERT ON journals
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_journal_has_lines();

-- Posted money is never edited: corrections are new, reversing journals.
CREATE TRIGGER journals_append_only BEFORE UPDATE OR DELETE ON journals
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE journal_lines;
DROP TABLE journals;
DROP FUNCTION check_journal_has_lines();
DROP FUNCTION check_journal_balanced();
DROP TABLE ledger_accounts;
DROP TABLE tasks;
DROP TABLE adjustments;
DROP TABLE payments;
DROP TABLE charges;
DROP TABLE encounters;
DROP TABLE cases;
DROP TABLE patients;
DROP TABLE fee_schedule_items;
DROP TABLE fee_schedules;
DROP TABLE providers;
DROP TABLE locations;
DROP TABLE audit_log;
DROP FUNCTION forbid_change();
DROP TABLE api_tokens;
DROP TABLE users;
-- +goose StatementEnd
