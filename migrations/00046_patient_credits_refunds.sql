-- Patient credits, refunds and collection-agency recoveries (issue 10). A credit
-- held on one case can pay what the patient owes on another, a credit balance
-- can be refunded with a manager's approval, and money a collection agency
-- recovers posts against collections A/R with its commission as an expense.
-- Prepayments need no table: they are patient payments taken before the
-- charges (journal kind 'prepayment') held as patient credit (2100) until a
-- charge posts and the ledger applies them.
-- +goose Up
-- +goose StatementBegin

-- Refunds payable: a refund a manager approved takes the money off the
-- patient's credit at once (so the same credit cannot be applied or refunded
-- twice) and holds it here until the processor (or a mailed check) pays it.
INSERT INTO ledger_accounts (code, name, type) VALUES
    ('2110', 'Refunds payable (approved, not yet paid)', 'liability');

-- A credit applied across cases: one row per application, whose one journal
-- moves the credit off the cases that held it onto the cases that owed.
-- idempotency_key makes a retried request apply once.
CREATE TABLE credit_applications (
    id               uuid PRIMARY KEY,
    patient_id       uuid NOT NULL REFERENCES patients(id),
    amount           numeric(14,2) NOT NULL CHECK (amount > 0),
    idempotency_key  text NOT NULL UNIQUE,
    request_hash     text NOT NULL DEFAULT '',
    note             text NOT NULL DEFAULT '',
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_applications_patient ON credit_applications (patient_id, created_at DESC);

-- A refund of a patient credit: requested by a biller, approved or rejected by
-- a manager (a task in the approvals queue), then paid by the card processor
-- (against the patient's card checkout) or by a mailed check. An approved card
-- refund the processor will not pay can be cancelled: the credit comes back.
CREATE TABLE patient_refunds (
    id               uuid PRIMARY KEY,
    patient_id       uuid NOT NULL REFERENCES patients(id),
    case_id          uuid NOT NULL REFERENCES cases(id),
    amount           numeric(14,2) NOT NULL CHECK (amount > 0),
    method           text NOT NULL CHECK (method IN ('card', 'check')),
    checkout_id      uuid REFERENCES payment_checkouts(id),
    reason           text NOT NULL,
    reference        text NOT NULL DEFAULT '',
    status           text NOT NULL CHECK (status IN ('requested', 'approved', 'refunded', 'rejected', 'cancelled')),
    idempotency_key  text NOT NULL UNIQUE,
    request_hash     text NOT NULL DEFAULT '',
    requested_by     uuid,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    decided_by       uuid,
    decided_at       timestamptz,
    decision_note    text NOT NULL DEFAULT '',
    processor_ref    text NOT NULL DEFAULT '',
    detail           text NOT NULL DEFAULT '',
    refunded_at      timestamptz
);
CREATE INDEX patient_refunds_patient ON patient_refunds (patient_id, requested_at DESC);
CREATE INDEX patient_refunds_open ON patient_refunds (status, requested_at) WHERE status IN ('requested', 'approved');

-- What credit applications and refunds did to each case, signed like a
-- payment (positive: money applied to the case; negative: money taken off it),
-- so that charges - payments - adjustments - moves = the ledger's open
-- balance per case (billing.CaseSummary). Append-only.
CREATE TABLE patient_credit_moves (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases(id),
    patient_id   uuid NOT NULL REFERENCES patients(id),
    kind         text NOT NULL CHECK (kind IN ('applied_in', 'applied_out', 'refund', 'refund_cancelled')),
    amount       numeric(14,2) NOT NULL CHECK (amount <> 0),
    source_type  text NOT NULL CHECK (source_type IN ('credit_application', 'refund')),
    source_id    uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, case_id, kind)
);
CREATE INDEX patient_credit_moves_case ON patient_credit_moves (case_id);
CREATE TRIGGER patient_credit_moves_append_only BEFORE UPDATE OR DELETE ON patient_credit_moves
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Money a collection agency recovered on a placed case: the gross the patient
-- paid (a payment row) and the agency's commission (an expense, 6100). Append-only.
CREATE TABLE collection_recoveries (
    id                uuid PRIMARY KEY,
    payment_id        uuid NOT NULL UNIQUE REFERENCES payments(id),
    patient_id        uuid NOT NULL REFERENCES patients(id),
    case_id           uuid NOT NULL REFERENCES cases(id),
    amount            numeric(14,2) NOT NULL CHECK (amount > 0),
    fee               numeric(14,2) NOT NULL CHECK (fee >= 0 AND fee <= amount),
    agency_reference  text NOT NULL DEFAULT '',
    received_at       timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collection_recoveries_patient ON collection_recoveries (patient_id, received_at DESC);
CREATE TRIGGER collection_recoveries_append_only BEFORE UPDATE OR DELETE ON collection_recoveries
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- A placement the agency gave up on is written off as bad debt (6200).
ALTER TABLE collection_placements DROP CONSTRAINT collection_placements_status_check;
ALTER TABLE collection_placements ADD CONSTRAINT collection_placements_status_check
    CHECK (status IN ('placed', 'recalled', 'written_off'));

-- The application role (migration 00031) reads and writes these; the moves
-- and recoveries are append-only for it.
GRANT SELECT, INSERT, UPDATE ON credit_applications, patient_refunds TO rcm_app;
GRANT SELECT, INSERT ON patient_credit_moves, collection_recoveries TO rcm_app;
REVOKE UPDATE, DELETE ON patient_credit_moves, collection_recoveries FROM rcm_app;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
UPDATE collection_placements SET status = 'recalled' WHERE status = 'written_off';
ALTER TABLE collection_placements DROP CONSTRAINT collection_placements_status_check;
ALTER TABLE collection_placements ADD CONSTRAINT collection_placements_status_check
    CHECK (status IN ('placed', 'recalled'));
DROP TABLE collection_recoveries;
DROP TABLE patient_credit_moves;
DROP TABLE patient_refunds;
DROP TABLE credit_applications;
DELETE FROM ledger_accounts WHERE code = '2110';
-- +goose StatementEnd
