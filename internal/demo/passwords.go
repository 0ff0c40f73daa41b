package demo

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
)

// Password is the sign-in password of every demo user (shown in the README and
// by `rcm dev --demo`; the demo clinic's data is fictional).
const Password = "demo-clinic-2026"

// passwordsFor gives the demo users the seed just created their sign-in
// password (never again: a second seed changes nothing), so a newcomer signs
// in to the web app as any of them.
func passwordsFor(ctx context.Context, g *gorm.DB, userIDs []string) error {
	svc := &auth.Service{DB: g}
	for _, id := range userIDs {
		if err := svc.SetPassword(ctx, id, Password, false, audit.System); err != nil {
			return fmt.Errorf("demo user %s: %w", id, err)
		}
	}
	return nil
}
