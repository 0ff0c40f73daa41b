package workflows

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/clinicflow/rcm/workflows/contract"
)

// The contract's workflow names are the names recorded in histories and used by
// callers that start workflows by name: they must stay the functions' names.
func TestContractNamesAreTheWorkflowFunctionNames(t *testing.T) {
	for name, fn := range map[string]any{
		contract.CaseWorkflowName:          CaseWorkflow,
		contract.ClaimWorkflowName:         ClaimWorkflow,
		contract.InboundWorkflowName:       InboundWorkflow,
		contract.PollerWorkflowName:        PollerWorkflow,
		contract.EscalationWorkflowName:    TaskEscalationWorkflow,
		contract.DunningWorkflowName:       DunningWorkflow,
		contract.HoldWorkflowName:          HoldWorkflow,
		contract.PackageExpiryWorkflowName: PackageExpiryWorkflow,
		contract.WhatIfWorkflowName:        ScrubWhatIfWorkflow,
		contract.ClinicDayWorkflowName:     ClinicDayWorkflow,
	} {
		full := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
		if got := full[strings.LastIndex(full, ".")+1:]; got != name {
			t.Errorf("contract name %q, function %q", name, got)
		}
	}
}
