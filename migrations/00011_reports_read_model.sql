-- +goose Up
-- +goose StatementBegin

-- Manager views (internal/reports) read two small summaries of the ledger instead of
-- scanning journal_lines, which grow by millions of rows. Both are kept current by
-- a trigger on journal_lines, so they change in the same transaction as the journal
-- that moves the money, whatever code posts it: they can never disagree with the
-- ledger, and a rolled-back posting leaves no trace in them either.

-- The accounts A/R aging reports: the receivables of ledger.ReceivableAccounts.
-- A new receivable account is one row here (and a backfill of its lines).
CREATE TABLE report_receivable_accounts (
    code  text PRIMARY KEY REFERENCES ledger_accounts(code),
    label text NOT NULL
);
INSERT INTO report_receivable_accounts (code, label) VALUES
    ('1100', 'Patient A/R'),
    ('1200', 'Insurance A/R'),
    ('1300', 'Held A/R (lien, legal cases)');

-- Open items of the receivables: one row per receivable account, case and visit
-- (encounter), holding that visit's balance on that account. Every receivable
-- journal line lands in exactly one item, so the items of an account sum to the
-- account's ledger balance to the cent. A line is tied to a visit through its
-- journal's source (a charge, a claim, a remittance claim); a credit not tied to
-- a visit (a patient payment, an adjustment, a patient credit applied) pays the
-- case's oldest open items on that account first, and what is left, or a debit
-- not tied to a visit, stays on the case's own item (encounter_id NULL).
--
-- service_date is what aging counts from: the visit's date of service, or for a
-- case's own item the day it was first posted. Insurance A/R items carry the
-- visit's current claim and its payer (kept by the claims trigger below); an
-- insurance item with no claim is unbilled.
CREATE TABLE ar_items (
    id            bigserial PRIMARY KEY,
    account_code  text NOT NULL REFERENCES ledger_accounts(code),
    case_id       uuid,
    encounter_id  uuid,
    case_kind     text NOT NULL DEFAULT '',
    patient_id    uuid,
    location_id   uuid,
    provider_id   uuid,
    service_date  date NOT NULL,
    claim_id      uuid,
    payer_id      uuid,
    balance       numeric(14,2) NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ar_items_key ON ar_items (account_code, case_id, encounter_id) NULLS NOT DISTINCT;
-- Aging reads only open items; most items of a mature book are settled (zero).
CREATE INDEX ar_items_open ON ar_items (service_date) INCLUDE (account_code, balance, case_kind, location_id, provider_id, payer_id)
    WHERE balance <> 0;
CREATE INDEX ar_items_encounter ON ar_items (encounter_id) WHERE account_code = '1200';
-- Drill-down by payer (the most common cell a manager opens).
CREATE INDEX ar_items_open_payer ON ar_items (payer_id, service_date) WHERE balance <> 0;

-- Open A/R per grouping and date of service: what aging buckets read, a few
-- thousand rows however many visits are open. dim is account, payer (a payer id,
-- or patient, held, unbilled), case_kind, location or provider (an id, or none
-- for a case's own item); every change of an ar_items row is applied here by the
-- trigger below, so each dim sums to the receivables.
CREATE TABLE ar_aging_daily (
    dim           text NOT NULL,
    key           text NOT NULL,
    service_date  date NOT NULL,
    balance       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, key, service_date)
);

CREATE FUNCTION ar_payer_key(acct text, payer uuid) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE acct WHEN '1200' THEN coalesce(payer::text, 'unbilled') WHEN '1100' THEN 'patient' ELSE 'held' END
$$;

CREATE FUNCTION ar_aging_add(i ar_items, amount numeric) RETURNS void LANGUAGE plpgsql AS $$
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

CREATE FUNCTION ar_items_summarize() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (OLD.payer_id IS NOT DISTINCT FROM NEW.payer_id) THEN
            PERFORM ar_aging_add(NEW, NEW.balance - OLD.balance);
            RETURN NULL;
        END IF;
        PERFORM ar_aging_add(OLD, -OLD.balance);
    END IF;
    PERFORM ar_aging_add(NEW, NEW.balance);
    RETURN NULL;
END;
$$;

CREATE TRIGGER ar_items_aging AFTER INSERT OR UPDATE ON ar_items
    FOR EACH ROW EXECUTE FUNCTION ar_items_summarize();

-- Debits and credits per account per day (UTC, by posted_at): the month, week and
-- trend figures of the dashboard and the KPIs, and every account's balance at the
-- end of any day (a running sum), read from a few thousand rows.
CREATE TABLE ledger_daily (
    day           date NOT NULL,
    account_code  text NOT NULL REFERENCES ledger_accounts(code),
    debits        numeric(16,2) NOT NULL DEFAULT 0,
    credits       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, account_code)
);

-- ar_add puts amount on the item of (account, case, visit), creating it with its
-- dimensions on first use.
CREATE FUNCTION ar_add(acct text, cas uuid, enc uuid, amount numeric, posted timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ar_items AS i (account_code, case_id, encounter_id, case_kind, patient_id, location_id,
            provider_id, service_date, claim_id, payer_id, balance)
    SELECT acct, cas, enc, coalesce(cs.kind, ''), cs.patient_id, e.location_id, e.provider_id,
           coalesce(e.service_date, (posted AT TIME ZONE 'UTC')::date), cl.id, cl.payer_id, amount
    FROM (SELECT 1) one
    LEFT JOIN cases cs ON cs.id = cas
    LEFT JOIN encounters e ON e.id = enc
    LEFT JOIN LATERAL (SELECT c.id, c.payer_id FROM claims c
                       WHERE acct = '1200' AND c.encounter_id = enc AND c.frequency <> '8'
                         AND c.stage NOT IN ('voided', 'replaced')
                       ORDER BY c.created_at DESC, c.id DESC LIMIT 1) cl ON true
    ON CONFLICT (account_code, case_id, encounter_id)
        DO UPDATE SET balance = i.balance + EXCLUDED.balance, updated_at = now();
END;
$$;

-- ar_apply places one receivable journal line (see ar_items).
CREATE FUNCTION ar_apply(acct text, cas uuid, source_type text, source_id uuid, amount numeric,
        posted timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    enc  uuid;
    rest numeric;
    take numeric;
    it   record;
BEGIN
    enc := CASE source_type
        WHEN 'charge' THEN (SELECT encounter_id FROM charges WHERE id = source_id)
        WHEN 'claim' THEN (SELECT encounter_id FROM claims WHERE id = source_id)
        WHEN 'remittance_claim' THEN (SELECT c.encounter_id FROM remittance_claims rc
                                      JOIN claims c ON c.id = rc.claim_id WHERE rc.id = source_id)
        WHEN 'encounter' THEN source_id
    END;
    IF enc IS NULL AND amount < 0 THEN
        rest := -amount;
        FOR it IN SELECT id, balance FROM ar_items
                  WHERE account_code = acct AND case_id IS NOT DISTINCT FROM cas
                    AND encounter_id IS NOT NULL AND balance > 0
                  ORDER BY service_date, id
        LOOP
            take := least(rest, it.balance);
            UPDATE ar_items SET balance = balance - take, updated_at = now() WHERE id = it.id;
            rest := rest - take;
            EXIT WHEN rest = 0;
        END LOOP;
        IF rest = 0 THEN
            RETURN;
        END IF;
        amount := -rest;
    END IF;
    PERFORM ar_add(acct, cas, enc, amount, posted);
END;
$$;

-- One statement inserts a journal's lines (ledger.Post), so the trigger runs once
-- per journal. Daily rows are upserted in key order, so postings running at once
-- lock them in one order.
CREATE FUNCTION reports_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER journal_lines_reports AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION reports_apply_lines();

-- A new claim (original, replacement or secondary) takes over its visit's
-- insurance A/R: the payer billed now is the one that owes it.
CREATE FUNCTION reports_claim_billed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ar_items SET claim_id = NEW.id, payer_id = NEW.payer_id, updated_at = now()
    WHERE encounter_id = NEW.encounter_id AND account_code = '1200';
    RETURN NULL;
END;
$$;

CREATE TRIGGER claims_reports_billed AFTER INSERT ON claims
    FOR EACH ROW WHEN (NEW.frequency <> '8') EXECUTE FUNCTION reports_claim_billed();

-- Backfill from the ledger as posted, in posting order.
INSERT INTO ledger_daily (day, account_code, debits, credits)
SELECT (j.posted_at AT TIME ZONE 'UTC')::date, l.account_code,
       sum(greatest(l.amount, 0)), sum(greatest(-l.amount, 0))
FROM journal_lines l JOIN journals j ON j.id = l.journal_id
GROUP BY 1, 2;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT l.account_code, coalesce(l.case_id, j.case_id) AS case_id, j.source_type, j.source_id,
                    l.amount, j.posted_at
             FROM journal_lines l JOIN journals j ON j.id = l.journal_id
             WHERE l.account_code IN (SELECT code FROM report_receivable_accounts)
             ORDER BY l.id
    LOOP
        PERFORM ar_apply(r.account_code, r.case_id, r.source_type, r.source_id, r.amount, r.posted_at);
    END LOOP;
END;
$$;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER claims_reports_billed ON claims;
DROP FUNCTION reports_claim_billed();
DROP TRIGGER journal_lines_reports ON journal_lines;
DROP FUNCTION reports_apply_lines();
DROP FUNCTION ar_apply(text, uuid, text, uuid, numeric, timestamptz);
DROP FUNCTION ar_add(text, uuid, uuid, numeric, timestamptz);
DROP TABLE ledger_daily;
DROP TRIGGER ar_items_aging ON ar_items;
DROP FUNCTION ar_items_summarize();
DROP FUNCTION ar_aging_add(ar_items, numeric);
DROP FUNCTION ar_payer_key(text, uuid);
DROP TABLE ar_aging_daily;
DROP TABLE ar_items;
DROP TABLE report_receivable_accounts;
-- +goose StatementEnd
