-- +goose Up
-- +goose StatementBegin

-- Work queues for billing teams (internal/tasks): a task links to what it is
-- about (patient, location and payer beside case, encounter and claim, filled
-- from those where known), can be snoozed until a time, is flagged overdue once
-- when its SLA due time passes (escalated_at, priority raised), and keeps the
-- answer it was completed with (outcome, note, completed_by).
ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
ALTER TABLE tasks
    ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'claimed', 'snoozed', 'done', 'cancelled')),
    ADD COLUMN patient_id    uuid REFERENCES patients(id),
    ADD COLUMN location_id   uuid REFERENCES locations(id),
    ADD COLUMN payer_id      uuid REFERENCES payers(id),
    ADD COLUMN snoozed_until timestamptz,
    ADD COLUMN overdue       boolean NOT NULL DEFAULT false,
    ADD COLUMN escalated_at  timestamptz,
    ADD COLUMN outcome       jsonb,
    ADD COLUMN note          text NOT NULL DEFAULT '',
    ADD COLUMN completed_by  uuid REFERENCES users(id),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT tasks_snooze_whole CHECK ((status = 'snoozed') = (snoozed_until IS NOT NULL)),
    ADD CONSTRAINT tasks_claimed_assigned CHECK (status <> 'claimed' OR assignee_id IS NOT NULL),
    ADD CONSTRAINT tasks_overdue_escalated CHECK (overdue = (escalated_at IS NOT NULL)),
    ADD CONSTRAINT tasks_priority_range CHECK (priority BETWEEN -1000 AND 1000);

-- urgency orders work: overdue first, then higher priority; ties go to the
-- oldest (created_at, id). One ascending integer keeps claim-next and keyset
-- pages on one index with a plain row comparison.
ALTER TABLE tasks ADD COLUMN urgency integer
    GENERATED ALWAYS AS ((CASE WHEN overdue THEN 0 ELSE 10000 END) - priority) STORED;

-- Tasks already raised keep their links empty but for what they named; fill
-- what the case, encounter and claim know.
UPDATE tasks t SET encounter_id = c.encounter_id FROM claims c WHERE t.claim_id = c.id AND t.encounter_id IS NULL;
UPDATE tasks t SET patient_id = cs.patient_id FROM cases cs WHERE t.case_id = cs.id;
UPDATE tasks t SET location_id = e.location_id FROM encounters e WHERE t.encounter_id = e.id;
UPDATE tasks t SET payer_id = c.payer_id FROM claims c WHERE t.claim_id = c.id;

-- The history of each task: every change, who made it (NULL: the system) and
-- when. Written by a trigger on tasks, so no path that changes a task (the
-- tasks service, a workflow's activity, billing closing a missing-charges task)
-- can skip it. The acting user comes from the transaction setting rcm.actor,
-- a note from rcm.task_note (tasks.Service sets both).
CREATE TABLE task_events (
    id           bigserial PRIMARY KEY,
    task_id      uuid NOT NULL REFERENCES tasks(id),
    at           timestamptz NOT NULL DEFAULT now(),
    kind         text NOT NULL CHECK (kind IN ('created', 'claimed', 'released', 'reassigned', 'snoozed',
                     'woke', 'escalated', 'completed', 'cancelled', 'reopened')),
    actor_id     uuid,
    from_status  text NOT NULL DEFAULT '',
    to_status    text NOT NULL,
    assignee_id  uuid,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX task_events_task ON task_events (task_id, id);

CREATE TRIGGER task_events_append_only BEFORE UPDATE OR DELETE ON task_events
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE FUNCTION record_task_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor uuid := nullif(current_setting('rcm.actor', true), '')::uuid;
    note  text := nullif(current_setting('rcm.task_note', true), '');
    k     text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_events (task_id, kind, actor_id, to_status, assignee_id, detail)
        VALUES (NEW.id, 'created', actor, NEW.status, NEW.assignee_id, jsonb_strip_nulls(jsonb_build_object(
            'queue', NEW.queue, 'kind', NEW.kind, 'priority', NEW.priority, 'due_at', NEW.due_at)));
        RETURN NULL;
    END IF;
    IF NEW.overdue AND NOT OLD.overdue THEN
        INSERT INTO task_events (task_id, kind, actor_id, from_status, to_status, assignee_id, detail)
        VALUES (NEW.id, 'escalated', actor, OLD.status, NEW.status, NEW.assignee_id, jsonb_build_object(
            'due_at', NEW.due_at, 'from_priority', OLD.priority, 'to_priority', NEW.priority));
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.assignee_id IS DISTINCT FROM OLD.assignee_id THEN
        k := CASE
            WHEN NEW.status = OLD.status THEN 'reassigned'
            WHEN NEW.status = 'done' THEN 'completed'
            WHEN NEW.status = 'cancelled' THEN 'cancelled'
            WHEN NEW.status = 'snoozed' THEN 'snoozed'
            WHEN OLD.status = 'snoozed' THEN 'woke'
            WHEN OLD.status IN ('done', 'cancelled') THEN 'reopened'
            WHEN NEW.status = 'claimed' AND actor IS DISTINCT FROM NEW.assignee_id THEN 'reassigned'
            WHEN NEW.status = 'claimed' THEN 'claimed'
            ELSE 'released'
        END;
        INSERT INTO task_events (task_id, kind, actor_id, from_status, to_status, assignee_id, detail)
        VALUES (NEW.id, k, actor, OLD.status, NEW.status, NEW.assignee_id, jsonb_strip_nulls(jsonb_build_object(
            'from_assignee', CASE WHEN OLD.assignee_id IS DISTINCT FROM NEW.assignee_id THEN OLD.assignee_id END,
            'snoozed_until', NEW.snoozed_until,
            'resolution', CASE WHEN NEW.status IN ('done', 'cancelled') THEN nullif(NEW.resolution, '') END,
            'outcome', CASE WHEN NEW.status = 'done' THEN NEW.outcome END,
            'note', note)));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tasks_record_events AFTER INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION record_task_event();

-- Teams: users belong to teams, teams work queues, a manager watches each
-- team's escalations.
CREATE TABLE teams (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    manager_id  uuid REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
    team_id   uuid NOT NULL REFERENCES teams(id),
    user_id   uuid NOT NULL REFERENCES users(id),
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE team_queues (
    team_id  uuid NOT NULL REFERENCES teams(id),
    queue    text NOT NULL,
    PRIMARY KEY (team_id, queue)
);
CREATE INDEX team_queues_queue ON team_queues (queue);

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE team_queues;
DROP TABLE team_members;
DROP TABLE teams;
DROP TRIGGER tasks_record_events ON tasks;
DROP FUNCTION record_task_event();
DROP TABLE task_events;
UPDATE tasks SET status = 'open', snoozed_until = NULL WHERE status = 'snoozed';
ALTER TABLE tasks DROP COLUMN urgency;
ALTER TABLE tasks DROP CONSTRAINT tasks_priority_range, DROP CONSTRAINT tasks_overdue_escalated,
    DROP CONSTRAINT tasks_claimed_assigned, DROP CONSTRAINT tasks_snooze_whole,
    DROP COLUMN updated_at, DROP COLUMN completed_by, DROP COLUMN note, DROP COLUMN outcome,
    DROP COLUMN escalated_at, DROP COLUMN overdue, DROP COLUMN snoozed_until,
    DROP COLUMN payer_id, DROP COLUMN location_id, DROP COLUMN patient_id,
    DROP CONSTRAINT tasks_status_check,
    ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'claimed', 'done', 'cancelled'));
-- +goose StatementEnd
