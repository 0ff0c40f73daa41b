package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/web"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// testRouter builds the router without a database or Temporal client; Router()
// touches neither.
func testRouter() *gin.Engine {
	return New(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 0).Router()
}

// openAPIPath converts a gin route path (/cases/:id) to an OpenAPI path template
// (/cases/{id}).
func openAPIPath(ginPath string) string {
	segs := strings.Split(ginPath, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		} else if name, ok := strings.CutPrefix(s, "*"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

// loadOpenAPI decodes the embedded document generically.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc), "api/openapi.json is not valid JSON")
	return doc
}

func openAPIPaths(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	require.True(t, ok, "the document has no paths object")
	return paths
}

// documentedRoutes lists "METHOD /path/{template}" for every operation in the document.
func documentedRoutes(t *testing.T, doc map[string]any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for path, item := range openAPIPaths(t, doc) {
		pi, ok := item.(map[string]any)
		require.True(t, ok, "path item %s is not an object", path)
		for _, m := range openAPIMethods {
			if _, ok := pi[m]; ok {
				out[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	return out
}

// routerRoutes lists "METHOD /path/{template}" for every route the router registers.
func routerRoutes() map[string]bool {
	out := map[string]bool{}
	for _, r := range testRouter().Routes() {
		out[r.Method+" "+openAPIPath(r.Path)] = true
	}
	return out
}

func TestOpenAPIPathConversion(t *testing.T) {
	assert.Equal(t, "/api/v1/cases/{id}/encounters/{encounter_id}/charges",
		openAPIPath("/api/v1/cases/:id/encounters/:encounter_id/charges"))
	assert.Equal(t, "/healthz", openAPIPath("/healthz"))
	assert.Equal(t, "/", openAPIPath("/"))
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	paths := openAPIPaths(t, doc)
	routes := testRouter().Routes()
	require.NotEmpty(t, routes)
	var missing []string
	for _, r := range routes {
		// The staff web application's HTML pages (package web, mounted by
		// Router) are pages, not API operations: everything under web.Prefix
		// (/app/...) is left out. "/" (its landing page) and every /api/v1
		// route stay checked.
		if strings.HasPrefix(r.Path, web.Prefix+"/") {
			continue
		}
		p := openAPIPath(r.Path)
		item, _ := paths[p].(map[string]any)
		if _, ok := item[strings.ToLower(r.Method)]; !ok {
			missing = append(missing, r.Method+" "+p+" (gin route "+r.Path+")")
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "routes registered by Router() but not documented in api/openapi.json:\n  %s",
		strings.Join(missing, "\n  "))
}

func TestOpenAPIDocumentsOnlyRealRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	registered := routerRoutes()
	var extra []string
	for r := range documentedRoutes(t, doc) {
		if !registered[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	assert.Empty(t, extra, "operations documented in api/openapi.json that Router() does not register:\n  %s",
		strings.Join(extra, "\n  "))
}

var pathParamRe = regexp.MustCompile(`\{([^{}]+)\}`)

func TestOpenAPIIsWellFormed(t *testing.T) {
	doc := loadOpenAPI(t)

	version, _ := doc["openapi"].(string)
	assert.True(t, strings.HasPrefix(version, "3.1"), "openapi is %q, want 3.1.x", version)
	info, _ := doc["info"].(map[string]any)
	require.NotNil(t, info, "info is required")
	assert.NotEmpty(t, info["title"], "info.title")
	assert.NotEmpty(t, info["version"], "info.version")

	// Every $ref points at an existing component.
	var refs []string
	collectRefs(doc, &refs)
	require.NotEmpty(t, refs)
	for _, ref := range refs {
		_, ok := resolveRef(doc, ref)
		assert.True(t, ok, "$ref %q does not resolve", ref)
	}

	// The global bearer scheme exists.
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearerAuth"].(map[string]any)
	require.NotNil(t, bearer, "components.securitySchemes.bearerAuth")
	assert.Equal(t, "http", bearer["type"])
	assert.Equal(t, "bearer", bearer["scheme"])

	seenIDs := map[string]string{}
	for path, rawItem := range openAPIPaths(t, doc) {
		item, ok := rawItem.(map[string]any)
		require.True(t, ok, "path item %s is not an object", path)
		itemParams := declaredPathParams(t, doc, item["parameters"])
		template := map[string]bool{}
		for _, m := range pathParamRe.FindAllStringSubmatch(path, -1) {
			template[m[1]] = true
		}
		for _, method := range openAPIMethods {
			rawOp, ok := item[method]
			if !ok {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			op, ok := rawOp.(map[string]any)
			require.True(t, ok, "%s is not an object", where)

			id, _ := op["operationId"].(string)
			if assert.NotEmpty(t, id, "%s has no operationId", where) {
				if prev, dup := seenIDs[id]; dup {
					t.Errorf("operationId %q is used by both %s and %s", id, prev, where)
				}
				seenIDs[id] = where
			}
			assert.NotEmpty(t, op["summary"], "%s has no summary", where)
			resps, _ := op["responses"].(map[string]any)
			assert.NotEmpty(t, resps, "%s has no responses", where)

			declared := declaredPathParams(t, doc, op["parameters"])
			for name := range itemParams {
				declared[name] = true
			}
			for name := range template {
				assert.True(t, declared[name], "%s: path parameter {%s} is not declared", where, name)
			}
			for name := range declared {
				assert.True(t, template[name], "%s: declares path parameter %q that the path lacks", where, name)
			}
		}
	}
}

// declaredPathParams returns the names of the "in: path" parameters in a
// parameters list, following $refs.
func declaredPathParams(t *testing.T, doc map[string]any, raw any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	list, _ := raw.([]any)
	for _, p := range list {
		pm, _ := p.(map[string]any)
		if ref, ok := pm["$ref"].(string); ok {
			target, ok := resolveRef(doc, ref)
			if !ok {
				continue // reported by the $ref check
			}
			pm, _ = target.(map[string]any)
		}
		if pm["in"] == "path" {
			name, _ := pm["name"].(string)
			out[name] = true
			assert.Equal(t, true, pm["required"], "path parameter %q must be required", name)
		}
	}
	return out
}

// collectRefs appends every "$ref" string value found anywhere in v.
func collectRefs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				*out = append(*out, s)
				continue
			}
			collectRefs(e, out)
		}
	case []any:
		for _, e := range x {
			collectRefs(e, out)
		}
	}
}

// resolveRef follows a local "#/components/..." JSON pointer.
func resolveRef(doc map[string]any, ref string) (any, bool) {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok || !strings.HasPrefix(ptr, "components/") {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestOpenAPIServed(t *testing.T) {
	w := httptest.NewRecorder()
	testRouter().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json")
	assert.JSONEq(t, string(openAPIDoc), w.Body.String())
}

// requestTypes are the Go types bind decodes each request body schema into.
var requestTypes = map[string]any{
	"NewUser": auth.NewUser{}, "TokenRequest": tokenRequest{}, "NewLocation": records.NewLocation{},
	"NewProvider": records.NewProvider{}, "NewFeeSchedule": feeScheduleRequest{}, "NewFeeItem": feeItemRequest{},
	"NewPayer": records.NewPayer{}, "NewPatient": records.NewPatient{}, "NewCase": cases.New{},
	"CheckInRequest": checkInRequest{}, "ChargeRequest": chargeRequest{}, "CompleteChargesRequest": completeRequest{},
	"VoidChargeRequest": voidRequest{}, "PaymentRequest": paymentRequest{}, "AdjustmentRequest": adjustmentRequest{},
	"NewCoverage": records.NewCoverage{}, "ClaimTaskRequest": claimRequest{}, "CompleteTaskRequest": completeTaskRequest{},
	"ClaimFix": claims.Fix{}, "ClaimLineFix": claims.LineFix{}, "DenialDecisionRequest": decisionBody{},
	"WriteOffApprovalRequest": approvalBody{},
	"StatementRequest":        statementRequest{}, "BrandingRequest": brandingRequest{},
	"ContactPreferencesRequest": contactPrefsRequest{}, "PaymentPlanRequest": paymentPlanRequest{}, "DisputeRequest": disputeRequest{},
}

// jsonFields are a struct type's fields by JSON name, embedded structs flattened.
func jsonFields(t reflect.Type, out map[string]reflect.StructField) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && name == "" {
			jsonFields(sf.Type, out)
		} else if sf.IsExported() && name != "-" {
			out[name] = sf
		}
	}
}

// TestOpenAPIDocumentsTextLimits checks that every text field of every request
// body documents the maximum length bind enforces (its maxlen tag or
// DefaultMaxLen; a narrower documented limit is fine, a wider one is not), and
// every text query parameter MaxQueryLen.
func TestOpenAPIDocumentsTextLimits(t *testing.T) {
	doc := loadOpenAPI(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for path, item := range openAPIPaths(t, doc) {
		for _, m := range openAPIMethods {
			op, _ := item.(map[string]any)[m].(map[string]any)
			body, _ := op["requestBody"].(map[string]any)
			content, _ := body["content"].(map[string]any)
			js, _ := content["application/json"].(map[string]any)
			schema, _ := js["schema"].(map[string]any)
			if ref, ok := schema["$ref"].(string); ok {
				name := ref[strings.LastIndex(ref, "/")+1:]
				assert.Contains(t, requestTypes, name, "%s %s: add its body type to requestTypes", m, path)
			}
		}
	}

	isString := func(s map[string]any) bool {
		switch ty := s["type"].(type) {
		case string:
			return ty == "string"
		case []any:
			return slices.Contains(ty, any("string")) && !slices.Contains(ty, any("array"))
		}
		return false
	}
	checked := 0
	for name, v := range requestTypes {
		schema, ok := schemas[name].(map[string]any)
		require.True(t, ok, "schema %s", name)
		fields := map[string]reflect.StructField{}
		jsonFields(reflect.TypeOf(v), fields)
		props, _ := schema["properties"].(map[string]any)
		for prop, raw := range props {
			ps := raw.(map[string]any)
			if items, ok := ps["items"].(map[string]any); ok {
				ps = items
			}
			if !isString(ps) || ps["enum"] != nil {
				continue
			}
			sf, ok := fields[prop]
			if !assert.True(t, ok, "%s.%s is documented but %T has no such field", name, prop, v) {
				continue
			}
			limit := fieldMaxLen(sf)
			documented, ok := ps["maxLength"].(float64)
			if assert.True(t, ok, "%s.%s documents no maxLength (bind allows %d)", name, prop, limit) {
				assert.LessOrEqual(t, int(documented), limit, "%s.%s", name, prop)
				if sf.Tag.Get("maxlen") != "" {
					assert.Equal(t, limit, int(documented), "%s.%s", name, prop)
				}
			}
			checked++
		}
	}
	assert.Greater(t, checked, 50)

	var params []map[string]any
	for _, p := range doc["components"].(map[string]any)["parameters"].(map[string]any) {
		params = append(params, p.(map[string]any))
	}
	for _, item := range openAPIPaths(t, doc) {
		for _, m := range openAPIMethods {
			op, _ := item.(map[string]any)[m].(map[string]any)
			list, _ := op["parameters"].([]any)
			for _, p := range list {
				params = append(params, p.(map[string]any))
			}
		}
	}
	for _, p := range params {
		s, _ := p["schema"].(map[string]any)
		if p["in"] != "query" || !isString(s) || s["enum"] != nil {
			continue
		}
		assert.Equal(t, float64(MaxQueryLen), s["maxLength"], "query parameter %s", p["name"])
	}
}
