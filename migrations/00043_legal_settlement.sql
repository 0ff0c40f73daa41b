-- Settlement and release of held legal cases (issue 9): how held charges leave
-- held A/R. Each money move is a balanced journal written with its row here.
-- +goose Up
-- +goose StatementBegin

-- Attorney A/R: charges released to the attorney under a lien, owed from the
-- settlement check. Legal reductions: what the practice took off its bill at
-- the attorney's request (approved by a manager above a threshold), kept apart
-- from contractual adjustments so a manager sees what reductions cost. Legal
-- write-offs: the balance of a dropped case written off (no recovery).
INSERT INTO ledger_accounts (code, name, type) VALUES
    ('1310', 'A/R attorney (released liens)', 'asset'),
    ('4960', 'Legal reductions (negotiated lien reductions)', 'contra_revenue'),
    ('4965', 'Legal write-offs (dropped cases)', 'contra_revenue');
-- Attorney A/R is a receivable for the A/R aging report (migration 00011).
INSERT INTO report_receivable_accounts (code, label) VALUES
    ('1310', 'Attorney A/R (released liens)');

-- A hold is closed once nothing is held and nothing owed by the attorney.
ALTER TABLE holds DROP CONSTRAINT holds_status_check;
ALTER TABLE holds ADD CONSTRAINT holds_status_check
    CHECK (status IN ('held', 'settling', 'released', 'dropped', 'closed'));

-- A settlement as recorded, with the attorney's requested reduction and the
-- manager's decision. held_total is the held balance the reduction was asked
-- of; approved_reduction is what may be written off (NULL while pending). The
-- id derives from the hold's update, so a retried activity writes once.
CREATE TABLE legal_settlements (
    id                   uuid PRIMARY KEY,
    case_id              uuid NOT NULL REFERENCES cases(id),
    amount               numeric(14,2) NOT NULL CHECK (amount > 0),
    held_total           numeric(14,2) NOT NULL CHECK (held_total >= 0),
    requested_reduction  numeric(14,2) NOT NULL CHECK (requested_reduction >= 0 AND requested_reduction <= held_total),
    requested_percent    numeric(6,2) NOT NULL CHECK (requested_percent BETWEEN 0 AND 100),
    pay_via              text NOT NULL CHECK (pay_via IN ('attorney', 'insurer')),
    status               text NOT NULL CHECK (status IN ('pending_approval', 'approved', 'countered', 'refused', 'auto_approved')),
    approved_reduction   numeric(14,2) CHECK (approved_reduction >= 0 AND approved_reduction <= held_total),
    note                 text NOT NULL DEFAULT '',
    decision_note        text NOT NULL DEFAULT '',
    decided_by           uuid REFERENCES users(id),
    decided_at           timestamptz,
    recorded_at          timestamptz NOT NULL,
    recorded_by          uuid REFERENCES users(id),
    CHECK ((status = 'pending_approval') = (approved_reduction IS NULL))
);
CREATE INDEX legal_settlements_case ON legal_settlements (case_id, recorded_at);

-- A release of held charges to the attorney (held A/R -> attorney A/R, the
-- approved reduction written off) or to the auto insurer / WC carrier (held
-- A/R -> insurance A/R, and a claim per visit).
CREATE TABLE legal_releases (
    id             uuid PRIMARY KEY,
    case_id        uuid NOT NULL REFERENCES cases(id),
    settlement_id  uuid REFERENCES legal_settlements(id),
    target         text NOT NULL CHECK (target IN ('attorney', 'insurer')),
    payer_id       uuid REFERENCES payers(id),
    amount         numeric(14,2) NOT NULL CHECK (amount > 0),
    reduction      numeric(14,2) NOT NULL DEFAULT 0 CHECK (reduction >= 0 AND reduction <= amount),
    note           text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    created_by     uuid REFERENCES users(id)
);
CREATE INDEX legal_releases_case ON legal_releases (case_id, created_at);

-- Which charges each release took: the primary key makes a charge released
-- once, whatever retries or concurrent requests do.
CREATE TABLE legal_release_charges (
    charge_id   uuid PRIMARY KEY REFERENCES charges(id),
    release_id  uuid NOT NULL REFERENCES legal_releases(id),
    amount      numeric(14,2) NOT NULL
);
CREATE INDEX legal_release_charges_release ON legal_release_charges (release_id);

-- The claims a release to an insurer built (one per visit).
CREATE TABLE legal_release_claims (
    claim_id    uuid PRIMARY KEY REFERENCES claims(id),
    release_id  uuid NOT NULL REFERENCES legal_releases(id)
);

-- A dropped case (the attorney withdrew, no recovery): its remaining held and
-- attorney balance moved to the patient or written off. One per case.
CREATE TABLE legal_drops (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL UNIQUE REFERENCES cases(id),
    disposition  text NOT NULL CHECK (disposition IN ('patient', 'write_off')),
    amount       numeric(14,2) NOT NULL CHECK (amount >= 0),
    reason       text NOT NULL CHECK (reason <> ''),
    approved_by  uuid REFERENCES users(id),
    created_at   timestamptz NOT NULL,
    created_by   uuid REFERENCES users(id)
);

-- Money received on a legal case from the attorney or the insurer, posted
-- against their receivable. The idempotency key is the client's, per case.
CREATE TABLE legal_payments (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases(id),
    payer            text NOT NULL CHECK (payer IN ('attorney', 'insurer')),
    amount           numeric(14,2) NOT NULL CHECK (amount > 0),
    method           text NOT NULL,
    reference        text NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     text NOT NULL,
    created_at       timestamptz NOT NULL,
    created_by       uuid REFERENCES users(id),
    UNIQUE (case_id, idempotency_key)
);

-- rcm_app (migration 00031) writes these rows; releases, their charges and
-- claims, drops and payments are records of money moved: append-only.
GRANT SELECT, INSERT, UPDATE ON legal_settlements TO rcm_app;
GRANT SELECT, INSERT ON legal_releases, legal_release_charges, legal_release_claims, legal_drops, legal_payments TO rcm_app;
REVOKE UPDATE, DELETE ON legal_releases, legal_release_charges, legal_release_claims, legal_drops, legal_payments FROM rcm_app;
REVOKE DELETE ON legal_settlements FROM rcm_app;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE legal_payments;
DROP TABLE legal_drops;
DROP TABLE legal_release_claims;
DROP TABLE legal_release_charges;
DROP TABLE legal_releases;
DROP TABLE legal_settlements;
ALTER TABLE holds DROP CONSTRAINT holds_status_check;
ALTER TABLE holds ADD CONSTRAINT holds_status_check CHECK (status IN ('held', 'settling', 'released', 'dropped'));
DELETE FROM report_receivable_accounts WHERE code = '1310';
DELETE FROM ledger_accounts WHERE code IN ('1310', '4960', '4965');
-- +goose StatementEnd
