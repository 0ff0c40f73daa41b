// Package api is the HTTP interface of the product: a Gin router under /api/v1 whose
// handlers bind and validate input, then call one domain operation or one workflow
// update, and map errors to application/problem+json in one place.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/tracing"
	"github.com/clinicflow/rcm/web"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Server holds what handlers need.
type Server struct {
	DB                  *gorm.DB
	Temporal            client.Client
	Logger              *slog.Logger
	MissingChargesAfter time.Duration
	// ClaimDayLength is the length of a payer's day for new cases' claim timers.
	ClaimDayLength time.Duration
	// WorkflowLinks points case and claim answers at their workflow in the
	// Temporal Web UI.
	WorkflowLinks WorkflowLinks
	// Dev is what the home page tells a developer running `rcm dev`.
	Dev DevInfo
	// MaxAmount is the most one charge, payment or adjustment may be
	// (config MAX_AMOUNT); zero means billing.DefaultMaxAmount.
	MaxAmount decimal.Decimal
	// Statements, Dunning, Processor and WebhookSecret serve patient billing:
	// statements, dunning state, payment links and the processor's webhooks.
	// DevSent lists what the development mail sink and SMS provider received
	// (rcm dev only; nil otherwise).
	Statements    *statements.Service
	Dunning       *dunning.Service
	Processor     payments.PaymentProcessor
	WebhookSecret []byte
	DevSent       func() []dunning.Sent
	// Clock is the time reports are computed at; nil means time.Now (tests fix it).
	Clock func() time.Time

	auth    *auth.Service
	records *records.Service
	cases   *cases.Service
	claims  *claims.Service
	billing *billing.Service
	tasks   *tasks.Service
	legal   *legal.Service
}

// New builds a server over a database and a Temporal client.
func New(g *gorm.DB, tc client.Client, logger *slog.Logger, missingChargesAfter time.Duration) *Server {
	return (&Server{DB: g, Temporal: tc, Logger: logger, MissingChargesAfter: missingChargesAfter,
		auth: &auth.Service{DB: g}, records: &records.Service{DB: g}, cases: &cases.Service{DB: g},
		claims:  &claims.Service{DB: g},
		billing: &billing.Service{DB: g}, tasks: &tasks.Service{DB: g}, legal: &legal.Service{DB: g}}).withPatientBilling()
}

const (
	ctxRequestID = "request_id"
	ctxUser      = "user"
)

// Role groups used by routes.
var (
	anyRole      = auth.Roles
	adminOnly    = []string{auth.RoleAdmin}
	managers     = []string{auth.RoleManager, auth.RoleAdmin}
	frontDesk    = []string{auth.RoleFrontDesk, auth.RoleBiller, auth.RoleManager, auth.RoleAdmin}
	clinical     = []string{auth.RoleProvider, auth.RoleBiller, auth.RoleManager, auth.RoleAdmin}
	billers      = []string{auth.RoleBiller, auth.RoleManager, auth.RoleAdmin}
	priceSetters = billers
)

// Router returns the HTTP handler.
func (s *Server) Router() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(tracing.Gin, s.requestID, s.accessLog, s.recover)
	r.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, ProblemMalformed, "Method not allowed",
			c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	// The staff web application: its landing page at "/", its pages under /app
	// (package web); a path there that no page has gets the application's 404
	// page, any other the API's problem.
	pageNotFound := s.mountWeb(r)
	r.NoRoute(func(c *gin.Context) {
		if c.Request.Method == http.MethodGet && web.IsPage(c.Request.URL.Path) {
			pageNotFound(c)
			return
		}
		notFound(c, "route "+c.Request.Method+" "+c.Request.URL.Path)
	})
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	// Prometheus metrics: route templates, stages and queues, never ids or names.
	r.GET("/metrics", gin.WrapH(metrics.Handler()))
	r.GET("/api/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", openAPIDoc) })

	v1 := r.Group("/api/v1", s.authenticate, queryText)
	v1.GET("/me", s.allow(anyRole), s.me)
	v1.GET("/users", s.allow(adminOnly), s.listUsers)
	v1.POST("/users", s.allow(adminOnly), s.createUser)
	v1.POST("/users/:id/disable", s.allow(adminOnly), s.disableUser)
	v1.POST("/users/:id/enable", s.allow(adminOnly), s.enableUser)
	v1.PUT("/users/:id/role", s.allow(adminOnly), s.setUserRole)
	v1.POST("/users/:id/password", s.allow(adminOnly), s.setUserPassword)
	v1.GET("/users/:id/tokens", s.allow(adminOnly), s.listTokens)
	v1.POST("/users/:id/tokens", s.allow(adminOnly), s.issueToken)
	v1.DELETE("/users/:id/tokens/:token_id", s.allow(adminOnly), s.revokeToken)
	v1.PUT("/users/:id/locations", s.allow(adminOnly), s.setUserLocations)

	v1.GET("/locations", s.allow(anyRole), s.listLocations)
	v1.POST("/locations", s.allow(managers), s.createLocation)
	v1.GET("/providers", s.allow(anyRole), s.listProviders)
	v1.POST("/providers", s.allow(managers), s.createProvider)
	v1.GET("/fee-schedules", s.allow(anyRole), s.listFeeSchedules)
	v1.POST("/fee-schedules", s.allow(managers), s.createFeeSchedule)
	v1.GET("/fee-schedules/:id", s.allow(anyRole), s.getFeeSchedule)
	v1.GET("/payers", s.allow(anyRole), s.listPayers)
	v1.POST("/payers", s.allow(managers), s.createPayer)
	v1.GET("/payers/:id", s.allow(anyRole), s.getPayer)

	v1.GET("/patients", s.allow(anyRole), s.listPatients)
	v1.POST("/patients", s.allow(frontDesk), s.createPatient)
	v1.GET("/patients/:id", s.allow(anyRole), s.getPatient)
	v1.PATCH("/patients/:id", s.allow(frontDesk), s.updatePatient)
	v1.GET("/patients/:id/access-log", s.allow(managers), s.patientAccessLog)

	v1.GET("/cases", s.allow(anyRole), s.listCases)
	v1.POST("/cases", s.allow(frontDesk), s.createCase)
	v1.GET("/cases/:id", s.allow(anyRole), s.getCase)
	v1.GET("/cases/:id/ledger", s.allow(billers), s.getCaseLedger)
	v1.POST("/cases/:id/check-ins", s.allow(frontDesk), s.checkIn)
	v1.POST("/cases/:id/encounters/:encounter_id/charges", s.allow(clinical), s.addCharge)
	v1.POST("/cases/:id/encounters/:encounter_id/complete-charges", s.allow(clinical), s.completeCharges)
	v1.POST("/cases/:id/charges/:charge_id/void", s.allow(clinical), s.voidCharge)
	v1.POST("/cases/:id/payments", s.allow(frontDesk), s.recordPayment)
	v1.POST("/cases/:id/adjustments", s.allow(billers), s.recordAdjustment)
	v1.GET("/cases/:id/coverages", s.allow(anyRole), s.listCoverages)
	v1.POST("/cases/:id/coverages", s.allow(frontDesk), s.addCoverage)
	v1.POST("/cases/:id/coverages/:coverage_id/deactivate", s.allow(frontDesk), s.deactivateCoverage)
	v1.POST("/cases/:id/retry-billing", s.allow(billers), s.retryBilling)

	v1.GET("/claims", s.allow(billers), s.listClaims)
	v1.GET("/claims/stuck", s.allow(billers), s.stuckClaims)
	v1.GET("/claims/:id", s.allow(billers), s.getClaim)
	v1.POST("/claims/:id/fix", s.allow(billers), s.fixClaim)
	v1.POST("/claims/:id/decision", s.allow(billers), s.decideDenial)
	v1.POST("/claims/:id/write-off-approval", s.allow(managers), s.approveWriteOff)
	v1.POST("/edi/files", s.allow(billers), s.uploadEDI)

	// Work queues: tasks, teams and my work (api/tasks.go, api/teams.go).
	v1.GET("/tasks", s.allow(billers), s.listTasks)
	v1.POST("/tasks/claim-next", s.allow(billers), s.claimNextTask)
	v1.GET("/tasks/escalations", s.allow(managers), s.taskEscalations)
	v1.GET("/tasks/:id", s.allow(billers), s.getTask)
	v1.GET("/tasks/:id/events", s.allow(billers), s.taskEvents)
	v1.POST("/tasks/:id/release", s.allow(billers), s.releaseTask)
	v1.POST("/tasks/:id/assign", s.allow(managers), s.assignTask)
	v1.POST("/tasks/:id/snooze", s.allow(billers), s.snoozeTask)
	v1.POST("/tasks/:id/complete", s.allow(billers), s.completeTask)
	v1.GET("/me/work", s.allow(billers), s.myWork)
	v1.GET("/teams", s.allow(billers), s.listTeams)
	v1.POST("/teams", s.allow(managers), s.createTeam)
	v1.GET("/teams/:id", s.allow(billers), s.getTeam)
	v1.PATCH("/teams/:id", s.allow(managers), s.updateTeam)
	v1.POST("/teams/:id/members", s.allow(managers), s.addTeamMember)
	v1.DELETE("/teams/:id/members/:user_id", s.allow(managers), s.removeTeamMember)

	// The books: chart-of-accounts mapping, periods, adjusting journals, GL exports, reports (api/accounting.go).
	v1.GET("/accounting/accounts", s.allow(billers), s.listGLAccounts)
	v1.PUT("/accounting/accounts/:code", s.allow(managers), s.mapGLAccount)
	v1.GET("/accounting/periods", s.allow(billers), s.listPeriods)
	v1.POST("/accounting/periods", s.allow(managers), s.createPeriod)
	v1.POST("/accounting/periods/:id/close", s.allow(managers), s.closePeriod)
	v1.POST("/accounting/journals", s.allow(managers), s.postAdjustingJournal)
	v1.GET("/accounting/exports", s.allow(managers), s.listExports)
	v1.POST("/accounting/exports", s.allow(managers), s.createExport)
	v1.GET("/accounting/exports/:id", s.allow(managers), s.getExport)
	v1.GET("/accounting/exports/:id/download", s.allow(managers), s.downloadExport)
	v1.GET("/accounting/trial-balance", s.allow(billers), s.trialBalance)
	v1.GET("/accounting/revenue", s.allow(billers), s.revenueReport)

	// Supplies from inventory: items, stock movements, stock value (api/inventory.go).
	v1.GET("/inventory/items", s.allow(anyRole), s.listItems)
	v1.POST("/inventory/items", s.allow(managers), s.createItem)
	v1.GET("/inventory/items/:id", s.allow(anyRole), s.getItem)
	v1.PATCH("/inventory/items/:id", s.allow(managers), s.updateItem)
	v1.GET("/inventory/items/:id/movements", s.allow(billers), s.listMovements)
	v1.POST("/inventory/items/:id/movements", s.allow(frontDesk), s.recordMovement)
	v1.GET("/inventory/stock", s.allow(billers), s.stockReport)
	v1.GET("/inventory/valuation", s.allow(billers), s.inventoryValuation)

	// Packages and promotions for self-pay patients (api/packages.go).
	v1.GET("/packages", s.allow(anyRole), s.listPlans)
	v1.POST("/packages", s.allow(managers), s.createPlan)
	v1.POST("/packages/expire", s.allow(managers), s.expirePackages)
	v1.GET("/patients/:id/packages", s.allow(anyRole), s.listPatientPackages)
	v1.POST("/patients/:id/packages", s.allow(frontDesk), s.sellPackage)
	v1.GET("/promotions", s.allow(anyRole), s.listPromotions)
	v1.POST("/promotions", s.allow(managers), s.createPromotion)
	v1.POST("/promotions/groups/:group/members", s.allow(managers), s.addGroupMember)

	// Scrub rules as versioned data, tried on past claims before they go live (api/scrub.go).
	v1.GET("/scrub/rules", s.allow(billers), s.getScrubRules)
	v1.GET("/scrub/rules/versions", s.allow(billers), s.listScrubRuleSets)
	v1.POST("/scrub/rules/versions", s.allow(billers), s.createScrubRuleSet)
	v1.GET("/scrub/rules/versions/:version", s.allow(billers), s.getScrubRuleSet)
	v1.POST("/scrub/rules/versions/:version/publish", s.allow(billers), s.publishScrubRuleSet)
	v1.GET("/scrub/what-if", s.allow(billers), s.listWhatIfRuns)
	v1.POST("/scrub/what-if", s.allow(billers), s.startWhatIf)
	v1.GET("/scrub/what-if/:id", s.allow(billers), s.getWhatIf)
	v1.GET("/scrub/what-if/:id/claims", s.allow(billers), s.whatIfClaims)
	v1.POST("/scrub/what-if/:id/cancel", s.allow(billers), s.cancelWhatIf)

	// Held legal cases: the address book, legal details, the SOL table, holds.
	v1.GET("/contacts", s.allow(anyRole), s.listContacts)
	v1.POST("/contacts", s.allow(frontDesk), s.createContact)
	v1.GET("/contacts/:id", s.allow(anyRole), s.getContact)
	v1.GET("/cases/:id/legal", s.allow(anyRole), s.getLegal)
	v1.PUT("/cases/:id/legal", s.allow(frontDesk), s.putLegal)
	v1.GET("/legal/sol-years", s.allow(anyRole), s.listSOLYears)
	v1.PUT("/legal/sol-years/:state", s.allow(managers), s.setSOLYears)
	v1.GET("/holds", s.allow(billers), s.listHolds)
	v1.GET("/holds/by-attorney", s.allow(billers), s.holdsByAttorney)
	v1.POST("/cases/:id/follow-ups", s.allow(billers), s.recordFollowUp)
	v1.POST("/cases/:id/settlement", s.allow(billers), s.recordSettlement)
	v1.POST("/cases/:id/release", s.allow(billers), s.releaseHeld)
	v1.POST("/cases/:id/drop", s.allow(billers), s.dropCase)
	v1.POST("/cases/:id/legal-payments", s.allow(frontDesk), s.recordLegalPayment)
	v1.GET("/cases/:id/lien-statement", s.allow(billers), s.lienStatement)
	v1.POST("/cases/:id/workers-comp-decision", s.allow(billers), s.wcDecision)

	// Manager views (internal/reports): stuck claims, A/R aging, KPIs, the dashboard.
	v1.GET("/reports/stuck-claims", s.allow(billers), s.stuckClaimsReport)
	v1.GET("/reports/ar-aging", s.allow(billers), s.arAgingReport)
	v1.GET("/reports/kpis", s.allow(managers), s.kpiReport)
	v1.GET("/dashboard", s.allow(managers), s.dashboard)

	v1.GET("/audit", s.allow(managers), s.listAudit)
	v1.GET("/audit/verify", s.allow(adminOnly), s.verifyAudit)

	// Patient billing and dunning: statements, branding, dunning, plans, disputes,
	// collections; the public payment page, unsubscribe link and webhooks.
	v1.GET("/patients/:id/statements", s.allow(billers), s.listStatements)
	v1.POST("/patients/:id/statements", s.allow(billers), s.issueStatement)
	v1.GET("/statements/:id", s.allow(billers), s.getStatement)
	v1.GET("/practice/branding", s.allow(anyRole), s.getBranding)
	v1.PUT("/practice/branding", s.allow(managers), s.setBranding)
	v1.GET("/patients/:id/dunning", s.allow(billers), s.getDunning)
	v1.PUT("/patients/:id/contact-preferences", s.allow(frontDesk), s.setContactPrefs)
	v1.POST("/patients/:id/payment-plan", s.allow(billers), s.paymentPlan)
	v1.POST("/patients/:id/dispute", s.allow(frontDesk), s.disputeBalance)
	v1.POST("/patients/:id/collections/recall", s.allow(managers), s.recallCollections)
	v1.GET("/collections/exports", s.allow(billers), s.listCollectionExports)
	v1.GET("/collections/exports/:id", s.allow(billers), s.getCollectionExport)
	// Patient credits (api/credits.go): prepayments, credits applied across
	// cases, refunds with a manager's approval, agency recoveries, bad debt.
	v1.POST("/cases/:id/prepayments", s.allow(frontDesk), s.recordPrepayment)
	v1.GET("/patients/:id/credits", s.allow(billers), s.getPatientCredits)
	v1.POST("/patients/:id/credits/apply", s.allow(billers), s.applyCredit)
	v1.POST("/payments/refunds", s.allow(billers), s.requestRefund)
	v1.GET("/payments/refunds", s.allow(billers), s.listRefunds)
	v1.GET("/payments/refunds/:id", s.allow(billers), s.getRefund)
	v1.POST("/payments/refunds/:id/decision", s.allow(managers), s.decideRefund)
	v1.POST("/collections/recoveries", s.allow(billers), s.recordRecovery)
	v1.GET("/collections/recoveries", s.allow(billers), s.listRecoveries)
	v1.POST("/patients/:id/collections/bad-debt", s.allow(managers), s.writeOffBadDebt)
	v1.GET("/dunning", s.allow(billers), s.listDunningAccounts)
	v1.GET("/payments/credits", s.allow(billers), s.listCreditHolders)
	r.GET("/pay/:token", s.showPayPage)
	r.POST("/pay/:token", s.payCheckout)
	r.POST("/pay/:token/dispute", s.payDispute)
	r.GET("/unsubscribe/:token", s.unsubscribe)
	r.POST("/webhooks/payments", s.paymentWebhook)
	r.POST("/webhooks/sms", s.smsInbound)
	r.GET("/dev/messages", s.devMessages)
	return r
}

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDRe.MatchString(id) {
		id = uuid.NewString()
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// accessLog logs each request by route template (never the raw path or query,
// which may carry names) with its status, duration, user id and request id.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	attrs := []any{"method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"duration_ms", time.Since(start).Milliseconds(), "request_id", c.GetString(ctxRequestID)}
	if u, ok := c.Get(ctxUser); ok {
		attrs = append(attrs, "user_id", u.(auth.User).ID)
	}
	s.Logger.Info("http request", attrs...)
	metrics.HTTPRequest(c.Request.Method, route, c.Writer.Status(), time.Since(start))
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("panic in handler", "request_id", c.GetString(ctxRequestID), "route", c.FullPath(), "panic", r)
			problem(c, http.StatusInternalServerError, ProblemInternal, "Internal error",
				"The request could not be completed; quote the request id when reporting it.")
		}
	}()
	c.Next()
}

func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="rcm"`)
		problem(c, http.StatusUnauthorized, ProblemUnauthorized, "Unauthorized",
			"send an API token as 'Authorization: Bearer <token>'")
		return
	}
	u, err := s.auth.Authenticate(c.Request.Context(), strings.TrimSpace(token))
	if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
		// The token could not be checked (PostgreSQL restarting): a 401 would
		// tell a client with a good token to give up; this is a retry.
		s.Logger.Warn("authentication unavailable", "request_id", c.GetString(ctxRequestID), "error", err)
		unavailable(c, "the API token could not be checked just now; retry shortly")
		return
	}
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="rcm", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, ProblemUnauthorized, "Unauthorized", "the API token is invalid, expired or revoked, or its user is disabled")
		return
	}
	c.Set(ctxUser, u)
	if !s.enterScope(c, u) {
		return
	}
	c.Next()
}

func (s *Server) allow(roles []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := user(c)
		if !slices.Contains(roles, u.Role) {
			problem(c, http.StatusForbidden, ProblemForbidden, "Forbidden",
				"the role "+u.Role+" may not do this; allowed: "+strings.Join(roles, ", "))
			return
		}
		c.Next()
	}
}

// maxAmount is the configured cap on one charge, payment or adjustment.
func (s *Server) maxAmount() decimal.Decimal {
	if s.MaxAmount.IsPositive() {
		return s.MaxAmount
	}
	return billing.DefaultMaxAmount
}

func user(c *gin.Context) auth.User {
	u, _ := c.Get(ctxUser)
	su, _ := u.(auth.User)
	return su
}

func actor(c *gin.Context) audit.Actor {
	return audit.Actor{UserID: user(c).ID, RequestID: c.GetString(ctxRequestID)}
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{}
	status := http.StatusOK
	if err := db.SQL(s.DB).PingContext(ctx); err != nil {
		checks["database"] = "unreachable"
		status = http.StatusServiceUnavailable
	} else {
		checks["database"] = "ok"
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = "unreachable"
		status = http.StatusServiceUnavailable
	} else {
		checks["temporal"] = "ok"
	}
	// A frontend that answers is not enough: after a restart it answers health
	// checks while updates still fail ("not enough hosts"). Ready means workers
	// poll the task queue, which needs the namespace and the matching service.
	if status == http.StatusOK {
		checks["workers"] = "ok"
		for _, tq := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := s.Temporal.DescribeTaskQueue(ctx, contract.TaskQueue, tq)
			if err != nil || len(resp.GetPollers()) == 0 {
				checks["workers"] = "no worker polls task queue " + contract.TaskQueue
				status = http.StatusServiceUnavailable
				break
			}
		}
	}
	if status != http.StatusOK {
		checks["status"] = "unavailable"
	} else {
		checks["status"] = "ok"
	}
	c.JSON(status, checks)
}
