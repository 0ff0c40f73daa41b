-- +goose Up
-- +goose StatementBegin

-- The clearinghouse simulator's durable mailbox. It used to keep what it was
-- sent and the answers it owed (999, 277CA, 835) in the worker's memory, so a
-- crash (kill -9) lost the answers of every claim already submitted, and those
-- claims stayed `submitted` until a follow-up timer days later; a restarted
-- simulator also counted its file IDs, payer claim numbers and check numbers
-- again from its start time, so a poller cursor could skip new files and a new
-- 835 could reuse a posted trace number. A real clearinghouse keeps a mailbox;
-- so does the simulator now (internal/clearinghouse/mailbox.go).

-- One row per clearinghouse (the simulator's interchange ID). Its row lock
-- serializes every change of that clearinghouse across workers; the base is
-- where its control numbers count from, fixed by the first simulator.
CREATE TABLE clearinghouse_sims (
    clearinghouse text PRIMARY KEY,
    sequence_base bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Every Submit and Appeal the simulator took, in the order it took them (seq,
-- 1, 2, ... per clearinghouse, given under the lock): replaying them rebuilds
-- the payer's memory (claims, adjudications, appeal levels, forward balances)
-- after a restart or in another worker. A request id is taken once, so a
-- retried Submit never schedules its answers twice. Append-only.
CREATE TABLE clearinghouse_requests (
    clearinghouse text NOT NULL REFERENCES clearinghouse_sims (clearinghouse),
    seq           bigint NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('submit', 'appeal')),
    request_id    text NOT NULL,
    body          bytea NOT NULL,        -- the 837, or the appeal as JSON
    received_at   timestamptz NOT NULL,  -- the simulator's clock, replayed as is
    envelope_seq  bigint NOT NULL,       -- the interchange control number before it
    PRIMARY KEY (clearinghouse, seq),
    UNIQUE (clearinghouse, kind, request_id)
);

-- The answer files owed, each deliverable from deliver_after. A file is
-- numbered (delivered_seq: its Poll ID is MB + 16 digits) when first seen due,
-- under the clearinghouse's lock, so numbers follow commit order and a poller's
-- cursor never passes a file it has not read. Files are not consumed by
-- reading: the poller keeps its cursor and every file applies once (by its
-- workflow id), so several workers share one mailbox. The oldest numbered
-- files beyond the simulator's retention are deleted.
CREATE TABLE clearinghouse_mailbox (
    id            bigserial PRIMARY KEY,
    clearinghouse text NOT NULL REFERENCES clearinghouse_sims (clearinghouse),
    request_seq   bigint NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('999', '277CA', '835')),
    submission_id text NOT NULL,
    appeal_id     text NOT NULL DEFAULT '',
    data          bytea NOT NULL,
    deliver_after timestamptz NOT NULL,
    delivered_seq bigint,
    delivered_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clearinghouse, delivered_seq),
    FOREIGN KEY (clearinghouse, request_seq) REFERENCES clearinghouse_requests (clearinghouse, seq)
);
CREATE INDEX clearinghouse_mailbox_due ON clearinghouse_mailbox (clearinghouse, deliver_after, id)
    WHERE delivered_seq IS NULL;

-- The application (rcm_app) runs the simulator. The default privileges of
-- 00031 grant it every row operation on new tables; the request log is
-- append-only, and the clearinghouse row is only locked (FOR UPDATE needs
-- UPDATE), never changed.
GRANT SELECT, INSERT, UPDATE ON clearinghouse_sims TO rcm_app;
REVOKE DELETE ON clearinghouse_sims FROM rcm_app;
GRANT SELECT, INSERT ON clearinghouse_requests TO rcm_app;
REVOKE UPDATE, DELETE ON clearinghouse_requests FROM rcm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON clearinghouse_mailbox TO rcm_app;
GRANT USAGE, SELECT ON SEQUENCE clearinghouse_mailbox_id_seq TO rcm_app;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE clearinghouse_mailbox;
DROP TABLE clearinghouse_requests;
DROP TABLE clearinghouse_sims;
-- +goose StatementEnd
