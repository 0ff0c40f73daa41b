package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/records"
)

func (s *Server) listPayers(c *gin.Context) {
	listed(c, s, s.records.ListPayers, showPayer)
}

func (s *Server) createPayer(c *gin.Context) {
	var in records.NewPayer
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showPayer)(s.records.CreatePayer(c.Request.Context(), in, actor(c))))
}

func (s *Server) getPayer(c *gin.Context) {
	var p records.Payer
	if err := s.records.Get(c.Request.Context(), &p, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showPayer(p))
}

func (s *Server) listCoverages(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	cvs, err := s.records.ListCoverages(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]coverageJSON, len(cvs))
	for i, cv := range cvs {
		out[i] = showCoverage(cv)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func (s *Server) addCoverage(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in records.NewCoverage
	if !bind(c, &in) {
		return
	}
	cv, err := s.records.AddCoverage(c.Request.Context(), cs.ID, in, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.retryBillingQuietly(c.Request.Context(), cs, actor(c))
	c.JSON(http.StatusCreated, showCoverage(cv))
}

func (s *Server) deactivateCoverage(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	// Front desk may not pull the coverage from under a claim in flight; a
	// biller (or above) may, and the audit row names the claim.
	mayStopClaims := user(c).Role != auth.RoleFrontDesk
	cv, err := s.records.DeactivateCoverageAs(c.Request.Context(), cs.ID, c.Param("coverage_id"), actor(c), mayStopClaims)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showCoverage(cv))
}

// payerJSON is a payer as the API shows it.
type payerJSON struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	PayerID          string `json:"payer_id"`
	Type             string `json:"type"`
	TimelyFilingDays int    `json:"timely_filing_days"`
	AppealWindowDays int    `json:"appeal_window_days"`
	AckWaitDays      int    `json:"ack_wait_days"`
	PaymentWaitDays  int    `json:"payment_wait_days"`
	records.Address
	Phone     string    `json:"phone"`
	CreatedAt time.Time `json:"created_at"`
}

func showPayer(r records.Payer) payerJSON {
	return payerJSON{
		ID:               r.ID,
		Name:             r.Name,
		PayerID:          r.PayerID,
		Type:             r.Type,
		TimelyFilingDays: r.TimelyFilingDays,
		AppealWindowDays: r.AppealWindowDays,
		AckWaitDays:      r.AckWaitDays,
		PaymentWaitDays:  r.PaymentWaitDays,
		Address:          records.Address{Address1: r.Address1, Address2: r.Address2, City: r.City, State: r.State, Zip: r.Zip},
		Phone:            r.Phone,
		CreatedAt:        r.CreatedAt,
	}
}

// coverageJSON is a coverage as the API shows it.
type coverageJSON struct {
	ID                  string `json:"id"`
	CaseID              string `json:"case_id"`
	PayerID             string `json:"payer_id"`
	Priority            string `json:"priority"`
	MemberID            string `json:"member_id"`
	GroupNumber         string `json:"group_number"`
	Relationship        string `json:"relationship"`
	SubscriberFirstName string `json:"subscriber_first_name"`
	SubscriberLastName  string `json:"subscriber_last_name"`
	SubscriberSex       string `json:"subscriber_sex"`
	SubscriberAddress1  string `json:"subscriber_address1"`
	SubscriberAddress2  string `json:"subscriber_address2"`
	SubscriberCity      string `json:"subscriber_city"`
	SubscriberState     string `json:"subscriber_state"`
	SubscriberZip       string `json:"subscriber_zip"`
	// Dates are YYYY-MM-DD.
	SubscriberDateOfBirth *string   `json:"subscriber_date_of_birth"`
	EffectiveFrom         string    `json:"effective_from"`
	EffectiveTo           *string   `json:"effective_to"`
	Status                string    `json:"status"`
	CreatedAt             time.Time `json:"created_at"`
}

func showCoverage(r records.Coverage) coverageJSON {
	out := coverageJSON{
		ID:                  r.ID,
		CaseID:              r.CaseID,
		PayerID:             r.PayerID,
		Priority:            r.Priority,
		MemberID:            string(r.MemberID),
		GroupNumber:         string(r.GroupNumber),
		Relationship:        r.Relationship,
		SubscriberFirstName: r.SubscriberFirstName,
		SubscriberLastName:  r.SubscriberLastName,
		SubscriberSex:       r.SubscriberSex,
		SubscriberAddress1:  r.SubscriberAddress1,
		SubscriberAddress2:  r.SubscriberAddress2,
		SubscriberCity:      r.SubscriberCity,
		SubscriberState:     r.SubscriberState,
		SubscriberZip:       r.SubscriberZip,
		Status:              r.Status,
		CreatedAt:           r.CreatedAt,
	}
	out.EffectiveFrom = r.EffectiveFrom.Format(time.DateOnly)
	if d := r.SubscriberDateOfBirth; d != nil {
		s := d.Format(time.DateOnly)
		out.SubscriberDateOfBirth = &s
	}
	if d := r.EffectiveTo; d != nil {
		s := d.Format(time.DateOnly)
		out.EffectiveTo = &s
	}
	return out
}
