// Package scrubrules keeps the scrub rules as versioned data and tries them on
// past claims before they go live.
//
// A rule set (a version) is a scrub.Config: which of internal/scrub's rules run,
// their thresholds, and payer-specific rules. Versions are never edited: a
// biller or manager changes the rules by saving a new draft version, runs it
// against the claims of the last months (a what-if run, executed by the
// ScrubWhatIfWorkflow in batches) to see which claims it would have stopped and
// which of those the payer then denied, and publishes it. The published version
// is the one new claims are scrubbed with, and each claim records the version
// that scrubbed it (claims.scrub_rule_version).
package scrubrules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/validate"
)

// Service runs rule-set and what-if operations against the database.
type Service struct {
	DB *gorm.DB
}

// ErrNotFound is returned for an unknown version or run.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrNoPublished is returned when no rule set is published (the migration
// publishes version 1, so only a broken database lacks one).
var ErrNoPublished = errors.New("scrubrules: no published rule set")

// Statuses of a rule-set version.
const (
	Draft     = "draft"
	Published = "published"
	Retired   = "retired"
)

// lockVersions serializes numbering and publishing versions.
const lockVersions = 7301301

// RuleSet is one version of the scrub rules.
type RuleSet struct {
	Version     int          `gorm:"primaryKey" json:"version"`
	BasedOn     *int         `json:"based_on"`
	Note        string       `json:"note"`
	Config      scrub.Config `gorm:"serializer:json;type:jsonb" json:"config"`
	Status      string       `json:"status"`
	CreatedBy   *string      `gorm:"type:uuid" json:"created_by"`
	CreatedAt   time.Time    `json:"created_at"`
	PublishedAt *time.Time   `json:"published_at"`
	PublishedBy *string      `gorm:"type:uuid" json:"published_by"`
}

// TableName is the table of rule sets.
func (RuleSet) TableName() string { return "scrub_rule_sets" }

// Rules are the runnable rules of the version.
func (r RuleSet) Rules() []scrub.Rule { return r.Config.Build() }

// NewRuleSet is a version to save as a draft.
type NewRuleSet struct {
	// BasedOn is the version the change starts from; the published one when nil.
	BasedOn *int
	Note    string
	Config  scrub.Config
}

func userID(actor audit.Actor) *string {
	if actor.UserID == "" {
		return nil
	}
	return &actor.UserID
}

// Create saves a new draft version: the config normalized (every catalogue rule
// once, defaults filled in), numbered one past the highest version.
func (s *Service) Create(ctx context.Context, in NewRuleSet, actor audit.Actor) (RuleSet, error) {
	cfg, err := in.Config.Normalize()
	var errs validate.Errors
	if err != nil && !errors.As(err, &errs) {
		return RuleSet{}, err
	}
	in.Note = strings.TrimSpace(in.Note)
	errs.Check(len(in.Note) <= 500, "note", "must be at most 500 characters")
	if err := errs.Err(); err != nil {
		return RuleSet{}, err
	}
	var out RuleSet
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, lockVersions).Error; err != nil {
			return err
		}
		base := in.BasedOn
		if base == nil {
			cur, err := current(tx)
			if err != nil {
				return err
			}
			base = &cur.Version
		} else {
			var n int64
			if err := tx.Model(&RuleSet{}).Where("version = ?", *base).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return validate.Errors{{Field: "based_on", Message: "no such version"}}
			}
		}
		var top int
		if err := tx.Raw(`SELECT coalesce(max(version), 0) FROM scrub_rule_sets`).Scan(&top).Error; err != nil {
			return err
		}
		out = RuleSet{Version: top + 1, BasedOn: base, Note: in.Note, Config: cfg, Status: Draft,
			CreatedBy: userID(actor), CreatedAt: time.Now().UTC()}
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("create scrub rule set %d: %w", out.Version, err)
		}
		return audit.Record(tx, actor, "scrub.rules.create", "scrub_rule_set", fmt.Sprint(out.Version),
			map[string]any{"version": out.Version, "based_on": *base, "payer_rules": len(cfg.PayerRules), "enabled": enabledNames(cfg)})
	})
	return out, err
}

func enabledNames(c scrub.Config) []string {
	var out []string
	for _, r := range c.Rules {
		if r.Enabled {
			out = append(out, r.Name)
		}
	}
	return out
}

// Get returns one version.
func (s *Service) Get(ctx context.Context, version int) (RuleSet, error) {
	var r RuleSet
	res := s.DB.WithContext(ctx).Where("version = ?", version).Limit(1).Find(&r)
	if res.Error != nil {
		return r, fmt.Errorf("scrub rule set %d: %w", version, res.Error)
	}
	if res.RowsAffected == 0 {
		return r, fmt.Errorf("scrub rule set %d: %w", version, ErrNotFound)
	}
	return r, nil
}

// List lists versions, newest first.
func (s *Service) List(ctx context.Context, limit int) ([]RuleSet, error) {
	var out []RuleSet
	err := s.DB.WithContext(ctx).Order("version DESC").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// Current returns the published version: the rules new claims are scrubbed with.
func (s *Service) Current(ctx context.Context) (RuleSet, error) {
	return current(s.DB.WithContext(ctx))
}

func current(tx *gorm.DB) (RuleSet, error) {
	var r RuleSet
	res := tx.Where("status = ?", Published).Limit(1).Find(&r)
	if res.Error != nil {
		return r, fmt.Errorf("published scrub rule set: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return r, ErrNoPublished
	}
	return r, nil
}

// Publish makes a version the one new claims are scrubbed with; the version
// published before it is retired. Publishing a retired version again rolls the
// rules back to it; publishing the published version changes nothing.
func (s *Service) Publish(ctx context.Context, version int, actor audit.Actor) (RuleSet, error) {
	var out RuleSet
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, lockVersions).Error; err != nil {
			return err
		}
		res := tx.Where("version = ?", version).Limit(1).Find(&out)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("scrub rule set %d: %w", version, ErrNotFound)
		}
		if out.Status == Published {
			return nil
		}
		prev, err := current(tx)
		if err != nil && !errors.Is(err, ErrNoPublished) {
			return err
		}
		if err := tx.Model(&RuleSet{}).Where("status = ?", Published).Update("status", Retired).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		if err := tx.Model(&RuleSet{}).Where("version = ?", version).Updates(map[string]any{
			"status": Published, "published_at": now, "published_by": userID(actor)}).Error; err != nil {
			return fmt.Errorf("publish scrub rule set %d: %w", version, err)
		}
		out.Status, out.PublishedAt, out.PublishedBy = Published, &now, userID(actor)
		return audit.Record(tx, actor, "scrub.rules.publish", "scrub_rule_set", fmt.Sprint(version),
			map[string]any{"version": version, "replaces": prev.Version})
	})
	return out, err
}

// ScrubStored scrubs a stored claim with the published rules as of now, and
// records on the claim the version that scrubbed it. It returns the failures
// and the version.
func (s *Service) ScrubStored(ctx context.Context, cs *claims.Service, claimID string, now time.Time) ([]scrub.Failure, int, error) {
	rs, err := s.Current(ctx)
	if err != nil {
		return nil, 0, err
	}
	failures, err := cs.Scrub(ctx, claimID, now, rs.Rules())
	if err != nil {
		return nil, 0, err
	}
	if err := s.DB.WithContext(ctx).Exec(`UPDATE claims SET scrub_rule_version = ? WHERE id = ?`, rs.Version, claimID).Error; err != nil {
		return nil, 0, fmt.Errorf("record scrub rule version on claim %s: %w", claimID, err)
	}
	return failures, rs.Version, nil
}
