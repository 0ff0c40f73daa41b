package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/config"
	"github.com/clinicflow/rcm/internal/demo"
	"github.com/clinicflow/rcm/worker"
	"github.com/clinicflow/rcm/workflows/contract"
)

// demoEnv are the cadences `rcm dev --demo` shortens so that a newcomer sees
// every queue fill within minutes; a variable already set in the environment
// wins. With them a payer's day is 5 min (a claim waits a quarter of an hour
// for its 277CA and two and a half hours for its 835 before a follow-up task;
// shorter would escalate every unaccepted claim for timely filing at once, as
// that deadline counts from the midnight of its service date), a hold's day
// 15 s (attorney follow-up every 7 days: under two minutes), a dunning day 10 s
// (statement at once, reminder after three and a half minutes, collections
// after fifteen), a visit without completed charges raises its task after a
// minute, and tasks are overdue minutes after they are raised.
var demoEnv = []struct{ name, value string }{
	{"CLAIM_DAY_LENGTH", "5m"},
	{"LEGAL_DAY_LENGTH", "15s"},
	{"DUNNING_DAY_LENGTH", "10s"},
	{"MISSING_CHARGES_AFTER", "1m"},
	{"SIM_ACK_DELAY", "2s"},
	{"SIM_REMIT_DELAY", "8s"},
	{"TASK_SLA", "charges=5m,claim-fix=5m,eligibility=5m,rejections=5m,follow-up=10m,denials=5m,approvals=5m," +
		"unmatched-era=10m,legal-follow-up=10m,disputes=10m"},
	{"TASK_SWEEP_INTERVAL", "15s"},
	{"DEMO_VISIT_EVERY", "5s"},
}

// setDemoEnv sets the demo cadences that are not set already, before the
// configuration and the task policy read the environment.
func setDemoEnv() {
	for _, v := range demoEnv {
		if os.Getenv(v.name) == "" {
			_ = os.Setenv(v.name, v.value)
		}
	}
}

// startDemo seeds the demo clinic (idempotently, printing its progress) and
// starts its simulated clinic day, or finds it running and leaves it be.
func startDemo(ctx context.Context, g *gorm.DB, tc client.Client, cfg config.Config) error {
	every, err := time.ParseDuration(os.Getenv("DEMO_VISIT_EVERY"))
	if err != nil || every < 100*time.Millisecond {
		return fmt.Errorf("DEMO_VISIT_EVERY: must be a duration of at least 100ms, like 5s")
	}
	out := prefixed{w: os.Stderr, prefix: "demo: "}
	fmt.Fprintln(out, "seeding the demo clinic ...")
	res, err := (&demo.Seeder{DB: g, Out: out}).Seed(ctx)
	if err != nil {
		return err
	}
	if res.Changed() {
		fmt.Fprintf(out, "demo clinic seeded: %s\n", res.Summary())
	} else {
		fmt.Fprintln(out, "the demo clinic is already seeded: nothing changed")
	}
	running, err := worker.EnsureClinicDay(ctx, tc, contract.ClinicDaySettings{VisitEvery: every,
		MissingChargesAfter: cfg.MissingChargesAfter, ClaimDayLength: cfg.ClaimDayLength})
	if err != nil {
		return err
	}
	if running {
		fmt.Fprintf(out, "the clinic day (%s) was running: it goes on where it was\n", contract.ClinicDayWorkflowID)
	} else {
		fmt.Fprintf(out, "the clinic day (%s) started: a visit every %s\n", contract.ClinicDayWorkflowID, every)
	}
	fmt.Fprintf(out, "demo users: <role>.<location>@%s for the roles %s at maple and riverside (biller.maple@%s, ...)\n",
		demo.EmailDomain, strings.Join(auth.Roles, ", "), demo.EmailDomain)
	fmt.Fprintf(out, "their web sign-in password is %q; the Temporal UI shows %s and every workflow it sets going\n",
		demo.Password, contract.ClinicDayWorkflowID)
	return nil
}

// prefixed writes each line with a prefix.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if _, err := io.WriteString(p.w, p.prefix+l); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}
