package tasks

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SLA is how long a task of a queue and kind may wait before it is overdue.
// Kind "" is the queue's default.
type SLA struct {
	Queue  string
	Kind   string
	Within time.Duration
}

// DefaultSLA applies to a queue with no line in the table (a queue added
// without one).
const DefaultSLA = 72 * time.Hour

// SLAs is the built-in SLA table, one line per queue or queue and kind; the
// most specific line wins. TASK_SLA overrides or adds lines (see PolicyFromEnv).
// A new queue adds its line here.
var SLAs = []SLA{
	{QueueCharges, "", 24 * time.Hour},                // a visit without charges holds up its claim
	{QueueClaimFix, "", 48 * time.Hour},               // scrub failures: fix before the claim goes out
	{QueueEligibility, "", 24 * time.Hour},            // coverage problems found before submission
	{QueueRejections, "", 48 * time.Hour},             // payer rejections: correct and resubmit
	{QueueFollowUp, "", 5 * 24 * time.Hour},           // silent payers
	{QueueFollowUp, KindTimelyFiling, 24 * time.Hour}, // a filing deadline is near
	{QueueDenials, "", 3 * 24 * time.Hour},            // decide appeal, correct, write off or transfer
	{QueueDenials, KindAppealOverdue, 24 * time.Hour}, // an appeal deadline is near
	{QueueApprovals, "", 2 * 24 * time.Hour},          // write-offs awaiting a manager
	{QueueUnmatched, "", 3 * 24 * time.Hour},          // money that matches no claim
	{QueueInventory, "", 3 * 24 * time.Hour},          // supplies below their reorder level
	{QueueLegal, "", 2 * 24 * time.Hour},              // attorney follow-ups, liens, treatment gaps, SOL
}

// Policy is the configurable part of the work queues.
type Policy struct {
	// SLAs is the SLA table (lines later in the slice win over earlier ones
	// of the same queue and kind).
	SLAs []SLA
	// ClaimCap is the most tasks one user may hold claimed at once
	// (claim-next refuses more; a manager's assignment is not capped).
	ClaimCap int
	// EscalationBoost is how much an overdue task's priority rises, once.
	EscalationBoost int
	// SweepInterval is the longest the escalation sweep sleeps between runs; it
	// wakes sooner at the next due time or snooze end it knows of.
	SweepInterval time.Duration
}

// DefaultPolicy is the policy without configuration.
func DefaultPolicy() Policy {
	return Policy{SLAs: slices.Clone(SLAs), ClaimCap: 25, EscalationBoost: 10, SweepInterval: time.Minute}
}

// Within returns the SLA of a queue and kind: the queue-and-kind line, else the
// queue's line, else DefaultSLA.
func (p Policy) Within(queue, kind string) time.Duration {
	within, best := DefaultSLA, 0
	for _, s := range p.SLAs {
		switch {
		case s.Queue == queue && s.Kind == kind && kind != "":
			within, best = s.Within, 2
		case s.Queue == queue && s.Kind == "" && best < 2:
			within, best = s.Within, 1
		}
	}
	return within
}

// PolicyFromEnv reads the policy from the environment over DefaultPolicy:
//
//	TASK_SLA="claim-fix=24h,denials/claim_denied=36h"  SLA lines, queue[/kind]=duration
//	TASK_CLAIM_CAP=25                                  claimed tasks a user may hold
//	TASK_ESCALATION_BOOST=10                           priority added when overdue
//	TASK_SWEEP_INTERVAL=1m                             longest wait between sweeps
func PolicyFromEnv(getenv func(string) string) (Policy, error) {
	p := DefaultPolicy()
	if v := strings.TrimSpace(getenv("TASK_SLA")); v != "" {
		for item := range strings.SplitSeq(v, ",") {
			key, dur, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				return p, fmt.Errorf("TASK_SLA: %q is not queue[/kind]=duration", item)
			}
			queue, kind, _ := strings.Cut(key, "/")
			if !slices.Contains(Queues, queue) {
				return p, fmt.Errorf("TASK_SLA: unknown queue %q (queues: %s)", queue, strings.Join(Queues, ", "))
			}
			d, err := time.ParseDuration(dur)
			if err != nil || d <= 0 {
				return p, fmt.Errorf("TASK_SLA: %q: the duration must be positive, like 36h", item)
			}
			p.SLAs = append(p.SLAs, SLA{Queue: queue, Kind: kind, Within: d})
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
		min  int
	}{{"TASK_CLAIM_CAP", &p.ClaimCap, 1}, {"TASK_ESCALATION_BOOST", &p.EscalationBoost, 0}} {
		if v := getenv(n.name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < n.min || i > 1000 {
				return p, fmt.Errorf("%s: must be an integer from %d to 1000", n.name, n.min)
			}
			*n.dst = i
		}
	}
	if v := getenv("TASK_SWEEP_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return p, fmt.Errorf("TASK_SWEEP_INTERVAL: must be a duration of at least 1s, like 1m")
		}
		p.SweepInterval = d
	}
	return p, nil
}

var envPolicy = sync.OnceValue(func() Policy {
	p, err := PolicyFromEnv(os.Getenv)
	if err != nil {
		slog.Error("work queue settings ignored", "error", err)
		return DefaultPolicy()
	}
	return p
})

// EnvPolicy is the policy read once from the process environment (what a
// Service without a Policy uses). A bad setting is logged and the defaults
// used; call PolicyFromEnv at start-up to refuse it instead.
func EnvPolicy() Policy { return envPolicy() }
