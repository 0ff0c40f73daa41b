package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

func (s *Server) me(c *gin.Context) { c.JSON(http.StatusOK, user(c)) }

func (s *Server) listUsers(c *gin.Context) {
	listed(c, s, s.auth.ListUsers)
}

func (s *Server) createUser(c *gin.Context) {
	var in auth.NewUser
	if !bind(c, &in) {
		return
	}
	u, err := s.auth.CreateUser(c.Request.Context(), in, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

type tokenRequest struct {
	Name string `json:"name"`
}

func (s *Server) issueToken(c *gin.Context) {
	var in tokenRequest
	if c.Request.ContentLength != 0 && !bind(c, &in) { // the name is optional
		return
	}
	id := c.Param("id")
	if !s.records.Exists(c.Request.Context(), &auth.User{}, id) {
		notFound(c, "user "+id)
		return
	}
	tok, err := s.auth.IssueToken(c.Request.Context(), id, in.Name, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"user_id": id, "token": tok,
		"note": "store this token now; it is not shown again"})
}

func (s *Server) listLocations(c *gin.Context) {
	listed(c, s, s.records.ListLocations)
}

func (s *Server) createLocation(c *gin.Context) {
	var in records.NewLocation
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(s.records.CreateLocation(c.Request.Context(), in, actor(c)))
}

func (s *Server) listProviders(c *gin.Context) {
	listed(c, s, s.records.ListProviders)
}

func (s *Server) createProvider(c *gin.Context) {
	var in records.NewProvider
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(s.records.CreateProvider(c.Request.Context(), in, actor(c)))
}

func (s *Server) listFeeSchedules(c *gin.Context) {
	listed(c, s, s.records.ListFeeSchedules)
}

type feeScheduleRequest struct {
	Name      string           `json:"name"`
	IsDefault bool             `json:"is_default"`
	Items     []feeItemRequest `json:"items"`
}

type feeItemRequest struct {
	ProcedureCode string `json:"procedure_code"`
	Description   string `json:"description"`
	Price         Amount `json:"price"`
}

func (s *Server) createFeeSchedule(c *gin.Context) {
	var in feeScheduleRequest
	if !bind(c, &in) {
		return
	}
	nf := records.NewFeeSchedule{Name: in.Name, IsDefault: in.IsDefault}
	for _, it := range in.Items {
		nf.Items = append(nf.Items, records.NewFeeItem{ProcedureCode: it.ProcedureCode, Description: it.Description, Price: it.Price.Decimal})
	}
	respond(c, s, http.StatusCreated)(s.records.CreateFeeSchedule(c.Request.Context(), nf, actor(c)))
}

func (s *Server) getFeeSchedule(c *gin.Context) {
	respond(c, s, http.StatusOK)(s.records.GetFeeSchedule(c.Request.Context(), c.Param("id")))
}

// patientJSON is a patient as the API shows it.
type patientJSON struct {
	records.Patient
	DateOfBirth string `json:"date_of_birth"`
}

func showPatient(p records.Patient) patientJSON {
	return patientJSON{Patient: p, DateOfBirth: p.DateOfBirth.Format("2006-01-02")}
}

func (s *Server) createPatient(c *gin.Context) {
	var in records.NewPatient
	if !bind(c, &in) {
		return
	}
	p, err := s.records.CreatePatient(c.Request.Context(), in, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, showPatient(p))
}

func (s *Server) getPatient(c *gin.Context) {
	var p records.Patient
	if err := s.records.Get(c.Request.Context(), &p, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showPatient(p))
}

// listPatients searches by name prefix (q) or date of birth (dob).
func (s *Server) listPatients(c *gin.Context) {
	f := records.PatientFilter{Name: c.Query("q")}
	if dob := c.Query("dob"); dob != "" {
		var err error
		if f.DateOfBirth, err = time.Parse(time.DateOnly, dob); err != nil {
			invalid(c, validate.Errors{{Field: "dob", Message: "must be a date YYYY-MM-DD"}})
			return
		}
	}
	var ok bool
	if f.Limit, ok = limitParam(c); !ok {
		return
	}
	ps, err := s.records.ListPatients(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]patientJSON, len(ps))
	for i, p := range ps {
		out[i] = showPatient(p)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func limitParam(c *gin.Context) (int, bool) {
	v := c.DefaultQuery("limit", "100")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > db.MaxPage {
		invalid(c, validate.Errors{{Field: "limit", Message: "must be an integer from 1 to 500"}})
		return 0, false
	}
	return n, true
}

// listed answers a listing endpoint with {"items": [...]} from a domain list
// function, after reading the limit parameter.
func listed[T any](c *gin.Context, s *Server, list func(context.Context, int) ([]T, error)) {
	limit, ok := limitParam(c)
	if !ok {
		return
	}
	out, err := list(c.Request.Context(), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	if out == nil {
		out = []T{}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// respond returns a function that answers a (value, error) pair.
func respond(c *gin.Context, s *Server, status int) func(any, error) {
	return func(v any, err error) {
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(status, v)
	}
}
