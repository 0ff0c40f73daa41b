-- +goose Up
-- +goose StatementBegin

-- A task knows who answers it: the workflow that waits on the task and the update
-- that answers it, so completing the task sends that update to that workflow
-- (POST /tasks/{id}/complete with an outcome). Empty when no workflow waits: such
-- a task is closed by hand with a resolution.
ALTER TABLE tasks
    ADD COLUMN workflow_id text NOT NULL DEFAULT '',
    ADD COLUMN update_name text NOT NULL DEFAULT '',
    ADD CONSTRAINT tasks_owner_whole CHECK ((workflow_id = '') = (update_name = ''));

-- Tasks still open when this runs: the claim tasks a claim workflow waits on
-- (what the API's per-queue table said before), missing charges (the case
-- workflow's complete-charges) and visits without a coverage to bill (the case
-- workflow's retry-billing).
UPDATE tasks SET workflow_id = 'claim/' || claim_id,
    update_name = CASE
        WHEN kind = 'appeal_deadline' OR queue = 'denials' THEN 'decide'
        WHEN queue = 'approvals' THEN 'approve-write-off'
        ELSE 'fix'
    END
WHERE claim_id IS NOT NULL AND status IN ('open', 'claimed')
    AND queue IN ('claim-fix', 'eligibility', 'rejections', 'denials', 'approvals');
UPDATE tasks SET workflow_id = 'case/' || case_id, update_name = 'complete-charges'
WHERE kind = 'missing_charges' AND case_id IS NOT NULL AND status IN ('open', 'claimed');
UPDATE tasks SET workflow_id = 'case/' || case_id, update_name = 'retry-billing'
WHERE kind = 'coverage_inactive' AND claim_id IS NULL AND case_id IS NOT NULL AND status IN ('open', 'claimed');
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE tasks DROP CONSTRAINT tasks_owner_whole,
    DROP COLUMN update_name, DROP COLUMN workflow_id;
-- +goose StatementEnd
