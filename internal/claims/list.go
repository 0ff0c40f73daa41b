package claims

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/db"
)

// Filter selects claims to list; empty fields match every claim.
type Filter struct {
	PayerID string
	CaseID  string
	Stage   string
	// StageChangedBefore keeps claims whose stage last changed at or before it.
	StageChangedBefore time.Time
	Limit              int
}

// List returns claims, the longest unchanged first.
func (s *Service) List(ctx context.Context, f Filter) ([]Claim, error) {
	q := access.Restrict(ctx, s.DB.WithContext(ctx).Model(&Claim{}), "claims")
	for col, v := range map[string]string{"payer_id": f.PayerID, "case_id": f.CaseID, "stage": f.Stage} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	if !f.StageChangedBefore.IsZero() {
		q = q.Where("stage_changed_at <= ?", f.StageChangedBefore)
	}
	var out []Claim
	if err := q.Order("stage_changed_at, id").Limit(db.Page(f.Limit)).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list claims: %w", err)
	}
	return out, nil
}

// Get reads a claim with its lines, in line order; ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id string) (Claim, []ClaimLine, error) {
	var cl Claim
	lines := []ClaimLine{}
	if uuid.Validate(id) != nil {
		return cl, nil, fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	g := s.DB.WithContext(ctx)
	res := access.Restrict(ctx, g.Where("id = ?", id), "claims").Limit(1).Find(&cl)
	switch {
	case res.Error != nil:
		return cl, nil, fmt.Errorf("read claim %s: %w", id, res.Error)
	case res.RowsAffected == 0:
		return cl, nil, fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if err := g.Where("claim_id = ?", id).Order("line_number").Find(&lines).Error; err != nil {
		return cl, nil, fmt.Errorf("read lines of claim %s: %w", id, err)
	}
	return cl, lines, nil
}
