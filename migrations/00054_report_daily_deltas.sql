-- +goose Up
-- +goose StatementBegin

-- The ledger's daily totals (ledger_daily) and the open A/R by grouping and
-- service date (ar_aging_daily) were kept by upserting one row per day and
-- account, and per grouping and date (00011): every posting of the day updated
-- the same few rows (today's insurance A/R, today's revenue, the payer's
-- bucket...) and held their locks until it committed, so postings from
-- concurrent visits queued on them one after another (make bench-lifecycle
-- with 32 clients: 10 to 20 sessions waiting on the journal_lines insert at
-- any moment, the machine half idle). As report_counts does (00052), the
-- triggers now append signed deltas and never update a shared row; readers
-- fold the deltas in (ledger_daily_fold, ar_aging_daily_fold) and read both
-- (the views ledger_daily_all and ar_aging_daily_all).
CREATE TABLE ledger_daily_deltas (
    day           date NOT NULL,
    account_code  text NOT NULL,
    debits        numeric(16,2) NOT NULL,
    credits       numeric(16,2) NOT NULL
);

CREATE TABLE ar_aging_daily_deltas (
    dim           text NOT NULL,
    key           text NOT NULL,
    service_date  date NOT NULL,
    balance       numeric(16,2) NOT NULL
);

CREATE VIEW ledger_daily_all AS
    SELECT day, account_code, debits, credits FROM ledger_daily
    UNION ALL SELECT day, account_code, debits, credits FROM ledger_daily_deltas;

CREATE VIEW ar_aging_daily_all AS
    SELECT dim, key, service_date, balance FROM ar_aging_daily
    UNION ALL SELECT dim, key, service_date, balance FROM ar_aging_daily_deltas;

CREATE OR REPLACE FUNCTION ar_aging_add(i ar_items, amount numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF amount = 0 THEN
        RETURN;
    END IF;
    INSERT INTO ar_aging_daily_deltas (dim, key, service_date, balance) VALUES
        ('account', i.account_code, i.service_date, amount),
        ('case_kind', i.case_kind, i.service_date, amount),
        ('location', coalesce(i.location_id::text, 'none'), i.service_date, amount),
        ('payer', ar_payer_key(i.account_code, i.payer_id), i.service_date, amount),
        ('provider', coalesce(i.provider_id::text, 'none'), i.service_date, amount);
END;
$$;

CREATE OR REPLACE FUNCTION reports_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    INSERT INTO ledger_daily_deltas (day, account_code, debits, credits)
    SELECT (j.posted_at AT TIME ZONE 'UTC')::date, n.account_code,
           sum(greatest(n.amount, 0)), sum(greatest(-n.amount, 0))
    FROM new_lines n JOIN journals j ON j.id = n.journal_id
    GROUP BY 1, 2;

    FOR r IN SELECT n.account_code, coalesce(n.case_id, j.case_id) AS case_id, j.source_type, j.source_id,
                    n.amount, j.posted_at
             FROM new_lines n JOIN journals j ON j.id = n.journal_id
             WHERE n.account_code IN (SELECT code FROM report_receivable_accounts)
             ORDER BY n.id
    LOOP
        PERFORM ar_apply(r.account_code, r.case_id, r.source_type, r.source_id, r.amount, r.posted_at);
    END LOOP;
    RETURN NULL;
END;
$$;

-- The folds move the deltas committed so far into the daily tables, in key
-- order, in a transaction of their own; one runs at a time (a second returns
-- at once, and its reader reads the deltas as they are).
CREATE FUNCTION ledger_daily_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('ledger_daily_fold')) THEN
        RETURN 0;
    END IF;
    WITH d AS (DELETE FROM ledger_daily_deltas RETURNING *),
         s AS (SELECT day, account_code, sum(debits) AS debits, sum(credits) AS credits, count(*) AS c
               FROM d GROUP BY day, account_code),
         i AS (INSERT INTO ledger_daily AS l (day, account_code, debits, credits)
               SELECT day, account_code, debits, credits FROM s ORDER BY day, account_code
               ON CONFLICT (day, account_code)
                   DO UPDATE SET debits = l.debits + EXCLUDED.debits, credits = l.credits + EXCLUDED.credits)
    SELECT coalesce(sum(c), 0) INTO moved FROM s;
    RETURN moved;
END;
$$;

CREATE FUNCTION ar_aging_daily_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('ar_aging_daily_fold')) THEN
        RETURN 0;
    END IF;
    WITH d AS (DELETE FROM ar_aging_daily_deltas RETURNING *),
         s AS (SELECT dim, key, service_date, sum(balance) AS balance, count(*) AS c
               FROM d GROUP BY dim, key, service_date),
         i AS (INSERT INTO ar_aging_daily AS a (dim, key, service_date, balance)
               SELECT dim, key, service_date, balance FROM s ORDER BY dim, key, service_date
               ON CONFLICT (dim, key, service_date) DO UPDATE SET balance = a.balance + EXCLUDED.balance)
    SELECT coalesce(sum(c), 0) INTO moved FROM s;
    RETURN moved;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
SELECT ledger_daily_fold(), ar_aging_daily_fold();

CREATE OR REPLACE FUNCTION ar_aging_add(i ar_items, amount numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF amount = 0 THEN
        RETURN;
    END IF;
    INSERT INTO ar_aging_daily AS d (dim, key, service_date, balance) VALUES
        ('account', i.account_code, i.service_date, amount),
        ('case_kind', i.case_kind, i.service_date, amount),
        ('location', coalesce(i.location_id::text, 'none'), i.service_date, amount),
        ('payer', ar_payer_key(i.account_code, i.payer_id), i.service_date, amount),
        ('provider', coalesce(i.provider_id::text, 'none'), i.service_date, amount)
    ON CONFLICT (dim, key, service_date) DO UPDATE SET balance = d.balance + EXCLUDED.balance;
END;
$$;

CREATE OR REPLACE FUNCTION reports_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    INSERT INTO ledger_daily AS d (day, account_code, debits, credits)
    SELECT (j.posted_at AT TIME ZONE 'UTC')::date, n.account_code,
           sum(greatest(n.amount, 0)), sum(greatest(-n.amount, 0))
    FROM new_lines n JOIN journals j ON j.id = n.journal_id
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, account_code)
        DO UPDATE SET debits = d.debits + EXCLUDED.debits, credits = d.credits + EXCLUDED.credits;

    FOR r IN SELECT n.account_code, coalesce(n.case_id, j.case_id) AS case_id, j.source_type, j.source_id,
                    n.amount, j.posted_at
             FROM new_lines n JOIN journals j ON j.id = n.journal_id
             WHERE n.account_code IN (SELECT code FROM report_receivable_accounts)
             ORDER BY n.id
    LOOP
        PERFORM ar_apply(r.account_code, r.case_id, r.source_type, r.source_id, r.amount, r.posted_at);
    END LOOP;
    RETURN NULL;
END;
$$;

DROP FUNCTION ar_aging_daily_fold();
DROP FUNCTION ledger_daily_fold();
DROP VIEW ar_aging_daily_all;
DROP VIEW ledger_daily_all;
DROP TABLE ar_aging_daily_deltas;
DROP TABLE ledger_daily_deltas;
-- +goose StatementEnd
