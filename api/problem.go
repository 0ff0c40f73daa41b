package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/validate"
)

// ProblemContentType is the media type of error responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Instance  string                `json:"instance,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []validate.FieldError `json:"errors,omitempty"`
}

// Problem types. They are relative URIs documented in the OpenAPI document.
const (
	ProblemValidation   = "/problems/validation-error"
	ProblemMalformed    = "/problems/malformed-request"
	ProblemUnauthorized = "/problems/unauthorized"
	ProblemForbidden    = "/problems/forbidden"
	ProblemNotFound     = "/problems/not-found"
	ProblemConflict     = "/problems/conflict"
	ProblemUnavailable  = "/problems/unavailable"
	ProblemInternal     = "/problems/internal-error"
)

func problem(c *gin.Context, status int, typ, title, detail string, errs ...validate.FieldError) {
	p := Problem{Type: typ, Title: title, Status: status, Detail: detail, Instance: c.Request.URL.Path,
		RequestID: c.GetString(ctxRequestID), Errors: errs}
	b, _ := json.Marshal(p)
	c.Abort()
	c.Data(status, ProblemContentType, b)
}

// retryAfter is how many seconds a 503 asks a client to wait before retrying.
const retryAfter = "2"

// unavailable answers 503 with Retry-After: a dependency is away, the same
// request can succeed shortly.
func unavailable(c *gin.Context, detail string) {
	c.Header("Retry-After", retryAfter)
	problem(c, http.StatusServiceUnavailable, ProblemUnavailable, "Service unavailable", detail)
}

func invalid(c *gin.Context, errs validate.Errors) {
	problem(c, http.StatusBadRequest, ProblemValidation, "Invalid request",
		"One or more fields are invalid; see errors.", errs...)
}

func malformed(c *gin.Context, detail string, errs ...validate.FieldError) {
	problem(c, http.StatusBadRequest, ProblemMalformed, "Malformed request", detail, errs...)
}

func notFound(c *gin.Context, what string) {
	problem(c, http.StatusNotFound, ProblemNotFound, "Not found", what+" was not found")
}

func conflictProblem(c *gin.Context, detail string) {
	problem(c, http.StatusConflict, ProblemConflict, "Conflict", detail)
}

// internalError logs err (never request bodies) and answers 500 without details.
func (s *Server) internalError(c *gin.Context, err error) {
	s.Logger.Error("request failed", "request_id", c.GetString(ctxRequestID), "route", c.FullPath(), "error", err)
	problem(c, http.StatusInternalServerError, ProblemInternal, "Internal error",
		"The request could not be completed; quote the request id when reporting it.")
}

const maxBody = 1 << 20

// bind decodes a JSON body strictly into dst: unknown fields, wrong types, trailing
// data and empty bodies are 400s naming the field where possible, and so is text
// that is too long or holds control characters (checkBody: DefaultMaxLen, or the
// field's `maxlen` tag).
func bind(c *gin.Context, dst any) bool {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		var text, amounts validate.Errors
		checkBody(&text, &amounts, reflect.ValueOf(dst), "", DefaultMaxLen)
		switch {
		case len(amounts) > 0:
			malformed(c, "a field has the wrong type", amounts...)
			return false
		case len(text) > 0:
			invalid(c, text)
			return false
		}
		return true
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		malformed(c, "a JSON request body is required")
	case errors.As(err, &maxErr):
		problem(c, http.StatusRequestEntityTooLarge, ProblemMalformed, "Request too large",
			fmt.Sprintf("the body must be at most %d bytes", maxBody))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		malformed(c, "a field has the wrong type", validate.FieldError{Field: field,
			Message: fmt.Sprintf("must be %s, not %s", jsonType(typeErr.Type.String()), typeErr.Value)})
	case errors.As(err, &syntaxErr):
		malformed(c, fmt.Sprintf("the body is not valid JSON (at byte %d): %v", syntaxErr.Offset, err))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		malformed(c, "the body has a field this endpoint does not accept",
			validate.FieldError{Field: name, Message: "is not a known field"})
	default:
		// Custom unmarshalers (decimal amounts) report their own errors.
		malformed(c, "the body could not be read: "+err.Error())
	}
	return false
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "decimal"):
		return "a decimal amount"
	}
	return "an object"
}
