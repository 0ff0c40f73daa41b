package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// MaxUserLocations bounds the locations one user may be limited to.
const MaxUserLocations = 200

// Scope is what the user may see and act on: their locations, or every
// location when they have none (package access).
func (u User) Scope() access.Scope {
	return access.Scope{Locations: u.LocationIDs}
}

// AllLocations reports whether the user works at every location.
func (u User) AllLocations() bool { return !u.Scope().Limited() }

// SetLocations replaces the locations a user is limited to; an empty list
// lets them work at every location again. The change holds from the user's
// next request (Authenticate reads it every time) and its audit row carries
// the locations before and after. Setting the set a user already has changes
// nothing and writes no audit row.
func (s *Service) SetLocations(ctx context.Context, userID string, locationIDs []string, actor audit.Actor) (User, error) {
	var u User
	if uuid.Validate(userID) != nil {
		return u, userNotFound(userID)
	}
	var errs validate.Errors
	errs.Check(len(locationIDs) <= MaxUserLocations, "location_ids", "at most %d locations", MaxUserLocations)
	want := []string{}
	for i, id := range locationIDs {
		if uuid.Validate(id) != nil {
			errs.Add(fmt.Sprintf("location_ids[%d]", i), "must be a location id (a UUID)")
			continue
		}
		if !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	// Locations are never deleted (rows reference them), so they are looked
	// up before the transaction.
	var known []string
	if len(want) > 0 {
		if err := s.DB.WithContext(ctx).Raw(`SELECT id::text FROM locations WHERE id IN ?`, want).Scan(&known).Error; err != nil {
			return u, fmt.Errorf("find locations: %w", err)
		}
	}
	for i, id := range locationIDs {
		if uuid.Validate(id) == nil && !slices.Contains(known, id) {
			errs.Add(fmt.Sprintf("location_ids[%d]", i), "no such location")
		}
	}
	if len(errs) > 0 {
		return u, errs
	}
	slices.Sort(want)
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUser(tx, userID, &u); err != nil {
			return err
		}
		before, err := locationsOf(tx, userID)
		if err != nil {
			return err
		}
		if slices.Equal(before, want) {
			u.LocationIDs = want
			return nil
		}
		if err := tx.Exec(`DELETE FROM user_locations WHERE user_id = ?`, userID).Error; err != nil {
			return fmt.Errorf("replace locations of user %s: %w", userID, err)
		}
		for _, id := range want {
			if err := tx.Exec(`INSERT INTO user_locations (user_id, location_id) VALUES (?, ?)`, userID, id).Error; err != nil {
				return fmt.Errorf("limit user %s to location %s: %w", userID, id, err)
			}
		}
		u.LocationIDs = want
		return audit.Record(tx, actor, "user.locations", "user", userID, audit.Diff(
			map[string]any{"location_ids": before, "all_locations": len(before) == 0},
			map[string]any{"location_ids": want, "all_locations": len(want) == 0}))
	})
	return u, err
}

// locationsOf reads a user's locations, sorted.
func locationsOf(tx *gorm.DB, userID string) ([]string, error) {
	out := []string{}
	if err := tx.Raw(`SELECT location_id::text FROM user_locations WHERE user_id = ? ORDER BY location_id`, userID).
		Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("locations of user %s: %w", userID, err)
	}
	return out, nil
}

// loadLocations fills u.LocationIDs.
func (s *Service) loadLocations(ctx context.Context, u *User) error {
	ids, err := locationsOf(s.DB.WithContext(ctx), u.ID)
	u.LocationIDs = ids
	return err
}

// loadAllLocations fills LocationIDs of a list of users with one query.
func (s *Service) loadAllLocations(ctx context.Context, users []User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
		users[i].LocationIDs = []string{}
	}
	var rows []struct{ UserID, LocationID string }
	if err := s.DB.WithContext(ctx).Raw(`SELECT user_id::text, location_id::text FROM user_locations
		WHERE user_id IN ? ORDER BY user_id, location_id`, ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("locations of users: %w", err)
	}
	for _, r := range rows {
		for i := range users {
			if users[i].ID == r.UserID {
				users[i].LocationIDs = append(users[i].LocationIDs, r.LocationID)
			}
		}
	}
	return nil
}
