-- +goose Up
-- +goose StatementBegin

-- How long a claim may wait for the payer before the claim workflow acts: no
-- 277CA after ack_wait_days raises a follow-up task; no 835 after
-- payment_wait_days sends a 276 status inquiry and raises a follow-up task.
ALTER TABLE payers
    ADD COLUMN ack_wait_days     integer NOT NULL DEFAULT 3 CHECK (ack_wait_days BETWEEN 1 AND 90),
    ADD COLUMN payment_wait_days integer NOT NULL DEFAULT 30 CHECK (payment_wait_days BETWEEN 1 AND 365);

-- Money a claim has settled besides the payer's payment, and where it stands in
-- appeals. paid and patient_responsibility exist since 00003.
ALTER TABLE claims
    ADD COLUMN contractual    numeric(14,2) NOT NULL DEFAULT 0,
    ADD COLUMN written_off    numeric(14,2) NOT NULL DEFAULT 0,
    ADD COLUMN to_patient     numeric(14,2) NOT NULL DEFAULT 0,
    ADD COLUMN appeal_level   integer NOT NULL DEFAULT 0 CHECK (appeal_level BETWEEN 0 AND 2),
    -- Secondary claims: what the prior payer adjudicated (loops 2320/2330/2430).
    ADD COLUMN prior_claim_id uuid REFERENCES claims(id),
    ADD COLUMN cob            jsonb;

ALTER TABLE claim_events DROP CONSTRAINT claim_events_cause_check;
ALTER TABLE claim_events ADD CONSTRAINT claim_events_cause_check
    CHECK (cause IN ('user', 'system', 'scrub', 'eligibility', '999', '277ca', '277', '835', 'timer'));

-- Every 837P sent for a claim, with what came back for it. submission_id is the
-- clearinghouse's idempotency key, so a retried submit sends once.
CREATE TABLE claim_submissions (
    id                  uuid PRIMARY KEY,
    claim_id            uuid NOT NULL REFERENCES claims(id),
    submission_id       text NOT NULL UNIQUE,
    interchange_control integer NOT NULL,
    frequency           text NOT NULL,
    status              text NOT NULL DEFAULT 'sent'
        CHECK (status IN ('sent', 'accepted', 'rejected', 'acknowledged')),
    reason              text NOT NULL DEFAULT '',
    submitted_at        timestamptz NOT NULL DEFAULT now(),
    acknowledged_at     timestamptz
);
CREATE INDEX claim_submissions_claim ON claim_submissions (claim_id, submitted_at);
CREATE INDEX claim_submissions_control ON claim_submissions (interchange_control);

-- Inbound acknowledgement files (999, 277CA, 277) applied to claims, once each.
-- 835s are keyed by payer and trace number in remittances instead.
CREATE TABLE edi_files (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('999', '277CA', '277')),
    sha256      text NOT NULL,
    source      text NOT NULL DEFAULT 'upload',
    summary     jsonb NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, sha256)
);

-- Tasks about a claim name it, so a claim's open work is one query.
ALTER TABLE tasks ADD COLUMN claim_id uuid REFERENCES claims(id);
CREATE INDEX tasks_claim ON tasks (claim_id) WHERE claim_id IS NOT NULL;

INSERT INTO ledger_accounts (code, name, type) VALUES ('4920', 'Insurance write-offs', 'contra_revenue');

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DELETE FROM ledger_accounts WHERE code = '4920';
DROP INDEX tasks_claim;
ALTER TABLE tasks DROP COLUMN claim_id;
DROP TABLE edi_files;
DROP TABLE claim_submissions;
ALTER TABLE claim_events DROP CONSTRAINT claim_events_cause_check;
ALTER TABLE claim_events ADD CONSTRAINT claim_events_cause_check
    CHECK (cause IN ('user', 'system', 'scrub', '999', '277ca', '835', 'timer'));
ALTER TABLE claims DROP COLUMN cob, DROP COLUMN prior_claim_id, DROP COLUMN appeal_level,
    DROP COLUMN to_patient, DROP COLUMN written_off, DROP COLUMN contractual;
ALTER TABLE payers DROP COLUMN payment_wait_days, DROP COLUMN ack_wait_days;
-- +goose StatementEnd
