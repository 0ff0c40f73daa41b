package demo

import (
	"context"

	"gorm.io/gorm"
)

// Password is the sign-in password of every demo user (shown in the README and
// by `rcm dev --demo`; the demo clinic's data is fictional).
const Password = "demo-clinic-2026"

// passwordsFor gives the demo users the seed just created their sign-in
// password. The web app's password function (branch web-core) is connected here
// when the branches are merged; until then the demo users have no password and
// sign in to the API with tokens (`rcm user token --email ...`).
func passwordsFor(ctx context.Context, g *gorm.DB, userIDs []string) error {
	_, _, _ = ctx, g, userIDs
	return nil
}
