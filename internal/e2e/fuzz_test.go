package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/testenv"
)

// badRequest is one generated request.
type badRequest struct {
	what, method, path string
	body               any
	headers            []string
}

// TestEveryRouteSurvivesBadInput is issue 8's bad input generator: for every
// operation in openapi.json it sends invalid JSON, wrong types, NUL and control
// characters, huge strings, extreme and fractional amounts, bad UUIDs, unknown
// and bad query parameters, wrong content types, oversized bodies and a reused
// idempotency key, and asserts that nothing answers 5xx, that every error is
// problem+json, and that the ledger still balances afterwards.
func TestEveryRouteSurvivesBadInput(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	tok := e.AdminToken
	patient, caseID := newPatientCase(t, e, tok, "private")
	encID := checkIn(t, e, tok, p, caseID)
	chargeID := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/charges", tok,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"}}).Map(t)["id"].(string)
	payer := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Fuzz Health", "payer_id": "FUZZ1",
		"type": "commercial"}).Map(t)["id"].(string)
	var users struct {
		Items []struct{ ID string } `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/users", tok, nil).JSON(t, &users)

	ids := map[string]string{"patient_id": patient, "provider_id": p.provider, "location_id": p.location,
		"payer_id": payer, "fee_schedule_id": p.feeSchedule, "case_id": caseID}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas    map[string]json.RawMessage `json:"schemas"`
			Parameters map[string]json.RawMessage `json:"parameters"`
		} `json:"components"`
	}
	e.MustDo(200, "GET", "/api/openapi.json", "", nil).JSON(t, &doc)

	// Real ids for path parameters, so requests get past "not found".
	pathValue := func(path, param string) string {
		switch {
		case param == "encounter_id":
			return encID
		case param == "charge_id":
			return chargeID
		case strings.HasPrefix(path, "/api/v1/cases/"):
			return caseID
		case strings.HasPrefix(path, "/api/v1/patients/"):
			return patient
		case strings.HasPrefix(path, "/api/v1/payers/"):
			return payer
		case strings.HasPrefix(path, "/api/v1/fee-schedules/"):
			return p.feeSchedule
		case strings.HasPrefix(path, "/api/v1/users/"):
			return users.Items[0].ID
		}
		return uuid.NewString()
	}
	fill := func(path string, bad map[string]string) string {
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				name := strings.Trim(s, "{}")
				if v, ok := bad[name]; ok {
					segs[i] = v
				} else {
					segs[i] = pathValue(path, name)
				}
			}
		}
		return strings.Join(segs, "/")
	}
	schemaOf := func(raw json.RawMessage) map[string]any {
		var s map[string]any
		_ = json.Unmarshal(raw, &s)
		if ref, ok := s["$ref"].(string); ok {
			name := ref[strings.LastIndex(ref, "/")+1:]
			_ = json.Unmarshal(doc.Components.Schemas[name], &s)
		}
		return s
	}

	huge := strings.Repeat("x", 600_000)
	badStrings := []string{"a\x00b", "\x1b[31m", "\u0085", strings.Repeat("é", 2001), huge}
	badAmounts := []any{"1e400", "-0.001", "99999999999999999.99", "0.001", 1e308, "NaN", "999999999999.99"}
	badValues := []any{map[string]any{}, []any{1}, 12345, true, nil}

	var reqs []badRequest
	paths := make([]string, 0, len(doc.Paths))
	for path := range doc.Paths {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		for method, rawOp := range doc.Paths[path] {
			method = strings.ToUpper(method)
			if method != "GET" && method != "POST" {
				continue
			}
			var op struct {
				Parameters  []json.RawMessage `json:"parameters"`
				RequestBody *struct {
					Content map[string]struct {
						Schema json.RawMessage `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			require.NoError(t, json.Unmarshal(rawOp, &op))
			good := fill(path, nil)
			add := func(what string, target string, body any, headers ...string) {
				reqs = append(reqs, badRequest{what: what, method: method, path: target, body: body, headers: headers})
			}
			// Bad UUIDs and characters in path parameters.
			if strings.Contains(path, "{") {
				for _, v := range []string{"not-a-uuid", "%00", url.PathEscape(strings.Repeat("9", 300)), "00000000-0000-0000-0000-000000000000"} {
					bad := map[string]string{}
					for _, s := range strings.Split(path, "/") {
						if strings.HasPrefix(s, "{") {
							bad[strings.Trim(s, "{}")] = v
						}
					}
					add("path "+v, fill(path, bad), `{}`)
				}
			}
			// Query parameters: unknown, NUL, control, huge.
			add("unknown query", good+"?no_such_filter=1", nil)
			for _, raw := range op.Parameters {
				var prm struct {
					Ref  string `json:"$ref"`
					Name string `json:"name"`
					In   string `json:"in"`
				}
				_ = json.Unmarshal(raw, &prm)
				if prm.Ref != "" {
					_ = json.Unmarshal(doc.Components.Parameters[prm.Ref[strings.LastIndex(prm.Ref, "/")+1:]], &prm)
				}
				if prm.In != "query" {
					continue
				}
				for _, v := range []string{"\x00", "\x07x", strings.Repeat("q", 5000), "-1", "1e9", "not-a-uuid"} {
					add("query "+prm.Name, good+"?"+url.Values{prm.Name: {v}}.Encode(), nil)
				}
			}
			if method != "POST" {
				continue
			}
			add("invalid JSON", good, `{"a": `)
			add("not an object", good, `[1,2,3]`)
			add("trailing data", good, `{} {}`)
			add("wrong content type", good, `{}`, "Content-Type", "text/plain")
			add("oversized body", good, `{"x":"`+strings.Repeat("x", 1<<20+10)+`"}`)
			add("reused idempotency key, other body", good, `{}`, "Idempotency-Key", "fuzz-key")
			if op.RequestBody == nil {
				continue
			}
			ct, ok := op.RequestBody.Content["application/json"]
			if !ok {
				continue
			}
			schema := schemaOf(ct.Schema)
			props, _ := schema["properties"].(map[string]any)
			// Each bad value goes alone and inside an otherwise valid body, so
			// that it reaches the domain code and the database.
			base := map[string]any{}
			for name, rawProp := range props {
				b, _ := json.Marshal(rawProp)
				if v, ok := sample(name, schemaOf(b), ids); ok {
					base[name] = v
				}
			}
			with := func(name string, v any) map[string]any {
				m := map[string]any{}
				for k, x := range base {
					m[k] = x
				}
				m[name] = v
				return m
			}
			for name, rawProp := range props {
				prop, _ := rawProp.(map[string]any)
				isAmount := strings.HasSuffix(fmt.Sprint(prop["$ref"]), "/MoneyInput")
				for _, v := range badValues {
					add("wrong type "+name, good, map[string]any{name: v})
					add("wrong type in a valid body "+name, good, with(name, v))
				}
				if isAmount {
					for _, v := range badAmounts {
						add("amount "+name, good, map[string]any{name: v})
						add("amount in a valid body "+name, good, with(name, v))
					}
					continue
				}
				for _, v := range badStrings {
					add("text "+name, good, map[string]any{name: v})
					add("text in list "+name, good, map[string]any{name: []string{v}})
					add("text in a valid body "+name, good, with(name, v))
				}
			}
		}
	}
	require.Greater(t, len(reqs), 500)
	t.Logf("%d bad requests over %d paths", len(reqs), len(paths))

	statuses := map[int]int{}
	defer func() { t.Logf("answers by status: %v", statuses) }()
	for _, r := range reqs {
		res := e.Do(r.method, r.path, tok, r.body, r.headers...)
		statuses[res.Status]++
		where := fmt.Sprintf("%s %.120s (%s)", r.method, r.path, r.what)
		if !assert.Less(t, res.Status, 500, "%s: %.300s", where, res.Body) {
			continue
		}
		if res.Status >= 400 {
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), where)
		}
	}

	// A reused idempotency key with another amount is refused, not posted twice.
	pay := "/api/v1/cases/" + caseID + "/payments"
	e.MustDo(201, "POST", pay, tok, map[string]any{"amount": "5.00", "method": "cash"}, "Idempotency-Key", "fuzz-pay")
	again := e.Do("POST", pay, tok, map[string]any{"amount": "6.00", "method": "cash"}, "Idempotency-Key", "fuzz-pay")
	assert.Contains(t, []int{http.StatusConflict, http.StatusUnprocessableEntity}, again.Status, "%s", again.Body)

	bad, err := ledger.CheckAll(e.DB)
	require.NoError(t, err)
	assert.Empty(t, bad, "unbalanced journals")
	assertLedgerInvariant(t, e, caseID)
	assert.True(t, getCase(t, e, tok, caseID).InAgreement)
}

// sample is a plausible value for a body property from its schema: its example,
// the first of its values, a real id for an id, so that a body with one bad field
// is otherwise valid.
func sample(name string, s map[string]any, ids map[string]string) (any, bool) {
	if id, ok := ids[name]; ok {
		return id, true
	}
	if ex, ok := s["examples"].([]any); ok && len(ex) > 0 {
		return ex[0], true
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0], true
	}
	if all, ok := s["allOf"].([]any); ok && len(all) > 0 {
		return nil, false
	}
	switch ty := fmt.Sprint(s["type"]); {
	case strings.Contains(ty, "string") && strings.Contains(ty, "number"):
		return "1.00", true
	case strings.Contains(ty, "string"):
		switch s["format"] {
		case "date":
			return "2024-05-01", true
		case "email":
			return "fuzz@example.com", true
		case "uuid":
			return uuid.NewString(), true
		}
		return "Fuzz", true
	case strings.Contains(ty, "integer"):
		return 1, true
	case strings.Contains(ty, "boolean"):
		return false, true
	case strings.Contains(ty, "array"):
		items, _ := s["items"].(map[string]any)
		if v, ok := sample("", items, nil); ok {
			return []any{v}, true
		}
	}
	return nil, false
}
