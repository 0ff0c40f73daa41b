-- +goose Up
-- +goose StatementBegin

-- Indexes of the manager views, each chosen from EXPLAIN ANALYZE on a million
-- claims (docs/query-plans.md).

-- Stuck claims: the claims still in flight, oldest stage change first. Settled
-- claims (most of a mature book) are not in it, so the stuck summary and the
-- dashboard's claims-by-stage are index-only scans of the open pipeline.
CREATE INDEX reports_claims_in_flight ON claims (stage_changed_at) INCLUDE (stage, payer_id, total_charge)
    WHERE stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced');

-- The drill-down of one stage-and-payer group, oldest first, stops at the page size.
CREATE INDEX reports_claims_in_flight_group ON claims (stage, payer_id, stage_changed_at, id)
    WHERE stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced');

-- KPIs and trends count transitions into a stage over a date range.
CREATE INDEX reports_claim_events_stage_at ON claim_events (to_stage, at) INCLUDE (claim_id);

-- Overdue tasks (due_at passed, still open or claimed) for the dashboard.
CREATE INDEX reports_tasks_due ON tasks (due_at) WHERE status IN ('open', 'claimed');

-- Remittances by the day they arrived (denials and days to payment).
CREATE INDEX reports_remittances_received ON remittances (received_at);

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX reports_remittances_received;
DROP INDEX reports_tasks_due;
DROP INDEX reports_claim_events_stage_at;
DROP INDEX reports_claims_in_flight_group;
DROP INDEX reports_claims_in_flight;
-- +goose StatementEnd
