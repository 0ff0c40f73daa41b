package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
)

// patientExists answers 404 for an unknown patient.
func (s *Server) patientExists(c *gin.Context) (string, bool) {
	var p records.Patient
	if err := s.records.Get(c.Request.Context(), &p, c.Param("id")); err != nil {
		s.fail(c, err)
		return "", false
	}
	return p.ID, true
}

func (s *Server) listStatements(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok || !onlyQuery(c) {
		return
	}
	list, err := s.Statements.List(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": list})
}

type statementRequest struct {
	// CaseID limits the statement to one case; empty: every open case.
	CaseID string `json:"case_id"`
}

// issueStatement issues a statement now (outside dunning), idempotent by the
// Idempotency-Key header.
func (s *Server) issueStatement(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	var in statementRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	r, err := s.Statements.Issue(c.Request.Context(), statements.IssueInput{PatientID: id, CaseID: in.CaseID,
		Key: "api:" + id + ":" + key, Actor: actor(c)})
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusCreated
	if r.Replayed {
		status = http.StatusOK
	}
	c.JSON(status, r)
}

// getStatement serves a stored statement as JSON, or, with a .pdf or .html
// suffix on the id, as the document sent (the PDF bytes stored at issue; the
// HTML rendered from the stored model).
func (s *Server) getStatement(c *gin.Context) {
	id := c.Param("id")
	format := "json"
	for _, f := range []string{".pdf", ".html"} {
		if base, ok := strings.CutSuffix(id, f); ok {
			id, format = base, f[1:]
		}
	}
	row, err := s.Statements.Get(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := row.Statement()
	if err != nil {
		s.fail(c, err)
		return
	}
	switch format {
	case "pdf":
		c.Header("Content-Disposition", `inline; filename="statement-`+row.Number+`.pdf"`)
		c.Data(http.StatusOK, "application/pdf", row.PDF)
	case "html":
		b, err := statements.RenderHTML(st)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", b)
	default:
		c.JSON(http.StatusOK, gin.H{"statement": st, "sha256": row.ContentSHA256, "amount_due": row.AmountDue})
	}
}

func (s *Server) getBranding(c *gin.Context) {
	if !onlyQuery(c, "location_id") {
		return
	}
	b, err := s.Statements.BrandingFor(c.Request.Context(), c.Query("location_id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, b)
}

type brandingRequest struct {
	LocationID    string `json:"location_id"`
	Name          string `json:"name"`
	Address       string `json:"address" maxlen:"500"`
	Phone         string `json:"phone"`
	Accent        string `json:"accent"`
	Message       string `json:"message" maxlen:"2000"`
	LogoPNGBase64 string `json:"logo_png_base64" maxlen:"400000"`
}

func (s *Server) setBranding(c *gin.Context) {
	var in brandingRequest
	if !bind(c, &in) {
		return
	}
	b, err := s.Statements.SetBranding(c.Request.Context(), statements.BrandingInput(in), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, b)
}
