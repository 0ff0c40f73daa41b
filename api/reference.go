package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

func (s *Server) me(c *gin.Context) { c.JSON(http.StatusOK, showUser(user(c))) }

func (s *Server) listUsers(c *gin.Context) {
	listed(c, s, s.auth.ListUsers, showUser)
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
	c.JSON(http.StatusCreated, showUser(u))
}

type tokenRequest struct {
	Name string `json:"name"`
	// ExpiresInDays is the token's lifetime in days (auth.DefaultTokenDays when
	// absent, at most auth.MaxTokenDays).
	ExpiresInDays int `json:"expires_in_days"`
}

func (s *Server) issueToken(c *gin.Context) {
	var in tokenRequest
	if c.Request.ContentLength != 0 && !bind(c, &in) { // the body is optional
		return
	}
	id := c.Param("id")
	if !s.records.Exists(c.Request.Context(), &auth.User{}, id) {
		notFound(c, "user "+id)
		return
	}
	tok, err := s.auth.Issue(c.Request.Context(), id, auth.NewToken{Name: in.Name, ExpiresInDays: in.ExpiresInDays}, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"user_id": id, "token": tok.Token, "token_id": tok.ID,
		"expires_at": tok.ExpiresAt, "note": "store this token now; it is not shown again"})
}

func (s *Server) listLocations(c *gin.Context) {
	listed(c, s, s.records.ListLocations, showLocation)
}

func (s *Server) createLocation(c *gin.Context) {
	var in records.NewLocation
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showLocation)(s.records.CreateLocation(c.Request.Context(), in, actor(c))))
}

func (s *Server) listProviders(c *gin.Context) {
	listed(c, s, s.records.ListProviders, showProvider)
}

func (s *Server) createProvider(c *gin.Context) {
	var in records.NewProvider
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showProvider)(s.records.CreateProvider(c.Request.Context(), in, actor(c))))
}

func (s *Server) listFeeSchedules(c *gin.Context) {
	listed(c, s, s.records.ListFeeSchedules, showFeeSchedule)
}

type feeScheduleRequest struct {
	Name      string           `json:"name"`
	IsDefault bool             `json:"is_default"`
	Items     []feeItemRequest `json:"items"`
}

type feeItemRequest struct {
	ProcedureCode string `json:"procedure_code"`
	Description   string `json:"description" maxlen:"1000"` // CPT long descriptors run past 200
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
	respond(c, s, http.StatusCreated)(shown(showFeeSchedule)(s.records.CreateFeeSchedule(c.Request.Context(), nf, actor(c))))
}

func (s *Server) getFeeSchedule(c *gin.Context) {
	respond(c, s, http.StatusOK)(shown(showFeeSchedule)(s.records.GetFeeSchedule(c.Request.Context(), c.Param("id"))))
}

// patientJSON is a patient as the API shows it.
type patientJSON struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	// DateOfBirth is YYYY-MM-DD.
	DateOfBirth string `json:"date_of_birth"`
	Sex         string `json:"sex"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	records.Address
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// LocationID is the location that registered the patient.
	LocationID *string `json:"location_id,omitempty"`
}

func showPatient(r records.Patient) patientJSON {
	return patientJSON{
		ID:          r.ID,
		FirstName:   r.FirstName,
		LastName:    r.LastName,
		DateOfBirth: r.DateOfBirth.Format(time.DateOnly),
		Sex:         r.Sex,
		Email:       r.Email,
		Phone:       r.Phone,
		Address:     records.Address{Address1: r.Address1, Address2: r.Address2, City: r.City, State: r.State, Zip: r.Zip},
		LocationID:  r.LocationID,
		CreatedAt:   r.CreatedAt,
		UpdatedAt:   r.UpdatedAt,
	}
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
	if !s.readPatients(c, p.ID) {
		return
	}
	c.JSON(http.StatusOK, showPatient(p))
}

// listPatients searches by name prefix (q), date of birth (dob) or member ID.
func (s *Server) listPatients(c *gin.Context) {
	if !onlyQuery(c, "q", "dob", "member_id") {
		return
	}
	f := records.PatientFilter{Name: c.Query("q"), MemberID: c.Query("member_id")}
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
	ids := make([]string, len(ps))
	for i, p := range ps {
		out[i] = showPatient(p)
		ids[i] = p.ID
	}
	if !s.readPatients(c, ids...) {
		return
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
// function, after checking its query parameters (filters, the names its caller
// reads, and limit) and reading the limit, showing each row as show does.
func listed[T, V any](c *gin.Context, s *Server, list func(context.Context, int) ([]T, error), show func(T) V, filters ...string) {
	if !onlyQuery(c, filters...) {
		return
	}
	limit, ok := limitParam(c)
	if !ok {
		return
	}
	rows, err := list(c.Request.Context(), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]V, len(rows))
	for i, r := range rows {
		out[i] = show(r)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// shown turns a (row, error) pair into (API type, error) for respond.
func shown[T, V any](show func(T) V) func(T, error) (any, error) {
	return func(r T, err error) (any, error) { return show(r), err }
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

// created answers a write that takes an Idempotency-Key: 201 with body, or,
// when the key was seen before and nothing new was written, 200 with the first
// answer's body and Idempotent-Replayed: true.
func created(c *gin.Context, replayed bool, body any) {
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
		c.Header("Idempotent-Replayed", "true")
	}
	c.JSON(status, body)
}

// userJSON is a user as the API shows it.
type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// LocationIDs are the locations the user is limited to; AllLocations is
	// true when there are none (the user works at every location).
	LocationIDs  []string `json:"location_ids"`
	AllLocations bool     `json:"all_locations"`
}

func showUser(r auth.User) userJSON {
	u := userJSON{
		ID:        r.ID,
		Email:     r.Email,
		Name:      r.Name,
		Role:      r.Role,
		Disabled:  r.Disabled,
		CreatedAt: r.CreatedAt,
	}
	u.LocationIDs, u.AllLocations = append([]string{}, r.LocationIDs...), r.AllLocations()
	return u
}

// locationJSON is a location as the API shows it.
type locationJSON struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	NPI  *string `json:"npi,omitempty"`
	records.Address
	Phone     string    `json:"phone"`
	TaxID     string    `json:"tax_id"`
	Taxonomy  string    `json:"taxonomy"`
	CreatedAt time.Time `json:"created_at"`
}

func showLocation(r records.Location) locationJSON {
	return locationJSON{
		ID:        r.ID,
		Name:      r.Name,
		NPI:       r.NPI,
		Address:   records.Address{Address1: r.Address1, Address2: r.Address2, City: r.City, State: r.State, Zip: r.Zip},
		Phone:     r.Phone,
		TaxID:     r.TaxID,
		Taxonomy:  r.Taxonomy,
		CreatedAt: r.CreatedAt,
	}
}

// providerJSON is a provider as the API shows it.
type providerJSON struct {
	ID         string    `json:"id"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	Credential string    `json:"credential"`
	NPI        string    `json:"npi"`
	Taxonomy   string    `json:"taxonomy"`
	TaxID      string    `json:"tax_id"`
	CreatedAt  time.Time `json:"created_at"`
}

func showProvider(r records.Provider) providerJSON {
	return providerJSON{
		ID:         r.ID,
		FirstName:  r.FirstName,
		LastName:   r.LastName,
		Credential: r.Credential,
		NPI:        r.NPI,
		Taxonomy:   r.Taxonomy,
		TaxID:      r.TaxID,
		CreatedAt:  r.CreatedAt,
	}
}

// feeScheduleJSON is a fee schedule with its prices as the API shows it.
type feeScheduleJSON struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	IsDefault bool          `json:"is_default"`
	CreatedAt time.Time     `json:"created_at"`
	Items     []feeItemJSON `json:"items"`
}

func showFeeSchedule(r billing.FeeSchedule) feeScheduleJSON {
	out := feeScheduleJSON{ID: r.ID, Name: r.Name, IsDefault: r.IsDefault, CreatedAt: r.CreatedAt}
	if r.Items != nil {
		out.Items = make([]feeItemJSON, len(r.Items))
		for i, it := range r.Items {
			out.Items[i] = showFeeItem(it)
		}
	}
	return out
}

// feeItemJSON is a feescheduleitem as the API shows it.
type feeItemJSON struct {
	ProcedureCode string          `json:"procedure_code"`
	Description   string          `json:"description"`
	Price         decimal.Decimal `json:"price"`
}

func showFeeItem(r billing.FeeScheduleItem) feeItemJSON {
	return feeItemJSON{
		ProcedureCode: r.ProcedureCode,
		Description:   r.Description,
		Price:         r.Price,
	}
}
