-- +goose Up
-- +goose StatementBegin

UPDATE ledger_accounts SET name = 'A/R insurance' WHERE code = '1200';
INSERT INTO ledger_accounts (code, name, type) VALUES ('4910', 'Contractual adjustments', 'contra_revenue');

-- One 835 transaction (ST..SE) as posted. A payer's trace number (TRN02) is unique
-- per payer, so (payer_key, trace_number) makes re-uploading a file a no-op.
CREATE TABLE remittances (
    id              uuid PRIMARY KEY,
    payer_key       text NOT NULL,
    trace_number    text NOT NULL,
    payer_name      text NOT NULL DEFAULT '',
    payment_amount  numeric(14,2) NOT NULL,
    payment_method  text NOT NULL DEFAULT '',
    file_sha256     text NOT NULL,
    claims_posted   integer NOT NULL DEFAULT 0,
    claims_unmatched integer NOT NULL DEFAULT 0,
    received_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payer_key, trace_number)
);

-- Each CLP of a remittance, matched to a claim by patient control number or not.
CREATE TABLE remittance_claims (
    id                      uuid PRIMARY KEY,
    remittance_id           uuid NOT NULL REFERENCES remittances(id),
    seq                     integer NOT NULL,
    claim_id                uuid REFERENCES claims(id),
    patient_control_number  text NOT NULL,
    status_code             text NOT NULL,
    charge                  numeric(14,2) NOT NULL,
    paid                    numeric(14,2) NOT NULL,
    contractual             numeric(14,2) NOT NULL DEFAULT 0,
    patient_responsibility  numeric(14,2) NOT NULL DEFAULT 0,
    payer_claim_number      text NOT NULL DEFAULT '',
    detail                  jsonb NOT NULL DEFAULT '{}',
    UNIQUE (remittance_id, seq)
);
CREATE INDEX remittance_claims_claim ON remittance_claims (claim_id);

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE remittance_claims;
DROP TABLE remittances;
DELETE FROM ledger_accounts WHERE code = '4910';
UPDATE ledger_accounts SET name = 'A/R insurance unbilled' WHERE code = '1200';
-- +goose StatementEnd
