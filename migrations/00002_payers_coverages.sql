-- +goose Up
-- +goose StatementBegin

-- Insurance payers: who a claim is sent to. payer_id is the X12 payer ID.
CREATE TABLE payers (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    payer_id            text NOT NULL UNIQUE CHECK (payer_id ~ '^[A-Za-z0-9]{2,80}$'),
    type                text NOT NULL CHECK (type IN ('commercial', 'medicare', 'medicaid', 'auto', 'workers_comp', 'attorney', 'other')),
    timely_filing_days  integer NOT NULL DEFAULT 365 CHECK (timely_filing_days BETWEEN 1 AND 3650),
    appeal_window_days  integer NOT NULL DEFAULT 180 CHECK (appeal_window_days BETWEEN 1 AND 3650),
    address1            text NOT NULL DEFAULT '',
    address2            text NOT NULL DEFAULT '',
    city                text NOT NULL DEFAULT '',
    state               text NOT NULL DEFAULT '',
    zip                 text NOT NULL DEFAULT '',
    phone               text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now()
);

-- A case's insurance coverages, in billing order (primary, secondary, tertiary).
CREATE TABLE coverages (
    id                        uuid PRIMARY KEY,
    case_id                   uuid NOT NULL REFERENCES cases(id),
    payer_id                  uuid NOT NULL REFERENCES payers(id),
    priority                  text NOT NULL CHECK (priority IN ('primary', 'secondary', 'tertiary')),
    member_id                 text NOT NULL,
    group_number              text NOT NULL DEFAULT '',
    relationship              text NOT NULL DEFAULT 'self' CHECK (relationship IN ('self', 'spouse', 'child', 'other')),
    subscriber_first_name     text NOT NULL DEFAULT '',
    subscriber_last_name      text NOT NULL DEFAULT '',
    subscriber_date_of_birth  date,
    subscriber_sex            text NOT NULL DEFAULT 'U' CHECK (subscriber_sex IN ('F', 'M', 'U')),
    subscriber_address1       text NOT NULL DEFAULT '',
    subscriber_address2       text NOT NULL DEFAULT '',
    subscriber_city           text NOT NULL DEFAULT '',
    subscriber_state          text NOT NULL DEFAULT '',
    subscriber_zip            text NOT NULL DEFAULT '',
    effective_from            date NOT NULL,
    effective_to              date CHECK (effective_to IS NULL OR effective_to >= effective_from),
    status                    text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    created_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coverages_case ON coverages (case_id);
-- A case has at most one active coverage per priority.
CREATE UNIQUE INDEX coverages_one_active_per_priority ON coverages (case_id, priority) WHERE status = 'active';

-- The billing provider's tax ID and taxonomy for the 837P.
ALTER TABLE locations ADD COLUMN tax_id text NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN taxonomy text NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN tax_id text NOT NULL DEFAULT '';

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE providers DROP COLUMN tax_id;
ALTER TABLE locations DROP COLUMN taxonomy;
ALTER TABLE locations DROP COLUMN tax_id;
DROP TABLE coverages;
DROP TABLE payers;
-- +goose StatementEnd
