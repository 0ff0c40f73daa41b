-- +goose Up
-- +goose StatementBegin

-- The audit log is a hash chain: each row stores the hash of the row before it
-- (prev_hash) and a SHA-256 over its own content and that prev_hash (hash), so an
-- edit, a deleted row or a reordering shows when the chain is recomputed
-- (audit.Verify, `rcm audit verify`, GET /api/v1/audit/verify).
--
-- Chain order is seq, not id. Many transactions insert audit rows at once and ids
-- come from a sequence when the row is built, so ids are neither commit order nor
-- gap-free (a rolled-back insert burns its id). The link is instead made by the
-- BEFORE INSERT trigger below under the row lock of audit_chain_head, the one row
-- holding the tip of the chain: the lock is held until the inserting transaction
-- commits or rolls back, so the next writer waits, then (READ COMMITTED: a new
-- snapshot per statement) reads the committed tip and appends after it. seq is
-- therefore gap-free in commit order, a rollback leaves no hole, and the UNIQUE
-- index on seq turns any fork (two rows after one tip) into an error rather than a
-- silent branch. Doing it in the database rather than in audit.Record covers every
-- insert, whatever writes it. The cost: audit writes are serialized from the insert
-- to the commit, so a business transaction should write its audit row last.
--
-- The head row also records the tip's seq and hash, so rows deleted from the end
-- of the log (which leave no broken link behind them) show as well.
--
-- The hashed encoding is versioned text, one field per line as <byte length>:<value>
-- (NULL as a bare "-"), in this order: prev_hash, id, seq, at as Unix microseconds,
-- actor_id, action, entity_type, entity_id, request_id, changes as stored (jsonb
-- text). audit.Verify recomputes it in Go, independent of this function; the two
-- must stay byte-for-byte the same.
ALTER TABLE audit_log
    ADD COLUMN seq bigint,
    ADD COLUMN prev_hash text,
    ADD COLUMN hash text;

CREATE TABLE audit_chain_head (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq   bigint NOT NULL,
    hash  text NOT NULL
);

CREATE FUNCTION audit_chain_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(v) || ':' || v END || E'\n'
$f$;

CREATE FUNCTION audit_row_hash(prev_hash text, id bigint, seq bigint, at timestamptz,
        actor_id uuid, action text, entity_type text, entity_id text, request_id text,
        changes jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT encode(sha256(convert_to(
        E'rcm-audit-v1\n'
        || audit_chain_field(prev_hash)
        || audit_chain_field(id::text)
        || audit_chain_field(seq::text)
        || audit_chain_field((extract(epoch FROM at) * 1000000)::bigint::text)
        || audit_chain_field(actor_id::text)
        || audit_chain_field(action)
        || audit_chain_field(entity_type)
        || audit_chain_field(entity_id)
        || audit_chain_field(request_id)
        || audit_chain_field(changes::text), 'UTF8')), 'hex')
$f$;

-- Existing rows: chained in id order, from an all-zero genesis hash.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
DO $$
DECLARE
    r record;
    n bigint := 0;
    prev text := repeat('0', 64);
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        UPDATE audit_log SET seq = n, prev_hash = prev,
            hash = audit_row_hash(prev, r.id, n, r.at, r.actor_id, r.action, r.entity_type,
                r.entity_id, r.request_id, r.changes)
        WHERE id = r.id
        RETURNING hash INTO prev;
    END LOOP;
    INSERT INTO audit_chain_head (seq, hash) VALUES (n, prev);
END;
$$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

ALTER TABLE audit_log
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

-- SECURITY DEFINER: whoever may insert into audit_log extends the chain through
-- this function without any privilege of their own on audit_chain_head, so an
-- application role limited to INSERT on the log cannot move the head.
CREATE FUNCTION audit_chain_link() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    tip audit_chain_head;
BEGIN
    SELECT * INTO STRICT tip FROM audit_chain_head FOR UPDATE;
    NEW.seq := tip.seq + 1;
    NEW.prev_hash := tip.hash;
    NEW.hash := audit_row_hash(NEW.prev_hash, NEW.id, NEW.seq, NEW.at, NEW.actor_id,
        NEW.action, NEW.entity_type, NEW.entity_id, NEW.request_id, NEW.changes);
    UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

-- The head row is only ever moved by the trigger; nobody deletes it.
CREATE TRIGGER audit_chain_head_keep BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_chain_link();
DROP TABLE audit_chain_head;
DROP FUNCTION audit_row_hash(text, bigint, bigint, timestamptz, uuid, text, text, text, text, jsonb);
DROP FUNCTION audit_chain_field(text);
DROP INDEX audit_log_seq;
ALTER TABLE audit_log DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN seq;
-- +goose StatementEnd
