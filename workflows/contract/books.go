package contract

import "time"

// The package expiry workflow: one per deployment, started by every worker
// (whichever starts first), expiring patients' packages past their last day
// every day by itself.
const (
	// PackageExpiryWorkflowName is the function name of workflows.PackageExpiryWorkflow.
	PackageExpiryWorkflowName = "PackageExpiryWorkflow"
	// PackageExpiryWorkflowID is the one package expiry workflow of a deployment.
	PackageExpiryWorkflowID = "package-expiry"
)

// PackageExpiryInput configures the package expiry workflow.
type PackageExpiryInput struct {
	// Interval is the time between runs (24h when zero). Runs are aligned to
	// multiples of it since the zero time, so with 24h each run starts at
	// midnight UTC and expires the packages whose last day was yesterday.
	Interval time.Duration `json:"interval"`
	// Iterations is how many runs one workflow run makes before it continues
	// as new (0: the default).
	Iterations int `json:"iterations,omitempty"`
}

// The scrub what-if run: one workflow per run, over the claims of a date range.
const (
	// WhatIfWorkflowName is the function name of workflows.ScrubWhatIfWorkflow.
	WhatIfWorkflowName = "ScrubWhatIfWorkflow"
	// QueryWhatIfProgress answers the run's WhatIfProgress.
	QueryWhatIfProgress = "progress"
)

// WhatIfWorkflowID is the workflow of one what-if run, by the run's id (an
// opaque UUID).
func WhatIfWorkflowID(runID string) string { return "scrub-what-if/" + runID }

// WhatIfInput starts (or continues) a what-if run.
type WhatIfInput struct {
	RunID string `json:"run_id"`
	// BatchSize is how many claims one activity scrubs (and commits) at once
	// (100 when zero).
	BatchSize int `json:"batch_size,omitempty"`
	// BatchesPerRun is how many batches one workflow run makes before it
	// continues as new (200 when zero).
	BatchesPerRun int `json:"batches_per_run,omitempty"`
	// Progress is where the previous workflow run left off.
	Progress WhatIfProgress `json:"progress"`
}

// WhatIfProgress is how far a what-if run is: claims scrubbed of the total in
// its range, and whether every claim is done. Counts only: no claim data, no
// PHI.
type WhatIfProgress struct {
	Total    int  `json:"total"`
	Done     int  `json:"done"`
	Batches  int  `json:"batches"`
	Finished bool `json:"finished"`
}
