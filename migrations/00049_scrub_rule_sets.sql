-- +goose Up
-- +goose StatementBegin

-- Scrub rules as versioned data (internal/scrubrules). A rule set is a
-- configuration of internal/scrub's rules: which run, their thresholds, and
-- payer-specific rules ("payer X requires modifier 59 with 97140"). A version
-- is never edited: a change is a new draft version, tried on past claims
-- (what-if runs, below) and then published. Exactly one version is published at
-- a time: the one new claims are scrubbed with; publishing another retires it.
CREATE TABLE scrub_rule_sets (
    version       integer PRIMARY KEY CHECK (version > 0),
    based_on      integer REFERENCES scrub_rule_sets(version),
    note          text NOT NULL DEFAULT '',
    config        jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    created_by    uuid REFERENCES users(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    published_by  uuid REFERENCES users(id),
    CHECK ((status = 'draft') = (published_at IS NULL))
);
CREATE UNIQUE INDEX scrub_rule_sets_one_published ON scrub_rule_sets ((true)) WHERE status = 'published';

-- Version 1 is the rule set the product shipped with until now: every rule of
-- scrub.DefaultRules on, the optional threshold rules off, no payer rules.
INSERT INTO scrub_rule_sets (version, note, config, status, published_at) VALUES
    (1, 'the built-in rules', '{"rules": [{"name": "required-fields", "enabled": true}, {"name": "subscriber-relationship", "enabled": true}, {"name": "npi-check-digit", "enabled": true}, {"name": "tax-id-format", "enabled": true}, {"name": "icd10-format", "enabled": true}, {"name": "procedure-code-format", "enabled": true}, {"name": "modifier-validity", "enabled": true}, {"name": "diagnosis-pointers", "enabled": true}, {"name": "diagnosis-unused", "enabled": true}, {"name": "service-dates", "enabled": true}, {"name": "positive-units-and-amounts", "enabled": true}, {"name": "frequency", "enabled": true}, {"name": "duplicate-claim", "enabled": true}, {"name": "place-of-service", "enabled": true}, {"name": "edi-addresses", "enabled": true}, {"name": "max-units-per-line", "enabled": false, "threshold": 10}, {"name": "max-days-to-bill", "enabled": false, "threshold": 90}], "payer_rules": []}', 'published', now());

-- Every claim records the rule-set version that last scrubbed it (NULL: scrubbed
-- before rules were versioned, by version 1's rules).
ALTER TABLE claims ADD COLUMN scrub_rule_version integer REFERENCES scrub_rule_sets(version);

-- A what-if run: a proposed rule-set version applied to the claims created in a
-- range of days, beside the version published when the run started (baseline),
-- changing nothing. A workflow (scrub-what-if/<id>) scrubs the claims in
-- batches, each batch committing its results with the cursor (created_at, id)
-- and the counts, so a retried or resumed batch never counts a claim twice.
CREATE TABLE scrub_what_if_runs (
    id                    uuid PRIMARY KEY,
    rule_version          integer NOT NULL REFERENCES scrub_rule_sets(version),
    baseline_version      integer NOT NULL REFERENCES scrub_rule_sets(version),
    from_date             date NOT NULL,
    to_date               date NOT NULL,
    status                text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    workflow_id           text NOT NULL,
    claims_total          integer NOT NULL DEFAULT 0,
    claims_done           integer NOT NULL DEFAULT 0,
    cursor_at             timestamptz,
    cursor_id             uuid,
    proposed_stopped      integer NOT NULL DEFAULT 0, -- claims the proposed rules stop
    baseline_stopped      integer NOT NULL DEFAULT 0, -- claims the baseline rules stop
    newly_stopped         integer NOT NULL DEFAULT 0, -- stopped by the proposed rules only
    newly_passed          integer NOT NULL DEFAULT 0, -- stopped by the baseline rules only
    newly_stopped_denied  integer NOT NULL DEFAULT 0, -- of those, denied by the payer: denials prevented
    newly_stopped_paid    integer NOT NULL DEFAULT 0, -- of those, paid without a denial: work added
    newly_passed_denied   integer NOT NULL DEFAULT 0, -- let through by the proposed rules, then denied
    denied                integer NOT NULL DEFAULT 0, -- claims in range the payer denied (in full or part)
    denied_missed         integer NOT NULL DEFAULT 0, -- denied claims the proposed rules let through
    error                 text NOT NULL DEFAULT '',
    started_by            uuid REFERENCES users(id),
    started_at            timestamptz NOT NULL DEFAULT now(),
    finished_at           timestamptz,
    CHECK (to_date >= from_date),
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX scrub_what_if_runs_started ON scrub_what_if_runs (started_at DESC);

-- The claims of a run worth reading: stopped by either rule set, or denied by
-- the payer. Claims both rule sets pass and the payer did not deny are only
-- counted. One row per run and claim (a retried batch inserts nothing twice).
CREATE TABLE scrub_what_if_claims (
    run_id             uuid NOT NULL REFERENCES scrub_what_if_runs(id),
    claim_id           uuid NOT NULL REFERENCES claims(id),
    claim_created_at   timestamptz NOT NULL,
    outcome            text NOT NULL CHECK (outcome IN ('newly_stopped', 'newly_passed', 'both_stopped', 'both_passed')),
    proposed_failures  jsonb NOT NULL DEFAULT '[]',
    baseline_failures  jsonb NOT NULL DEFAULT '[]',
    denied             boolean NOT NULL,
    denial_reasons     text[] NOT NULL DEFAULT '{}', -- group-CARC, e.g. CO-50
    stage              text NOT NULL,
    PRIMARY KEY (run_id, claim_id)
);
CREATE INDEX scrub_what_if_claims_outcome ON scrub_what_if_claims (run_id, outcome, denied DESC, claim_created_at);

-- The application role: rule sets are inserted and published (status changes),
-- runs are updated as they go; a run's claims are only ever added.
GRANT SELECT, INSERT, UPDATE ON scrub_rule_sets TO rcm_app;
GRANT SELECT, INSERT, UPDATE ON scrub_what_if_runs TO rcm_app;
GRANT SELECT, INSERT ON scrub_what_if_claims TO rcm_app;
REVOKE DELETE ON scrub_rule_sets, scrub_what_if_runs FROM rcm_app;
REVOKE UPDATE, DELETE ON scrub_what_if_claims FROM rcm_app;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE scrub_what_if_claims;
DROP TABLE scrub_what_if_runs;
ALTER TABLE claims DROP COLUMN scrub_rule_version;
DROP TABLE scrub_rule_sets;
-- +goose StatementEnd
