package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/packages"
	"github.com/clinicflow/rcm/internal/scrubrules"
	"github.com/clinicflow/rcm/workflows/contract"
)

// ExpirePackages expires every package whose last day is before asOf (the
// moment the package expiry workflow runs for): unused credit refunded or
// forfeited by the plan's rule, one balanced journal per package. Idempotent:
// a package expires once and its journal has an idempotency key.
func (a *Activities) ExpirePackages(ctx context.Context, asOf time.Time) (packages.ExpiryResult, error) {
	r, err := (&packages.Service{DB: a.DB}).Expire(ctx, asOf, audit.System)
	return r, classify(err)
}

// WhatIfBatchInput is one batch of a what-if run.
type WhatIfBatchInput struct {
	RunID     string `json:"run_id"`
	BatchSize int    `json:"batch_size"`
}

// WhatIfBatch scrubs the run's next batch of past claims with the proposed and
// the baseline rules and commits the results with the run's cursor and counts
// (scrubrules.Service.Batch), heartbeating after each claim. A retry after a
// commit goes on from the next claim, so nothing is counted twice. It answers
// counts only.
func (a *Activities) WhatIfBatch(ctx context.Context, in WhatIfBatchInput) (contract.WhatIfProgress, error) {
	p, err := (&scrubrules.Service{DB: a.DB}).Batch(ctx, in.RunID, in.BatchSize, func(done int) {
		activity.RecordHeartbeat(ctx, done)
	})
	return contract.WhatIfProgress{Total: p.Total, Done: p.Done, Finished: p.Finished}, classify(err)
}

// EndWhatIfInput ends a run that did not complete.
type EndWhatIfInput struct {
	RunID  string `json:"run_id"`
	Status string `json:"status"` // failed or cancelled
	Reason string `json:"reason"`
}

// EndWhatIf marks a run failed or cancelled (a run already ended stays).
func (a *Activities) EndWhatIf(ctx context.Context, in EndWhatIfInput) error {
	return classify((&scrubrules.Service{DB: a.DB}).End(ctx, in.RunID, in.Status, in.Reason))
}
