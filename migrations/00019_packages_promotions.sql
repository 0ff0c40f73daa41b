-- +goose Up
-- +goose StatementBegin

-- Packages and promotions change only what a self-pay patient owes: the charge
-- keeps its fee-schedule amount (what a claim bills), and each discount is its own
-- journal against its own account.
INSERT INTO ledger_accounts (code, name, type) VALUES
    ('2300', 'Package credits (prepaid sessions)', 'liability'),
    ('4050', 'Forfeited package credits', 'revenue'),
    ('4930', 'Package discounts', 'contra_revenue'),
    ('4940', 'Promotion discounts', 'contra_revenue');

-- A package plan: N sessions of one procedure for a price, valid for some days;
-- what is unused at expiry is refunded or forfeited, by the plan's rule.
CREATE TABLE package_plans (
    id              uuid PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    procedure_code  text NOT NULL,
    sessions        integer NOT NULL CHECK (sessions BETWEEN 1 AND 1000),
    price           numeric(14,2) NOT NULL CHECK (price > 0),
    valid_days      integer NOT NULL CHECK (valid_days BETWEEN 1 AND 3660),
    expiry_rule     text NOT NULL CHECK (expiry_rule IN ('refund', 'forfeit')),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A package sold to a patient and paid up front: a credit (account 2300) tied to
-- the package, drawn down one session at a time.
CREATE TABLE patient_packages (
    id               uuid PRIMARY KEY,
    plan_id          uuid NOT NULL REFERENCES package_plans(id),
    patient_id       uuid NOT NULL REFERENCES patients(id),
    procedure_code   text NOT NULL,
    sessions         integer NOT NULL,
    price            numeric(14,2) NOT NULL,
    unit_price       numeric(14,2) NOT NULL,
    method           text NOT NULL CHECK (method IN ('cash', 'check', 'card', 'ach', 'other')),
    sold_at          timestamptz NOT NULL,
    expires_on       date NOT NULL,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'used', 'expired')),
    expiry_outcome   text CHECK (expiry_outcome IN ('refunded', 'forfeited')),
    expired_amount   numeric(14,2),
    expired_at       timestamptz,
    idempotency_key  text NOT NULL UNIQUE,
    created_by       uuid REFERENCES users(id)
);
CREATE INDEX patient_packages_patient ON patient_packages (patient_id, procedure_code) WHERE status = 'active';

-- Promotions: percent or fixed (per unit) off, for a procedure (or any), a patient
-- group (or anyone), between two service dates.
CREATE TABLE promotions (
    id              uuid PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value           numeric(14,2) NOT NULL CHECK (value > 0),
    procedure_code  text,
    patient_group   text,
    starts_on       date NOT NULL,
    ends_on         date NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on),
    CHECK (kind <> 'percent' OR value <= 100)
);

CREATE TABLE patient_group_members (
    group_name  text NOT NULL,
    patient_id  uuid NOT NULL REFERENCES patients(id),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_name, patient_id)
);

-- What a charge's patient did not owe: a package session (drawn from the credit,
-- the fee-schedule difference as a package discount) or a promotion. A void
-- reverses it (voided_at) with its own journal.
CREATE TABLE charge_discounts (
    id            uuid PRIMARY KEY,
    charge_id     uuid NOT NULL REFERENCES charges(id),
    kind          text NOT NULL CHECK (kind IN ('package', 'promotion')),
    package_id    uuid REFERENCES patient_packages(id),
    promotion_id  uuid REFERENCES promotions(id),
    sessions      integer NOT NULL DEFAULT 0,
    drawn         numeric(14,2) NOT NULL DEFAULT 0, -- from the package credit
    discount      numeric(14,2) NOT NULL DEFAULT 0, -- package or promotion discount
    created_at    timestamptz NOT NULL DEFAULT now(),
    voided_at     timestamptz,
    UNIQUE (charge_id, kind),
    CHECK ((kind = 'package') = (package_id IS NOT NULL)),
    CHECK ((kind = 'promotion') = (promotion_id IS NOT NULL))
);
CREATE INDEX charge_discounts_package ON charge_discounts (package_id) WHERE package_id IS NOT NULL;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE charge_discounts;
DROP TABLE patient_group_members;
DROP TABLE promotions;
DROP TABLE patient_packages;
DROP TABLE package_plans;
DELETE FROM ledger_accounts WHERE code IN ('2300', '4050', '4930', '4940');
-- +goose StatementEnd
