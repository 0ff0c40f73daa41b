-- +goose Up
-- +goose StatementBegin

-- Users limited to locations (issue 8). A user with rows here works only at
-- those locations and sees only their patients, cases, claims, tasks and
-- reports (package access says what belongs to a location); a user with no
-- rows works at every location, so existing users, and managers and admins
-- who span the practice, keep seeing everything until an admin limits them.
CREATE TABLE user_locations (
    user_id     uuid NOT NULL REFERENCES users(id),
    location_id uuid NOT NULL REFERENCES locations(id),
    PRIMARY KEY (user_id, location_id)
);
-- An admin replaces a user's set (DELETE then INSERT in one transaction).
GRANT SELECT, INSERT, DELETE ON user_locations TO rcm_app;

-- A case belongs to the location it was opened at, so a front desk limited to
-- a clinic can see the case it just opened before the first check-in; its
-- visits add the locations they were checked in at. Existing cases take the
-- location of their first visit.
ALTER TABLE cases ADD COLUMN location_id uuid REFERENCES locations(id);
UPDATE cases c SET location_id = (SELECT e.location_id FROM encounters e WHERE e.case_id = c.id
    ORDER BY e.checked_in_at, e.id LIMIT 1);
CREATE INDEX cases_location ON cases (location_id);

-- A patient belongs to the location that registered them (and to those of
-- their cases), so a limited front desk can register a patient and then open
-- their first case. Existing patients have none: their cases place them.
ALTER TABLE patients ADD COLUMN location_id uuid REFERENCES locations(id);
CREATE INDEX patients_location ON patients (location_id);

-- The scope's subqueries look visits up by location.
CREATE INDEX encounters_location ON encounters (location_id, case_id);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX encounters_location;
ALTER TABLE patients DROP COLUMN location_id;
ALTER TABLE cases DROP COLUMN location_id;
DROP TABLE user_locations;
-- +goose StatementEnd
