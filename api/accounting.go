package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/accounting"
	"github.com/clinicflow/rcm/internal/validate"
)

func (s *Server) accounting() *accounting.Service { return &accounting.Service{DB: s.DB} }

func (s *Server) listGLAccounts(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	accts, err := s.accounting().Accounts(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": accts})
}

func (s *Server) mapGLAccount(c *gin.Context) {
	var in accounting.Mapping
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusOK)(s.accounting().MapAccount(c.Request.Context(), c.Param("code"), in, actor(c)))
}

// periodJSON is an accounting period as the API shows it.
type periodJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	StartDate string     `json:"start_date"`
	EndDate   string     `json:"end_date"`
	Status    string     `json:"status"`
	ClosedAt  *time.Time `json:"closed_at"`
	ClosedBy  *string    `json:"closed_by"`
	CreatedAt time.Time  `json:"created_at"`
}

func showPeriod(p accounting.Period) periodJSON {
	return periodJSON{ID: p.ID, Name: p.Name, StartDate: p.StartDate.Format(time.DateOnly), EndDate: p.EndDate.Format(time.DateOnly),
		Status: p.Status, ClosedAt: p.ClosedAt, ClosedBy: p.ClosedBy, CreatedAt: p.CreatedAt}
}

func (s *Server) listPeriods(c *gin.Context) {
	listed(c, s, s.accounting().ListPeriods, showPeriod)
}

func (s *Server) createPeriod(c *gin.Context) {
	var in accounting.NewPeriod
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showPeriod)(s.accounting().CreatePeriod(c.Request.Context(), in, actor(c))))
}

func (s *Server) closePeriod(c *gin.Context) {
	respond(c, s, http.StatusOK)(shown(showPeriod)(s.accounting().ClosePeriod(c.Request.Context(), c.Param("id"), actor(c))))
}

// adjustingRequest is a manual adjusting journal.
type adjustingRequest struct {
	Date  string `json:"date"`
	Memo  string `json:"memo" maxlen:"2000"`
	Lines []struct {
		Account string  `json:"account"`
		Debit   *Amount `json:"debit"`
		Credit  *Amount `json:"credit"`
	} `json:"lines"`
}

func (s *Server) postAdjustingJournal(c *gin.Context) {
	var in adjustingRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	adj := accounting.Adjusting{Date: in.Date, Memo: in.Memo, IdempotencyKey: key}
	for _, l := range in.Lines {
		line := accounting.AdjustingLine{Account: l.Account, Debit: decimal.Zero, Credit: decimal.Zero}
		if l.Debit != nil {
			line.Debit = l.Debit.Decimal
		}
		if l.Credit != nil {
			line.Credit = l.Credit.Decimal
		}
		adj.Lines = append(adj.Lines, line)
	}
	r, err := s.accounting().PostAdjusting(c.Request.Context(), adj, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	created(c, r.Replayed, gin.H{"journal_id": r.JournalID, "date": r.Date.Format(time.DateOnly)})
}

// exportJSON is a GL export as the API shows it (its content is downloaded).
type exportJSON struct {
	ID          string          `json:"id"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	Granularity string          `json:"granularity"`
	Journals    int             `json:"journals"`
	Lines       int             `json:"lines"`
	Debits      decimal.Decimal `json:"debits"`
	SHA256      string          `json:"sha256"`
	CreatedBy   *string         `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	Verified    *bool           `json:"verified,omitempty"`
}

func showExport(e accounting.Export) exportJSON {
	return exportJSON{ID: e.ID, From: e.FromDate.Format(time.DateOnly), To: e.ToDate.Format(time.DateOnly),
		Granularity: e.Granularity, Journals: e.Journals, Lines: e.Lines, Debits: e.Debits, SHA256: e.SHA256,
		CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt}
}

func (s *Server) listExports(c *gin.Context) {
	listed(c, s, s.accounting().ListExports, showExport)
}

func (s *Server) createExport(c *gin.Context) {
	var in accounting.NewExport
	if !bind(c, &in) {
		return
	}
	e, err := s.accounting().CreateExport(c.Request.Context(), in, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	created(c, e.Replayed, showExport(e))
}

func (s *Server) getExport(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	svc := s.accounting()
	e, err := svc.GetExport(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ok, err := svc.Verify(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := showExport(e)
	out.Verified = &ok
	c.JSON(http.StatusOK, out)
}

func (s *Server) downloadExport(c *gin.Context) {
	if !checkQuery(c, []string{"format"}) {
		return
	}
	e, err := s.accounting().GetExport(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	name := "rcm-gl-" + e.FromDate.Format("20060102") + "-" + e.ToDate.Format("20060102")
	c.Header("X-Export-SHA256", e.SHA256) // of the CSV, whichever format is downloaded
	switch c.DefaultQuery("format", "csv") {
	case "csv":
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(e.CSV))
	case "iif":
		c.Header("Content-Disposition", `attachment; filename="`+name+`.iif"`)
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(e.IIF))
	default:
		invalid(c, validate.Errors{{Field: "format", Message: "must be csv or iif"}})
	}
}

func (s *Server) trialBalance(c *gin.Context) {
	if !checkQuery(c, []string{"as_of"}) {
		return
	}
	respond(c, s, http.StatusOK)(s.accounting().TrialBalance(c.Request.Context(), c.Query("as_of")))
}

func (s *Server) revenueReport(c *gin.Context) {
	if !checkQuery(c, []string{"from", "to", "group_by"}) {
		return
	}
	respond(c, s, http.StatusOK)(s.accounting().RevenueReport(c.Request.Context(), accounting.RevenueFilter{
		From: c.Query("from"), To: c.Query("to"), GroupBy: c.Query("group_by")}))
}
