-- +goose Up
-- +goose StatementBegin

-- The holds read model: one row per legal case whose charges are held, kept
-- current by the hold workflow (hold/<case id>), which owns the timers. The
-- holds list (GET /holds) joins it with the ledger's held A/R, the case's
-- legal details and contacts.
CREATE TABLE holds (
    case_id            uuid PRIMARY KEY REFERENCES cases(id),
    status             text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'settling', 'released', 'dropped')),
    started_at         timestamptz NOT NULL,
    next_follow_up_at  timestamptz,
    last_outcome       text NOT NULL DEFAULT '',
    last_follow_up_at  timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX holds_status ON holds (status);

-- Every attorney follow-up recorded on a hold, with its outcome. The id is
-- derived from the update that recorded it, so a retried activity writes once.
CREATE TABLE hold_follow_ups (
    id              uuid PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases(id),
    outcome         text NOT NULL CHECK (outcome IN ('treating', 'demand_sent', 'negotiating', 'settled', 'dropped', 'no_answer')),
    note            text NOT NULL DEFAULT '',
    next_follow_up  date,
    recorded_at     timestamptz NOT NULL,
    recorded_by     uuid REFERENCES users(id)
);
CREATE INDEX hold_follow_ups_case ON hold_follow_ups (case_id, recorded_at);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE hold_follow_ups;
DROP TABLE holds;
-- +goose StatementEnd
