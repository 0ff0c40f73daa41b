-- +goose Up
-- +goose StatementBegin

-- A token may expire. NULL means it never does: the tokens issued before this
-- migration keep working, and so do the tokens an operator issues on the host
-- (`rcm user token`, the bootstrap admin token of `rcm dev`), since whoever can run
-- those can reach the database anyway. Tokens issued through the API
-- (POST /users/{id}/tokens) always get an expiry. Authentication refuses a token
-- whose expires_at has passed, just as it refuses a revoked one.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;

-- Listing a user's tokens (GET /users/{id}/tokens) reads them by user.
CREATE INDEX api_tokens_user_id ON api_tokens (user_id, created_at);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX api_tokens_user_id;
ALTER TABLE api_tokens DROP COLUMN expires_at;
-- +goose StatementEnd
