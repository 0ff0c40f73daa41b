package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problemFieldsOf returns the fields a 400 problem names.
func problemFieldsOf(t *testing.T, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	assert.Equal(t, ProblemContentType, rec.Header().Get("Content-Type"))
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	return fields
}

// TestBindRefusesControlCharactersAndOverlongText checks issue 8's NUL bytes
// and 1 MB strings, which reached PostgreSQL and answered 500: every text field
// of a body, at any depth, is at most DefaultMaxLen characters (or its maxlen
// tag) and holds no control character but tab, line feed and carriage return.
func TestBindRefusesControlCharactersAndOverlongText(t *testing.T) {
	type item struct {
		Code string `json:"procedure_code"`
	}
	type body struct {
		Name    string          `json:"name"`
		Note    string          `json:"note" maxlen:"2000"`
		Tags    []string        `json:"tags"`
		Ref     *string         `json:"reference"`
		Items   []item          `json:"items"`
		Outcome json.RawMessage `json:"outcome"`
	}
	bindBody := func(in string) (*httptest.ResponseRecorder, bool) {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(in))
		var b body
		return rec, bind(c, &b)
	}
	long := func(n int) string { return strings.Repeat("é", n) }
	for in, want := range map[string][]string{
		`{"name":"Ann\u0000e"}`:                              {"name"},
		`{"name":"a\u001bb","tags":["ok","\u0007"]}`:         {"name", "tags[1]"},
		`{"reference":"\u007f"}`:                             {"reference"},
		`{"items":[{"procedure_code":"9\u00009213"}]}`:       {"items[0].procedure_code"},
		`{"name":"` + long(201) + `"}`:                       {"name"},
		`{"note":"` + long(2001) + `"}`:                      {"note"},
		`{"outcome":{"note":"x\u0000","nested":["\u0001"]}}`: {"outcome.nested[0]", "outcome.note"},
		`{"name":"\u0085next line"}`:                         {"name"},
	} {
		rec, ok := bindBody(in)
		assert.False(t, ok, in)
		assert.Equal(t, want, problemFieldsOf(t, rec), "%.80s", in)
	}
	rec, ok := bindBody(`{"name":"` + long(200) + `","note":"line one\r\nline\ttwo ` + long(1980) + `","tags":["Zoë"]}`)
	assert.True(t, ok, rec.Body.String())
}

// TestQueryParametersAreCheckedInOnePlace checks that a list route refuses a
// query parameter it does not know (GET /cases?location_id=… listed every
// case) and that any route refuses NUL, control characters and overlong values
// in a query parameter.
func TestQueryParametersAreCheckedInOnePlace(t *testing.T) {
	r := gin.New()
	r.Use(queryText)
	r.GET("/list", func(c *gin.Context) {
		if onlyQuery(c, "kind", "stage") {
			c.Status(http.StatusOK)
		}
	})
	r.GET("/detail", func(c *gin.Context) { c.Status(http.StatusOK) })
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		return rec
	}
	for target, want := range map[string][]string{
		"/list?location_id=1":                     {"location_id"},
		"/list?kind=a&zzz=1&aaa=2":                {"aaa", "zzz"},
		"/list?kind=a%00b":                        {"kind"},
		"/list?stage=" + strings.Repeat("s", 201): {"stage"},
		"/detail?x=%1b":                           {"x"},
		"/detail?q=" + strings.Repeat("q", 201):   {"q"},
		"/detail?q=%ff":                           {"q"},
	} {
		assert.Equal(t, want, problemFieldsOf(t, get(target)), target)
	}
	for _, target := range []string{"/list", "/list?kind=private&stage=open&limit=5", "/detail?anything=goes"} {
		assert.Equal(t, http.StatusOK, get(target).Code, target)
	}
}
