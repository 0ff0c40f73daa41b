-- +goose Up
-- +goose StatementBegin

-- A claim bills one encounter's charges to one coverage. Corrections are new claims
-- (frequency 7 replacement, 8 void) that point at the original.
CREATE TABLE claims (
    id                      uuid PRIMARY KEY,
    case_id                 uuid NOT NULL REFERENCES cases(id),
    encounter_id            uuid NOT NULL REFERENCES encounters(id),
    coverage_id             uuid NOT NULL REFERENCES coverages(id),
    payer_id                uuid NOT NULL REFERENCES payers(id),
    priority                text NOT NULL CHECK (priority IN ('primary', 'secondary', 'tertiary')),
    frequency               text NOT NULL DEFAULT '1' CHECK (frequency IN ('1', '7', '8')),
    original_claim_id       uuid REFERENCES claims(id),
    -- Sent as CLM01 and echoed back in 277CA/835 (CLP01); short, opaque, no PHI.
    patient_control_number  text NOT NULL UNIQUE,
    payer_claim_number      text NOT NULL DEFAULT '',
    stage                   text NOT NULL DEFAULT 'created',
    diagnoses               text[] NOT NULL CHECK (cardinality(diagnoses) BETWEEN 1 AND 12),
    total_charge            numeric(14,2) NOT NULL CHECK (total_charge >= 0),
    paid                    numeric(14,2) NOT NULL DEFAULT 0,
    patient_responsibility  numeric(14,2) NOT NULL DEFAULT 0,
    stage_changed_at        timestamptz NOT NULL DEFAULT now(),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((frequency = '1') = (original_claim_id IS NULL))
);
-- One original claim per encounter and coverage; retried activities find it.
CREATE UNIQUE INDEX claims_one_original ON claims (encounter_id, coverage_id) WHERE frequency = '1';
CREATE INDEX claims_case ON claims (case_id);
CREATE INDEX claims_stage_age ON claims (stage, stage_changed_at);

CREATE TABLE claim_lines (
    id                  uuid PRIMARY KEY,
    claim_id            uuid NOT NULL REFERENCES claims(id),
    charge_id           uuid NOT NULL REFERENCES charges(id),
    line_number         integer NOT NULL CHECK (line_number BETWEEN 1 AND 50),
    procedure_code      text NOT NULL,
    modifiers           text[] NOT NULL DEFAULT '{}',
    units               integer NOT NULL CHECK (units > 0),
    charge              numeric(14,2) NOT NULL CHECK (charge >= 0),
    diagnosis_pointers  integer[] NOT NULL,
    service_date        date NOT NULL,
    UNIQUE (claim_id, line_number),
    UNIQUE (claim_id, charge_id)
);

-- The timeline of a claim: every stage change with its cause, so stuck claims
-- (no event for N days) are a query.
CREATE TABLE claim_events (
    id          bigserial PRIMARY KEY,
    claim_id    uuid NOT NULL REFERENCES claims(id),
    at          timestamptz NOT NULL DEFAULT now(),
    from_stage  text NOT NULL DEFAULT '',
    to_stage    text NOT NULL,
    cause       text NOT NULL CHECK (cause IN ('user', 'system', 'scrub', '999', '277ca', '835', 'timer')),
    detail      jsonb NOT NULL DEFAULT '{}',
    actor_id    uuid
);
CREATE INDEX claim_events_claim ON claim_events (claim_id, at);

CREATE TRIGGER claim_events_append_only BEFORE UPDATE OR DELETE ON claim_events
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- X12 interchange control numbers (ISA13) must be unique per sender; a sequence
-- survives restarts and concurrent submitters.
CREATE SEQUENCE x12_interchange_control START 1 MAXVALUE 999999999 CYCLE;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP SEQUENCE x12_interchange_control;
DROP TABLE claim_events;
DROP TABLE claim_lines;
DROP TABLE claims;
-- +goose StatementEnd
