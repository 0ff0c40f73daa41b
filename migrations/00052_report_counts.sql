-- +goose Up
-- +goose StatementBegin

-- Counts behind the stuck-claims summary and the dashboard (issue 11), so they
-- read a few thousand rows instead of every claim in flight or every claim event
-- of twelve weeks (docs/query-plans.md: 0.5 s and 0.45 s at a million claims).
--
--   kind 'claims': claims in flight (not in a terminal stage, the stages of
--                  claims.Terminal and of the in-flight indexes of 00012) by
--                  current stage, payer, location (of the visit) and UTC day of
--                  their last transition, with their total charge;
--   kind 'events': claim events by the stage they moved into and UTC day
--                  (payer and location are the zero id);
--   kind 'denials': claims an 835 denied, by the denial category the posting
--                  classified (claim_events.detail denial_category; stage holds
--                  the category) and UTC day. Events from before this
--                  migration carry no category: report_counts_since says from
--                  when the counts are whole, and the dashboard classifies the
--                  older ones as it did before.
--
-- Triggers on claims and claim_events never update a shared row: they append
-- signed deltas to report_count_deltas, and readers fold the deltas into
-- report_counts (report_counts_fold) before reading both. A counter row updated
-- by every claim transition would be a hot row that claim transitions queue on,
-- and two files that move claims in different orders would deadlock on it.
CREATE TABLE report_counts (
    kind         text NOT NULL CHECK (kind IN ('claims', 'events', 'denials')),
    stage        text NOT NULL,
    payer_id     uuid NOT NULL,
    location_id  uuid NOT NULL,
    day          date NOT NULL,
    n            bigint NOT NULL,
    amount       numeric(16,2) NOT NULL,
    PRIMARY KEY (kind, stage, payer_id, location_id, day)
);

CREATE TABLE report_count_deltas (
    kind         text NOT NULL,
    stage        text NOT NULL,
    payer_id     uuid NOT NULL,
    location_id  uuid NOT NULL,
    day          date NOT NULL,
    n            bigint NOT NULL,
    amount       numeric(16,2) NOT NULL
);

CREATE FUNCTION report_claims_delta() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    loc uuid;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.stage = NEW.stage AND OLD.payer_id = NEW.payer_id
            AND OLD.stage_changed_at = NEW.stage_changed_at AND OLD.total_charge = NEW.total_charge THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(e.location_id, '00000000-0000-0000-0000-000000000000') INTO loc
        FROM encounters e WHERE e.id = coalesce(NEW.encounter_id, OLD.encounter_id);
    loc := coalesce(loc, '00000000-0000-0000-0000-000000000000');
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced') THEN
        INSERT INTO report_count_deltas VALUES ('claims', OLD.stage, OLD.payer_id, loc,
            (OLD.stage_changed_at AT TIME ZONE 'UTC')::date, -1, -OLD.total_charge);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced') THEN
        INSERT INTO report_count_deltas VALUES ('claims', NEW.stage, NEW.payer_id, loc,
            (NEW.stage_changed_at AT TIME ZONE 'UTC')::date, 1, NEW.total_charge);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER claims_report_counts AFTER INSERT OR UPDATE OR DELETE ON claims
    FOR EACH ROW EXECUTE FUNCTION report_claims_delta();

CREATE FUNCTION report_events_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_count_deltas VALUES ('events', NEW.to_stage, '00000000-0000-0000-0000-000000000000',
        '00000000-0000-0000-0000-000000000000', (NEW.at AT TIME ZONE 'UTC')::date, 1, 0);
    IF NEW.to_stage = 'denied' AND NEW.cause = '835' AND NEW.detail ? 'denial_category' THEN
        INSERT INTO report_count_deltas VALUES ('denials', NEW.detail->>'denial_category', '00000000-0000-0000-0000-000000000000',
            '00000000-0000-0000-0000-000000000000', (NEW.at AT TIME ZONE 'UTC')::date, 1, 0);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TABLE report_counts_since (
    kind   text PRIMARY KEY,
    since  timestamptz NOT NULL
);
INSERT INTO report_counts_since (kind, since) VALUES ('denials', now());

CREATE TRIGGER claim_events_report_counts AFTER INSERT ON claim_events
    FOR EACH ROW EXECUTE FUNCTION report_events_delta();

-- report_counts_fold moves the deltas committed so far into report_counts, in
-- one transaction (a reader sees them in one place or the other, never both or
-- neither). One folder at a time; a reader that finds another folding reads
-- the deltas as they are. Returns the number of deltas moved.
CREATE FUNCTION report_counts_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('report_counts_fold')) THEN
        RETURN 0;
    END IF;
    WITH d AS (DELETE FROM report_count_deltas RETURNING *),
         s AS (SELECT kind, stage, payer_id, location_id, day, sum(n) AS n, sum(amount) AS amount, count(*) AS c
               FROM d GROUP BY kind, stage, payer_id, location_id, day),
         i AS (INSERT INTO report_counts AS r (kind, stage, payer_id, location_id, day, n, amount)
               SELECT kind, stage, payer_id, location_id, day, n, amount FROM s
               ORDER BY kind, stage, payer_id, location_id, day
               ON CONFLICT (kind, stage, payer_id, location_id, day)
                   DO UPDATE SET n = r.n + EXCLUDED.n, amount = r.amount + EXCLUDED.amount)
    SELECT coalesce(sum(c), 0) INTO moved FROM s;
    DELETE FROM report_counts WHERE n = 0 AND amount = 0;
    RETURN moved;
END;
$$;

-- What the book holds today.
INSERT INTO report_counts (kind, stage, payer_id, location_id, day, n, amount)
SELECT 'claims', c.stage, c.payer_id, coalesce(e.location_id, '00000000-0000-0000-0000-000000000000'::uuid),
       (c.stage_changed_at AT TIME ZONE 'UTC')::date, count(*), sum(c.total_charge)
FROM claims c LEFT JOIN encounters e ON e.id = c.encounter_id
WHERE c.stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced')
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO report_counts (kind, stage, payer_id, location_id, day, n, amount)
SELECT 'events', to_stage, '00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid,
       (at AT TIME ZONE 'UTC')::date, count(*), 0
FROM claim_events GROUP BY 1, 2, 3, 4, 5;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER claim_events_report_counts ON claim_events;
DROP TRIGGER claims_report_counts ON claims;
DROP FUNCTION report_counts_fold();
DROP FUNCTION report_events_delta();
DROP FUNCTION report_claims_delta();
DROP TABLE report_counts_since;
DROP TABLE report_count_deltas;
DROP TABLE report_counts;
-- +goose StatementEnd
