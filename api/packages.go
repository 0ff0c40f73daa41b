package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/packages"
)

func (s *Server) packages() *packages.Service { return &packages.Service{DB: s.DB} }

// planRequest is a package plan to offer.
type planRequest struct {
	Name          string `json:"name"`
	ProcedureCode string `json:"procedure_code"`
	Sessions      int    `json:"sessions"`
	Price         Amount `json:"price"`
	ValidDays     int    `json:"valid_days"`
	ExpiryRule    string `json:"expiry_rule"`
}

func (s *Server) listPlans(c *gin.Context) {
	listed(c, s, s.packages().ListPlans, func(p packages.Plan) packages.Plan { return p })
}

func (s *Server) createPlan(c *gin.Context) {
	var in planRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(s.packages().CreatePlan(c.Request.Context(), packages.NewPlan{Name: in.Name,
		ProcedureCode: in.ProcedureCode, Sessions: in.Sessions, Price: in.Price.Decimal, ValidDays: in.ValidDays,
		ExpiryRule: in.ExpiryRule}, actor(c)))
}

func (s *Server) expirePackages(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	respond(c, s, http.StatusOK)(s.packages().Expire(c.Request.Context(), time.Now(), actor(c)))
}

// packageJSON is a patient's package as the API shows it.
type packageJSON struct {
	ID            string           `json:"id"`
	PlanID        string           `json:"plan_id"`
	PatientID     string           `json:"patient_id"`
	ProcedureCode string           `json:"procedure_code"`
	Sessions      int              `json:"sessions"`
	SessionsUsed  int              `json:"sessions_used"`
	Price         decimal.Decimal  `json:"price"`
	UnitPrice     decimal.Decimal  `json:"unit_price"`
	CreditLeft    decimal.Decimal  `json:"credit_left"`
	Method        string           `json:"method"`
	SoldAt        time.Time        `json:"sold_at"`
	ExpiresOn     string           `json:"expires_on"`
	Status        string           `json:"status"`
	ExpiryOutcome *string          `json:"expiry_outcome"`
	ExpiredAmount *decimal.Decimal `json:"expired_amount"`
}

func showPackage(p packages.Package) packageJSON {
	return packageJSON{ID: p.ID, PlanID: p.PlanID, PatientID: p.PatientID, ProcedureCode: p.ProcedureCode, Sessions: p.Sessions,
		SessionsUsed: p.SessionsUsed, Price: p.Price, UnitPrice: p.UnitPrice, CreditLeft: p.CreditLeft, Method: p.Method,
		SoldAt: p.SoldAt, ExpiresOn: p.ExpiresOn.Format(time.DateOnly), Status: p.Status, ExpiryOutcome: p.ExpiryOutcome,
		ExpiredAmount: p.ExpiredAmount}
}

func (s *Server) listPatientPackages(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	ps, err := s.packages().PatientPackages(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]packageJSON, len(ps))
	for i, p := range ps {
		out[i] = showPackage(p)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// saleRequest sells a package to a patient.
type saleRequest struct {
	PlanID string `json:"plan_id"`
	Method string `json:"method"`
}

func (s *Server) sellPackage(c *gin.Context) {
	var in saleRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showPackage)(s.packages().Sell(c.Request.Context(), packages.Sale{
		PatientID: c.Param("id"), PlanID: in.PlanID, Method: in.Method, IdempotencyKey: key}, actor(c))))
}

// promotionRequest is a promotion to offer.
type promotionRequest struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Value         Amount `json:"value"`
	ProcedureCode string `json:"procedure_code"`
	PatientGroup  string `json:"patient_group"`
	StartsOn      string `json:"starts_on"`
	EndsOn        string `json:"ends_on"`
}

// promotionJSON is a promotion as the API shows it.
type promotionJSON struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Value         decimal.Decimal `json:"value"`
	ProcedureCode *string         `json:"procedure_code"`
	PatientGroup  *string         `json:"patient_group"`
	StartsOn      string          `json:"starts_on"`
	EndsOn        string          `json:"ends_on"`
	Active        bool            `json:"active"`
	CreatedAt     time.Time       `json:"created_at"`
}

func showPromotion(p packages.Promotion) promotionJSON {
	return promotionJSON{ID: p.ID, Name: p.Name, Kind: p.Kind, Value: p.Value, ProcedureCode: p.ProcedureCode, PatientGroup: p.PatientGroup,
		StartsOn: p.StartsOn.Format(time.DateOnly), EndsOn: p.EndsOn.Format(time.DateOnly), Active: p.Active, CreatedAt: p.CreatedAt}
}

func (s *Server) listPromotions(c *gin.Context) {
	listed(c, s, s.packages().ListPromotions, showPromotion)
}

func (s *Server) createPromotion(c *gin.Context) {
	var in promotionRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showPromotion)(s.packages().CreatePromotion(c.Request.Context(), packages.NewPromotion{
		Name: in.Name, Kind: in.Kind, Value: in.Value.Decimal, ProcedureCode: in.ProcedureCode, PatientGroup: in.PatientGroup,
		StartsOn: in.StartsOn, EndsOn: in.EndsOn}, actor(c))))
}

// groupMemberRequest adds a patient to a promotion group.
type groupMemberRequest struct {
	PatientID string `json:"patient_id"`
}

func (s *Server) addGroupMember(c *gin.Context) {
	var in groupMemberRequest
	if !bind(c, &in) {
		return
	}
	if err := s.packages().AddToGroup(c.Request.Context(), c.Param("group"), in.PatientID, actor(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"group": c.Param("group"), "patient_id": in.PatientID})
}
