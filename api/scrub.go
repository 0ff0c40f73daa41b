package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/scrubrules"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

func (s *Server) scrubRules() *scrubrules.Service { return &scrubrules.Service{DB: s.DB} }

// scrubRulesAnswer is the published rule set and what a rule set may say.
type scrubRulesAnswer struct {
	Published      scrubrules.RuleSet `json:"published"`
	Catalogue      []scrub.RuleInfo   `json:"catalogue"`
	PayerRuleKinds []string           `json:"payer_rule_kinds"`
}

func (s *Server) getScrubRules(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	cur, err := s.scrubRules().Current(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, scrubRulesAnswer{Published: cur, Catalogue: scrub.Catalogue(), PayerRuleKinds: scrub.PayerRuleKinds})
}

func (s *Server) listScrubRuleSets(c *gin.Context) {
	listed(c, s, s.scrubRules().List, func(r scrubrules.RuleSet) scrubrules.RuleSet { return r })
}

// ruleSetRequest is a new rule-set version: the rules (on/off, thresholds) and
// payer rules; rules left out take their defaults.
type ruleSetRequest struct {
	BasedOn    *int                `json:"based_on"`
	Note       string              `json:"note"`
	Rules      []scrub.RuleSetting `json:"rules"`
	PayerRules []scrub.PayerRule   `json:"payer_rules"`
}

func (s *Server) createScrubRuleSet(c *gin.Context) {
	var in ruleSetRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(s.scrubRules().Create(c.Request.Context(), scrubrules.NewRuleSet{BasedOn: in.BasedOn,
		Note: in.Note, Config: scrub.Config{Rules: in.Rules, PayerRules: in.PayerRules}}, actor(c)))
}

// versionParam reads the :version path parameter; a malformed one is not found.
func versionParam(c *gin.Context) (int, bool) {
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil || v <= 0 {
		notFound(c, "scrub rule set "+c.Param("version"))
		return 0, false
	}
	return v, true
}

func (s *Server) getScrubRuleSet(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	if v, ok := versionParam(c); ok {
		respond(c, s, http.StatusOK)(s.scrubRules().Get(c.Request.Context(), v))
	}
}

func (s *Server) publishScrubRuleSet(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	if v, ok := versionParam(c); ok {
		respond(c, s, http.StatusOK)(s.scrubRules().Publish(c.Request.Context(), v, actor(c)))
	}
}

// whatIfRequest starts a what-if run of a version over past claims: the last
// months (6 by default) or the days from..to.
type whatIfRequest struct {
	RuleVersion int    `json:"rule_version"`
	Months      int    `json:"months"`
	From        string `json:"from"`
	To          string `json:"to"`
	// BatchSize is how many claims one step scrubs and commits (100 by default).
	BatchSize int `json:"batch_size"`
}

func (s *Server) startWhatIf(c *gin.Context) {
	var in whatIfRequest
	if !bind(c, &in) {
		return
	}
	if in.BatchSize < 0 || in.BatchSize > 1000 {
		s.fail(c, validate.Errors{{Field: "batch_size", Message: "must be between 1 and 1000"}})
		return
	}
	ctx := c.Request.Context()
	svc := s.scrubRules()
	run, err := svc.StartRun(ctx, scrubrules.NewRun{Version: in.RuleVersion, Months: in.Months, From: in.From, To: in.To},
		contract.WhatIfWorkflowID, s.clock(), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = s.Temporal.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
		ID: run.WorkflowID, TaskQueue: contract.TaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, contract.WhatIfWorkflowName, contract.WhatIfInput{RunID: run.ID, BatchSize: in.BatchSize})
	if err != nil {
		_ = svc.End(context.WithoutCancel(ctx), run.ID, scrubrules.RunFailed, "the run's workflow could not start")
		s.fail(c, fmt.Errorf("start what-if run %s: %w", run.ID, err))
		return
	}
	c.JSON(http.StatusAccepted, run)
}

func (s *Server) listWhatIfRuns(c *gin.Context) {
	listed(c, s, s.scrubRules().ListRuns, func(r scrubrules.Run) scrubrules.Run { return r })
}

func (s *Server) getWhatIf(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	respond(c, s, http.StatusOK)(s.scrubRules().RunReport(c.Request.Context(), c.Param("id")))
}

func (s *Server) whatIfClaims(c *gin.Context) {
	if !onlyQuery(c, "outcome", "denied", "rule") {
		return
	}
	limit, ok := limitParam(c)
	if !ok {
		return
	}
	f := scrubrules.ClaimFilter{Outcome: c.Query("outcome"), Rule: c.Query("rule"), Limit: limit}
	if d := c.Query("denied"); d != "" {
		b, err := strconv.ParseBool(d)
		if err != nil {
			s.fail(c, validate.Errors{{Field: "denied", Message: "must be true or false"}})
			return
		}
		f.Denied = &b
	}
	rows, err := s.scrubRules().RunClaims(c.Request.Context(), c.Param("id"), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": rows})
}

func (s *Server) cancelWhatIf(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	ctx := c.Request.Context()
	run, err := s.scrubRules().GetRun(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if run.Status == scrubrules.RunRunning {
		if err := s.Temporal.CancelWorkflow(ctx, run.WorkflowID, ""); err != nil {
			s.fail(c, fmt.Errorf("cancel what-if run %s: %w", run.ID, err))
			return
		}
	}
	c.JSON(http.StatusAccepted, run)
}
