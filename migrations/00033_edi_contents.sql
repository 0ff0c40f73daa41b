-- +goose Up
-- +goose StatementBegin

-- The claim page shows the 837P a claim was sent as and the 835 that paid it,
-- readable and as the raw file (issue 12). Until now only an 835's hash was kept
-- and an 837P could only be re-rendered, which gives the sent bytes only while
-- the claim is unchanged; keep the bytes themselves.

-- The 837P interchange of each submission, written when it is first prepared
-- (before it is sent), so the page shows exactly what went to the clearinghouse.
ALTER TABLE claim_submissions ADD COLUMN edi bytea;

-- Inbound files by content hash (remittances.file_sha256 names one), stored once
-- however often the file is uploaded or polled. Append-only: a received file
-- never changes.
CREATE TABLE edi_contents (
    sha256      text PRIMARY KEY,
    kind        text NOT NULL,
    data        bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcm_app') THEN
        GRANT SELECT, INSERT ON edi_contents TO rcm_app;
        REVOKE UPDATE, DELETE ON edi_contents FROM rcm_app;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE edi_contents;
ALTER TABLE claim_submissions DROP COLUMN edi;
-- +goose StatementEnd
