-- +goose Up
-- +goose StatementBegin

-- PHI at rest (issue 8). The application seals the most sensitive columns with
-- AES-256-GCM before they reach the database (internal/phicrypt; README "PHI
-- at rest"): a sealed value is text of the form phi1:<key id>:<base64>.
--
--   coverages.member_id, coverages.group_number
--   legal_cases.insurer_claim_number, legal_wc_decisions.claim_number
--   remittance_claims.detail: the patient, insured and corrected patient of
--       the 835 claim (names and IDs) sealed under the key "phi"
--   claims.cob: subscriber.member_id and subscriber.group_number
--   whole EDI files (bytea holding the sealed text): claim_submissions.edi,
--       edi_contents.data, clearinghouse_requests.body, clearinghouse_mailbox.data
--
-- SQL cannot seal without the key, so this migration changes no value: rows
-- written before it stay plain text, which the application still reads, until
-- `rcm phi rotate` (also `rcm dev` at start) seals them. The columns keep their
-- type (text, jsonb, bytea); only their contents change.
--
-- A sealed value cannot be compared (a fresh nonce each write), so a member ID
-- is found by its keyed hash: hex HMAC-SHA256 of the normalised member ID
-- (letters and digits, upper case) under PHI_LOOKUP_KEY. NULL until the row is
-- written by the application or rotated.
ALTER TABLE coverages ADD COLUMN member_id_hash text
    CHECK (member_id_hash IS NULL OR member_id_hash ~ '^[0-9a-f]{64}$');
CREATE INDEX coverages_member_id_hash ON coverages (member_id_hash) WHERE member_id_hash IS NOT NULL;

-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX coverages_member_id_hash;
ALTER TABLE coverages DROP COLUMN member_id_hash;
-- +goose StatementEnd
