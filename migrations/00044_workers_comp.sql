-- Workers' comp awaiting acceptance (issue 9): a workers' comp case's charges
-- wait unbilled until the carrier accepts the claim (then the case workflow
-- bills the carrier) or denies it (then the balance moves, by decision, to the
-- patient's health coverage or to the patient). One decision per case.
-- +goose Up
-- +goose StatementBegin
CREATE TABLE legal_wc_decisions (
    case_id        uuid PRIMARY KEY REFERENCES cases(id),
    decision       text NOT NULL CHECK (decision IN ('accepted', 'denied')),
    -- The carrier's claim number, given with its acceptance.
    claim_number   text NOT NULL DEFAULT '',
    -- Where a denied case's balance went: the patient's health coverage (a
    -- claim to it) or the patient.
    denied_to      text CHECK (denied_to IN ('health_coverage', 'patient')),
    reason         text NOT NULL DEFAULT '',
    decided_at     timestamptz NOT NULL,
    decided_by     uuid REFERENCES users(id),
    CHECK ((decision = 'accepted') = (claim_number <> '')),
    CHECK ((decision = 'denied') = (denied_to IS NOT NULL))
);

-- A decision is a record: rcm_app adds and reads it.
GRANT SELECT, INSERT ON legal_wc_decisions TO rcm_app;
REVOKE UPDATE, DELETE ON legal_wc_decisions FROM rcm_app;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE legal_wc_decisions;
-- +goose StatementEnd
