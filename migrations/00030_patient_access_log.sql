-- +goose Up
-- +goose StatementBegin

-- Reads of patient records: who looked at which patient, when, through which
-- route (a route template, never the query string). One row per patient per
-- request; a list answer records every patient it showed. The table is
-- append-only (the trigger refuses UPDATE and DELETE) and apart from the audit
-- hash chain: reads are many and must not queue behind the chain's head lock.
CREATE TABLE patient_access_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid REFERENCES users(id),
    patient_id  uuid NOT NULL,
    route       text NOT NULL,
    request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX patient_access_log_patient ON patient_access_log (patient_id, at DESC, id DESC);
CREATE INDEX patient_access_log_user ON patient_access_log (user_id, at DESC);

CREATE FUNCTION patient_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    RAISE EXCEPTION 'patient_access_log is append-only: % refused', TG_OP;
END
$f$;
CREATE TRIGGER patient_access_log_append_only BEFORE UPDATE OR DELETE ON patient_access_log
    FOR EACH ROW EXECUTE FUNCTION patient_access_log_append_only();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE patient_access_log;
DROP FUNCTION patient_access_log_append_only();
-- +goose StatementEnd
