-- +goose Up
-- +goose StatementBegin

-- A location dimension on journal lines, so the inventory account (1500) has a
-- balance per location that equals that location's stock value to the cent, not
-- only in total. internal/inventory sets it on the inventory side of every
-- movement's journal (received, consumed, returned, adjusted) and posts a
-- transfer between locations as a journal moving the value from one location's
-- inventory balance to the other's. Other lines leave it empty.
ALTER TABLE journal_lines ADD COLUMN location_id uuid REFERENCES locations(id);
CREATE INDEX journal_lines_location ON journal_lines (account_code, location_id) WHERE location_id IS NOT NULL;

-- Inventory journals posted before the dimension existed take their movement's
-- location. Posted lines are otherwise never edited: this fills a new column
-- from facts recorded at the time, it changes no amount.
ALTER TABLE journal_lines DISABLE TRIGGER journal_lines_append_only;
UPDATE journal_lines l SET location_id = m.location_id
  FROM journals j JOIN inventory_movements m ON m.id = j.source_id
 WHERE j.source_type = 'inventory_movement' AND l.journal_id = j.id AND l.account_code = '1500';
ALTER TABLE journal_lines ENABLE TRIGGER journal_lines_append_only;

-- Transfers made before then posted no journal (the account total did not
-- change). Each gets the journal it would have had, dated the day it happened:
-- both lines are on 1500 and cancel out, so no account's total on any day, and
-- no export already taken, changes; the period check is bypassed only for that
-- reason.
ALTER TABLE journals DISABLE TRIGGER journals_period;
CREATE TEMPORARY TABLE old_transfers ON COMMIT DROP AS
SELECT gen_random_uuid() AS journal_id, i.transfer_id, i.id AS in_id, i.location_id AS to_location,
       o.location_id AS from_location, i.value, it.code, i.created_at
  FROM inventory_movements i
  JOIN inventory_movements o ON o.transfer_id = i.transfer_id AND o.kind = 'transfer_out'
  JOIN inventory_items it ON it.id = i.item_id
 WHERE i.kind = 'transfer_in' AND i.value <> 0
   AND NOT EXISTS (SELECT 1 FROM journals j WHERE j.idempotency_key = 'inventory:transfer:' || i.transfer_id);
INSERT INTO journals (id, idempotency_key, kind, source_type, source_id, memo, posted_at, entry_date)
SELECT journal_id, 'inventory:transfer:' || transfer_id, 'inventory_transfer', 'inventory_movement', in_id,
       'transfer ' || code, created_at, (created_at AT TIME ZONE 'UTC')::date
  FROM old_transfers;
INSERT INTO journal_lines (journal_id, account_code, location_id, amount)
SELECT journal_id, '1500', to_location, value FROM old_transfers
UNION ALL
SELECT journal_id, '1500', from_location, -value FROM old_transfers;
-- Check the new journals now (lines present, balanced) rather than at commit:
-- a table with pending deferred trigger events cannot be altered.
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE journals ENABLE TRIGGER journals_period;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX journal_lines_location;
ALTER TABLE journal_lines DROP COLUMN location_id;
-- +goose StatementEnd
