-- +goose Up
-- +goose StatementBegin

-- The books: every journal has an accounting date (entry_date, a calendar day in
-- UTC). A journal posted without one is dated the day it is posted; an adjusting
-- journal may name an earlier day, which a closed period or an exported range
-- refuses (below).
ALTER TABLE journals ADD COLUMN entry_date date;
ALTER TABLE journals DISABLE TRIGGER journals_append_only;
UPDATE journals SET entry_date = (posted_at AT TIME ZONE 'UTC')::date;
ALTER TABLE journals ENABLE TRIGGER journals_append_only;
ALTER TABLE journals ALTER COLUMN entry_date SET NOT NULL;
CREATE INDEX journals_entry_date ON journals (entry_date);

-- New accounts: supplies stock and its cost (inventory), and what the practice owes
-- its suppliers for stock received.
INSERT INTO ledger_accounts (code, name, type) VALUES
    ('1500', 'Inventory (supplies, medications, DME)', 'asset'),
    ('2050', 'Accounts payable (supplies)', 'liability'),
    ('5100', 'Supplies expense (cost of goods)', 'expense'),
    ('5150', 'Inventory adjustments (shrinkage, counts)', 'expense');

-- The practice's own chart of accounts: which account in its accounting system each
-- ledger account exports to. An export refuses a ledger account with no mapping.
CREATE TABLE gl_account_map (
    ledger_account  text PRIMARY KEY REFERENCES ledger_accounts(code),
    external_code   text NOT NULL,
    external_name   text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Accounting periods. Closed ones refuse journals dated inside them: corrections
-- are adjusting journals dated in an open period. Periods do not overlap.
CREATE TABLE accounting_periods (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    start_date  date NOT NULL,
    end_date    date NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at   timestamptz,
    closed_by   uuid REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date >= start_date),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

-- GL exports: each covers a range of accounting days, never overlapping another,
-- and keeps its content and the SHA-256 of its CSV so a download is byte-identical
-- however often it is repeated.
CREATE TABLE gl_exports (
    id           uuid PRIMARY KEY,
    from_date    date NOT NULL,
    to_date      date NOT NULL,
    granularity  text NOT NULL CHECK (granularity IN ('daily', 'detail')),
    journals     integer NOT NULL,
    lines        integer NOT NULL,
    debits       numeric(14,2) NOT NULL,
    csv          text NOT NULL,
    iif          text NOT NULL,
    sha256       text NOT NULL,
    created_by   uuid REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (to_date >= from_date)
);
CREATE INDEX gl_exports_range ON gl_exports (to_date DESC);
CREATE TRIGGER gl_exports_append_only BEFORE UPDATE OR DELETE ON gl_exports
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- A journal dated inside a closed period, or inside a range already exported to the
-- accounting system (the next export starts after it, so the journal would never
-- reach the books), is refused with SQLSTATE RCM01; ledger.Post turns that into a
-- conflict asking for an adjusting journal in the open period.
CREATE FUNCTION check_journal_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p record;
    last_export date;
BEGIN
    IF NEW.entry_date IS NULL THEN
        NEW.entry_date := (NEW.posted_at AT TIME ZONE 'UTC')::date;
    END IF;
    -- Closing a period and exporting hold this lock exclusively (accounting
    -- package), so a journal is either committed before they read the books or
    -- checked against what they wrote.
    PERFORM pg_advisory_xact_lock_shared(7301001);
    SELECT name, start_date, end_date INTO p FROM accounting_periods
     WHERE status = 'closed' AND NEW.entry_date BETWEEN start_date AND end_date LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'accounting period % (% to %) is closed: post an adjusting journal dated in an open period',
            p.name, p.start_date, p.end_date USING ERRCODE = 'RCM01';
    END IF;
    SELECT max(to_date) INTO last_export FROM gl_exports;
    IF last_export IS NOT NULL AND NEW.entry_date <= last_export THEN
        RAISE EXCEPTION 'journals up to % are already exported to the accounting system: post an adjusting journal dated after it',
            last_export USING ERRCODE = 'RCM01';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER journals_period BEFORE INSERT ON journals
    FOR EACH ROW EXECUTE FUNCTION check_journal_period();

-- Inventory: items (supplies, medications, DME) known by a HCPCS Level II or an
-- internal code. A charge whose procedure code is an item's code consumes it.
CREATE TABLE inventory_items (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    code_kind       text NOT NULL CHECK (code_kind IN ('hcpcs', 'internal')),
    name            text NOT NULL,
    category        text NOT NULL DEFAULT 'supply' CHECK (category IN ('supply', 'medication', 'dme')),
    unit            text NOT NULL,
    cost            numeric(14,2) NOT NULL CHECK (cost >= 0),
    price           numeric(14,2) NOT NULL CHECK (price >= 0),
    reorder_level   integer NOT NULL DEFAULT 0 CHECK (reorder_level >= 0),
    allow_negative  boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Stock is the sum of movements per item and location; nothing overwrites a
-- quantity. value is the movement's signed cost (what the inventory account moved
-- by), so a location's stock value is the sum of its movements' values.
CREATE TABLE inventory_movements (
    id               uuid PRIMARY KEY,
    item_id          uuid NOT NULL REFERENCES inventory_items(id),
    location_id      uuid NOT NULL REFERENCES locations(id),
    kind             text NOT NULL CHECK (kind IN ('received', 'consumed', 'returned', 'adjusted', 'transfer_out', 'transfer_in')),
    quantity         integer NOT NULL CHECK (quantity <> 0),
    value            numeric(14,2) NOT NULL,
    reason           text NOT NULL DEFAULT '',
    charge_id        uuid REFERENCES charges(id),
    transfer_id      uuid,
    idempotency_key  text NOT NULL UNIQUE,
    created_by       uuid REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'adjusted' OR reason <> ''),
    CHECK ((kind IN ('consumed', 'returned')) = (charge_id IS NOT NULL))
);
CREATE INDEX inventory_movements_stock ON inventory_movements (item_id, location_id);
CREATE INDEX inventory_movements_charge ON inventory_movements (charge_id) WHERE charge_id IS NOT NULL;
CREATE TRIGGER inventory_movements_append_only BEFORE UPDATE OR DELETE ON inventory_movements
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE inventory_movements;
DROP TABLE inventory_items;
DROP TRIGGER journals_period ON journals;
DROP FUNCTION check_journal_period();
DROP TABLE gl_exports;
DROP TABLE accounting_periods;
DROP TABLE gl_account_map;
DELETE FROM ledger_accounts WHERE code IN ('1500', '2050', '5100', '5150');
DROP INDEX journals_entry_date;
ALTER TABLE journals DROP COLUMN entry_date;
-- +goose StatementEnd
