package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/records"
)

func (s *Server) listPayers(c *gin.Context) {
	listed(c, s, s.records.ListPayers)
}

func (s *Server) createPayer(c *gin.Context) {
	var in records.NewPayer
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(s.records.CreatePayer(c.Request.Context(), in, actor(c)))
}

func (s *Server) getPayer(c *gin.Context) {
	var p records.Payer
	if err := s.records.Get(c.Request.Context(), &p, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// coverageJSON is a coverage as the API shows it, with dates as YYYY-MM-DD.
type coverageJSON struct {
	records.Coverage
	SubscriberDateOfBirth *string `json:"subscriber_date_of_birth"`
	EffectiveFrom         string  `json:"effective_from"`
	EffectiveTo           *string `json:"effective_to"`
}

func showCoverage(cv records.Coverage) coverageJSON {
	out := coverageJSON{Coverage: cv, EffectiveFrom: cv.EffectiveFrom.Format(time.DateOnly)}
	if d := cv.SubscriberDateOfBirth; d != nil {
		s := d.Format(time.DateOnly)
		out.SubscriberDateOfBirth = &s
	}
	if d := cv.EffectiveTo; d != nil {
		s := d.Format(time.DateOnly)
		out.EffectiveTo = &s
	}
	return out
}

func (s *Server) listCoverages(c *gin.Context) {
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
	s.retryBillingQuietly(c, cs)
	c.JSON(http.StatusCreated, showCoverage(cv))
}

func (s *Server) deactivateCoverage(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	cv, err := s.records.DeactivateCoverage(c.Request.Context(), cs.ID, c.Param("coverage_id"), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showCoverage(cv))
}
