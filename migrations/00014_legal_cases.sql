-- +goose Up
-- +goose StatementBegin

-- The address book: the people and firms around accident and injury cases
-- (attorneys, adjusters, employers, case managers, referrers), entered once and
-- linked to cases with a role.
CREATE TABLE contacts (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('attorney', 'adjuster', 'employer', 'case_manager', 'referrer', 'other')),
    name          text NOT NULL CHECK (name <> ''),
    organization  text NOT NULL DEFAULT '',
    phone         text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    address1      text NOT NULL DEFAULT '',
    address2      text NOT NULL DEFAULT '',
    city          text NOT NULL DEFAULT '',
    state         text NOT NULL DEFAULT '',
    zip           text NOT NULL DEFAULT '',
    notes         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_name ON contacts (lower(name));
CREATE INDEX contacts_organization ON contacts (lower(organization));

-- A contact's part in a case: one contact per role and case (the patient's
-- attorney, the adjuster, ...).
CREATE TABLE case_contacts (
    case_id     uuid NOT NULL REFERENCES cases(id),
    role        text NOT NULL CHECK (role IN ('patient_attorney', 'adjuster', 'employer', 'case_manager', 'referrer')),
    contact_id  uuid NOT NULL REFERENCES contacts(id),
    PRIMARY KEY (case_id, role)
);
CREATE INDEX case_contacts_contact ON case_contacts (contact_id);

-- Statute of limitations for personal-injury claims, in years from the date of
-- injury, per state (and DC). These are defaults from the general personal-injury
-- statutes; special rules (minors, government defendants, no-fault thresholds)
-- are not modelled, which is why a case's SOL date can be overridden and why the
-- practice edits this table (PUT /api/v1/legal/sol-years/{state}) after checking
-- with its counsel.
CREATE TABLE sol_years (
    state       text PRIMARY KEY CHECK (state ~ '^[A-Z]{2}$'),
    years       integer NOT NULL CHECK (years BETWEEN 1 AND 10),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sol_years (state, years) VALUES
    ('AL', 2), ('AK', 2), ('AZ', 2), ('AR', 3), ('CA', 2), ('CO', 2), ('CT', 2), ('DE', 2), ('DC', 3),
    ('FL', 2), ('GA', 2), ('HI', 2), ('ID', 2), ('IL', 2), ('IN', 2), ('IA', 2), ('KS', 2), ('KY', 1),
    ('LA', 2), ('ME', 6), ('MD', 3), ('MA', 3), ('MI', 3), ('MN', 6), ('MS', 3), ('MO', 5), ('MT', 3),
    ('NE', 4), ('NV', 2), ('NH', 3), ('NJ', 2), ('NM', 3), ('NY', 3), ('NC', 3), ('ND', 6), ('OH', 2),
    ('OK', 2), ('OR', 2), ('PA', 2), ('RI', 3), ('SC', 3), ('SD', 3), ('TN', 1), ('TX', 2), ('UT', 4),
    ('VT', 3), ('VA', 2), ('WA', 3), ('WV', 2), ('WI', 3), ('WY', 4);

-- The legal facts of an accident or injury case (kinds mva, personal_injury,
-- workers_comp): one row per case, written whole by PUT /cases/{id}/legal.
-- The attorney and adjuster are case_contacts. A lien (letter of protection)
-- needs an attorney: the API checks it with the case's contacts.
CREATE TABLE legal_cases (
    case_id               uuid PRIMARY KEY REFERENCES cases(id),
    date_of_injury        date NOT NULL,
    accident_state        text NOT NULL REFERENCES sol_years(state),
    accident_kind         text NOT NULL CHECK (accident_kind IN ('auto', 'slip_and_fall', 'work', 'other')),
    -- The auto insurer or workers' comp carrier, its claim number and the
    -- PIP / MedPay limit, when known.
    insurer_id            uuid REFERENCES payers(id),
    insurer_claim_number  text NOT NULL DEFAULT '',
    pip_limit             numeric(14,2) CHECK (pip_limit >= 0),
    lien_received_on      date,
    lien_document         text NOT NULL DEFAULT '',
    -- sol_date is computed from date_of_injury and sol_years unless overridden.
    sol_date              date NOT NULL CHECK (sol_date > date_of_injury),
    sol_overridden        boolean NOT NULL DEFAULT false,
    follow_up_days        integer NOT NULL DEFAULT 30 CHECK (follow_up_days BETWEEN 1 AND 365),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX legal_cases_sol ON legal_cases (sol_date);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE legal_cases;
DROP TABLE sol_years;
DROP TABLE case_contacts;
DROP TABLE contacts;
-- +goose StatementEnd
