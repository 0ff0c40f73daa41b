package demo

import (
	"context"

	"gorm.io/gorm"
)

// Password is the sign-in password of every demo user (shown in the README and
// by `rcm dev --demo`; the demo clinic's data is fictional).
const Password = "demo-clinic-2026"

// passwordsFor gives the demo users the seed just created their sign-in
// password (never again: a second seed changes nothing).
//
// MERGE POINT: the web app's password function lives on branch web-core
// (auth.Service.SetPassword, migration 00032). When the branches are merged,
// the body becomes:
//
//	svc := &auth.Service{DB: g}
//	for _, id := range userIDs {
//		if err := svc.SetPassword(ctx, id, Password, false, audit.System); err != nil {
//			return fmt.Errorf("demo user %s: %w", id, err)
//		}
//	}
//	return nil
//
// Until then the demo users have no password and use the API with tokens
// (`rcm user token --email biller.maple@demo.clinicflow.test`).
func passwordsFor(ctx context.Context, g *gorm.DB, userIDs []string) error {
	_, _, _ = ctx, g, userIDs
	return nil
}
