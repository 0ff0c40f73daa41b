-- +goose Up
-- +goose StatementBegin

-- Indexes for the work queues, chosen with EXPLAIN ANALYZE on the scale fixture
-- (internal/tasks/taskscale: 200,000 open tasks and 65,000 claimed, snoozed and
-- done ones; see README "Work queues").

-- Claim-next and a queue's first page: the most urgent open task of a queue is
-- the first index entry (one LATERAL probe per queue for claim-next over a
-- user's queues); keyset pages continue from (urgency, created_at, id).
CREATE INDEX tasks_claim_next ON tasks (queue, urgency, created_at, id) WHERE status = 'open';
-- Pages over other statuses, and the per-queue counts of "my work".
CREATE INDEX tasks_queue_status ON tasks (queue, status, overdue);
-- What a user holds (the claim cap, "my work").
CREATE INDEX tasks_assignee ON tasks (assignee_id, urgency, created_at, id) WHERE status = 'claimed';
-- Done today per queue.
CREATE INDEX tasks_done_at ON tasks (queue, completed_at) WHERE status = 'done';
-- The escalation sweep: tasks whose due time passes next, and snoozes ending.
CREATE INDEX tasks_escalation_due ON tasks (due_at) WHERE status IN ('open', 'claimed') AND NOT overdue;
CREATE INDEX tasks_snoozed_until ON tasks (snoozed_until) WHERE status = 'snoozed';
-- The old index ordered by priority alone; urgency replaces it.
DROP INDEX tasks_queue_open;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE INDEX tasks_queue_open ON tasks (queue, priority DESC, created_at) WHERE status IN ('open', 'claimed');
DROP INDEX tasks_snoozed_until;
DROP INDEX tasks_escalation_due;
DROP INDEX tasks_done_at;
DROP INDEX tasks_assignee;
DROP INDEX tasks_queue_status;
DROP INDEX tasks_claim_next;
-- +goose StatementEnd
