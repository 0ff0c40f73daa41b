package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/api"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
)

// routeRoles reads the route table (the v1.METHOD("path", s.allow(group), ...)
// calls in package api's source) and resolves each role group to its roles,
// so the access matrix is built from what the router enforces, not written
// by hand. Keys are "METHOD /api/v1/path/{param}" in OpenAPI form.
func routeRoles(t *testing.T) map[string][]string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "..", "api")
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	roleConst := map[string]string{"RoleFrontDesk": auth.RoleFrontDesk, "RoleProvider": auth.RoleProvider,
		"RoleBiller": auth.RoleBiller, "RoleManager": auth.RoleManager, "RoleAdmin": auth.RoleAdmin}
	groups := map[string]ast.Expr{}
	var calls []*ast.CallExpr
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				for i, name := range x.Names {
					if i < len(x.Values) {
						groups[name.Name] = x.Values[i]
					}
				}
			case *ast.CallExpr:
				calls = append(calls, x)
			}
			return true
		})
	}
	var resolve func(e ast.Expr) []string
	resolve = func(e ast.Expr) []string {
		switch x := e.(type) {
		case *ast.Ident:
			g, ok := groups[x.Name]
			require.True(t, ok, "role group %s is not a package-level var of package api", x.Name)
			return resolve(g)
		case *ast.SelectorExpr:
			if x.Sel.Name == "Roles" {
				return auth.Roles
			}
			r, ok := roleConst[x.Sel.Name]
			require.True(t, ok, "unknown role %s", x.Sel.Name)
			return []string{r}
		case *ast.CompositeLit:
			var out []string
			for _, el := range x.Elts {
				out = append(out, resolve(el)...)
			}
			return out
		}
		t.Fatalf("cannot read the role group %T", e)
		return nil
	}
	param := func(seg string) string {
		if strings.HasPrefix(seg, ":") {
			return "{" + seg[1:] + "}"
		}
		return seg
	}
	out := map[string][]string{}
	for _, c := range calls {
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok || !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, sel.Sel.Name) || len(c.Args) < 2 {
			continue
		}
		if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "v1" {
			continue
		}
		lit, ok := c.Args[0].(*ast.BasicLit)
		if !ok {
			continue
		}
		path, _ := strconv.Unquote(lit.Value)
		allow, ok := c.Args[1].(*ast.CallExpr)
		require.True(t, ok, "route %s %s has no s.allow(...) gate", sel.Sel.Name, path)
		if as, ok := allow.Fun.(*ast.SelectorExpr); !ok || as.Sel.Name != "allow" {
			t.Fatalf("route %s %s: the second handler is not s.allow(...)", sel.Sel.Name, path)
		}
		segs := strings.Split("/api/v1"+path, "/")
		for i, s := range segs {
			segs[i] = param(s)
		}
		out[sel.Sel.Name+" "+strings.Join(segs, "/")] = resolve(allow.Args[0])
	}
	require.Greater(t, len(out), 100, "the route table was not found")
	return out
}

// site is one location's records: a patient registered there with an
// insurance case (checked in there, with a coverage, a charge and a claim), a
// private case with a balance and a statement, and a task in every queue.
type site struct {
	location, patient, caseID, encounter, charge, coverage, claim, private, statement string
	tasks                                                                             []string
}

func (s site) ids() []string {
	return append([]string{s.patient, s.caseID, s.encounter, s.charge, s.coverage, s.claim, s.private, s.statement}, s.tasks...)
}

func newSite(t *testing.T, e *testenv.Env, p practice, payer, name, zip string) site {
	tok := e.AdminToken
	var s site
	s.location = e.MustDo(201, "POST", "/api/v1/locations", tok, map[string]any{
		"name": name, "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": zip,
	}).Map(t)["id"].(string)
	s.patient = e.MustDo(201, "POST", "/api/v1/patients", tok, map[string]any{
		"first_name": "Jane", "last_name": name, "date_of_birth": "1980-02-03", "email": "jane@example.com",
		"address1": "5 Elm St", "city": "Springfield", "state": "IL", "zip": "62704", "location_id": s.location,
	}).Map(t)["id"].(string)
	s.caseID = e.MustDo(201, "POST", "/api/v1/cases", tok, map[string]any{
		"patient_id": s.patient, "kind": "insurance", "location_id": s.location}).Map(t)["id"].(string)
	s.coverage = e.MustDo(201, "POST", "/api/v1/cases/"+s.caseID+"/coverages", tok, map[string]any{
		"payer_id": payer, "priority": "primary", "member_id": "XJ123456", "effective_from": "2026-01-01"}).Map(t)["id"].(string)
	s.encounter = e.MustDo(201, "POST", "/api/v1/cases/"+s.caseID+"/check-ins", tok, map[string]any{
		"provider_id": p.provider, "location_id": s.location, "service_date": "2026-11-02"}).Map(t)["id"].(string)
	s.charge = e.MustDo(201, "POST", "/api/v1/cases/"+s.caseID+"/encounters/"+s.encounter+"/charges", tok,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"}}).Map(t)["id"].(string)
	e.MustDo(200, "POST", "/api/v1/cases/"+s.caseID+"/encounters/"+s.encounter+"/complete-charges", tok, nil)
	b, err := (&claims.Service{DB: e.DB}).Build(context.Background(), claims.BuildInput{CaseID: s.caseID, EncounterID: s.encounter})
	require.NoError(t, err)
	s.claim = b.Claim.ID

	// A private case of the same patient, opened there, with a balance and a statement.
	s.private = e.MustDo(201, "POST", "/api/v1/cases", tok, map[string]any{
		"patient_id": s.patient, "kind": "private", "location_id": s.location}).Map(t)["id"].(string)
	enc := e.MustDo(201, "POST", "/api/v1/cases/"+s.private+"/check-ins", tok, map[string]any{
		"provider_id": p.provider, "location_id": s.location}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+s.private+"/encounters/"+enc+"/charges", tok,
		map[string]any{"procedure_code": "36415", "diagnoses": []string{"E11.9"}})
	e.MustDo(200, "POST", "/api/v1/cases/"+s.private+"/encounters/"+enc+"/complete-charges", tok, nil)
	s.statement = e.MustDo(201, "POST", "/api/v1/patients/"+s.patient+"/statements", tok, map[string]any{},
		"Idempotency-Key", "statement-"+name).Map(t)["id"].(string)

	svc := &tasks.Service{DB: e.DB}
	for _, q := range tasks.Queues {
		id, err := svc.Ensure(context.Background(), tasks.NewTask{Queue: q, Kind: "manual", BusinessKey: "matrix:" + name + ":" + q,
			CaseID: s.caseID, Title: "check " + q})
		require.NoError(t, err)
		s.tasks = append(s.tasks, id)
	}
	// Overdue, so that escalation lists show them.
	require.NoError(t, e.DB.Exec(`UPDATE tasks SET overdue = true, escalated_at = now() WHERE id IN ?`, s.tasks).Error)
	return s
}

// actor is a user of one role: limited to location A, or working at every
// location (the twin that shows a 404 is about the location, not the data).
type actor struct {
	role, limited, all string
}

// TestEveryRouteByRoleAndLocation walks every /api/v1 operation of the merged
// OpenAPI document as every role, once with the records of the user's own
// location and once with another location's, and asserts: a role the route
// table does not allow gets 403; an allowed role gets neither 401 nor 403 on
// its own location's records (and a 404 only where a user of every location
// gets it too); another location's patient, case, claim, task or statement
// in the path is a 404 (which a user of every location does not get); no
// answer to a limited user names another location's records; the routes over
// the whole practice are 403 to a limited user.
func TestEveryRouteByRoleAndLocation(t *testing.T) {
	sink, err := dunning.StartMailSink("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{SMTPAddr: sink.Addr()}})
	p := setupPractice(t, e)
	tok := e.AdminToken
	payer := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Acme", "payer_id": "ACME1", "type": "commercial"}).Map(t)["id"].(string)
	a := newSite(t, e, p, payer, "North", "62701-1111")
	b := newSite(t, e, p, payer, "South", "62702-2222")

	// One limited and one unlimited user per role.
	svc := &auth.Service{DB: e.DB}
	var actors []actor
	for _, role := range auth.Roles {
		limited := e.NewUserToken("limited-"+role+"@test.local", role)
		u, err := svc.Authenticate(context.Background(), limited)
		require.NoError(t, err)
		_, err = svc.SetLocations(context.Background(), u.ID, []string{a.location}, audit.System)
		require.NoError(t, err)
		actors = append(actors, actor{role: role, limited: limited, all: e.NewUserToken("all-"+role+"@test.local", role)})
	}
	// Ids the other path parameters take; the victim takes the user routes'
	// changes (disable, revoke) so that no actor loses access mid-walk.
	victim := e.MustDo(201, "POST", "/api/v1/users", tok, map[string]any{"email": "victim@test.local", "name": "V", "role": "biller"}).Map(t)["id"].(string)
	team := e.MustDo(201, "POST", "/api/v1/teams", tok, map[string]any{"name": "Team", "queues": []string{"denials"}}).Map(t)["id"].(string)
	contact := e.MustDo(201, "POST", "/api/v1/contacts", tok, map[string]any{"kind": "attorney", "name": "Saul"})
	contactID, _ := contact.Map(t)["id"].(string)
	fixed := map[string]string{"/users/": victim, "/teams/": team, "/payers/": payer, "/fee-schedules/": p.feeSchedule,
		"/contacts/": contactID}

	// Which records a path parameter names, by the resource it follows.
	bound := map[string]func(s site) string{
		"/patients/{id}":   func(s site) string { return s.patient },
		"/cases/{id}":      func(s site) string { return s.caseID },
		"/claims/{id}":     func(s site) string { return s.claim },
		"/tasks/{id}":      func(s site) string { return s.tasks[0] },
		"/statements/{id}": func(s site) string { return s.statement },
	}
	// fill puts the site's records in the path's parameters (random ids for
	// its patient, case, claim, task or statement when ghost is set: records
	// that do not exist); isBound says whether the path names such a record.
	fill := func(path string, s site, ghost bool) (string, bool) {
		isBound := false
		segs := strings.Split(path, "/")
		for i, seg := range segs {
			if !strings.HasPrefix(seg, "{") {
				continue
			}
			prefix := "/" + segs[i-1] + "/" + seg
			switch name := strings.Trim(seg, "{}"); {
			case bound[prefix] != nil && ghost:
				segs[i], isBound = uuid.NewString(), true
			case bound[prefix] != nil:
				segs[i], isBound = bound[prefix](s), true
			case name == "encounter_id":
				segs[i] = s.encounter
			case name == "charge_id":
				segs[i] = s.charge
			case name == "coverage_id":
				segs[i] = s.coverage
			case name == "user_id":
				segs[i] = victim
			case name == "state":
				segs[i] = "NY"
			case name == "code":
				segs[i] = "1000"
			case name == "group":
				segs[i] = "vip"
			default:
				segs[i] = uuid.NewString()
				for res, id := range fixed {
					if "/"+segs[i-1]+"/" == res && id != "" {
						segs[i] = id
					}
				}
			}
		}
		return strings.Join(segs, "/"), isBound
	}

	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	e.MustDo(200, "GET", "/api/openapi.json", "", nil).JSON(t, &doc)
	schemaOf := func(raw json.RawMessage) map[string]any {
		var s map[string]any
		_ = json.Unmarshal(raw, &s)
		if ref, ok := s["$ref"].(string); ok {
			_ = json.Unmarshal(doc.Components.Schemas[ref[strings.LastIndex(ref, "/")+1:]], &s)
		}
		return s
	}
	// body is a plausible request body with the site's ids, so that requests
	// get past validation to the records.
	body := func(rawOp json.RawMessage, s site) any {
		var op struct {
			RequestBody *struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		}
		require.NoError(t, json.Unmarshal(rawOp, &op))
		if op.RequestBody == nil {
			return nil
		}
		ct, ok := op.RequestBody.Content["application/json"]
		if !ok {
			return map[string]any{}
		}
		ids := map[string]string{"patient_id": s.patient, "case_id": s.caseID, "claim_id": s.claim, "location_id": s.location,
			"provider_id": p.provider, "payer_id": payer, "fee_schedule_id": p.feeSchedule, "user_id": victim}
		out := map[string]any{}
		props, _ := schemaOf(ct.Schema)["properties"].(map[string]any)
		for name, raw := range props {
			js, _ := json.Marshal(raw)
			if schemaOf(js)["format"] == "date-time" {
				out[name] = time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
			} else if v, ok := sample(name, schemaOf(js), ids); ok {
				out[name] = v
			}
		}
		return out
	}

	roles := routeRoles(t)
	type op struct{ method, path string }
	var ops []op
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method := range item {
			if m := strings.ToUpper(method); slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				ops = append(ops, op{m, path})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	require.Greater(t, len(ops), 100)

	otherIDs := b.ids()
	n := 0
	do := func(method, path, token string, reqBody any) testenv.Response {
		n++
		return e.Do(method, path, token, reqBody, "Idempotency-Key", fmt.Sprintf("matrix-%d", n))
	}
	// leaks fails when an answer to a limited user names another location's
	// records it was not itself given.
	leaks := func(where, path string, reqBody any, r testenv.Response) {
		sent, _ := json.Marshal(reqBody)
		for _, id := range otherIDs {
			if strings.Contains(string(r.Body), id) && !strings.Contains(path, id) && !strings.Contains(string(sent), id) {
				t.Errorf("%s: the answer names %s, a record of another location: %.300s", where, id, r.Body)
			}
		}
	}
	counts := map[string]int{}
	for _, o := range ops {
		allowedRoles, ok := roles[o.method+" "+o.path]
		if !assert.True(t, ok, "%s %s is documented but not in the route table", o.method, o.path) {
			continue
		}
		rawOp := doc.Paths[o.path][strings.ToLower(o.method)]
		wide := api.PracticeWide(o.method, strings.NewReplacer("{", ":", "}", "").Replace(o.path))
		for _, ac := range actors {
			inPath, isBound := fill(o.path, a, false)
			outPath, _ := fill(o.path, b, false)
			inBody, outBody := body(rawOp, a), body(rawOp, b)
			where := func(who, path string) string { return fmt.Sprintf("%s %s as %s %s", o.method, path, who, ac.role) }

			if !slices.Contains(allowedRoles, ac.role) {
				for _, tk := range []string{ac.limited, ac.all} {
					r := do(o.method, inPath, tk, inBody)
					assert.Equal(t, 403, r.Status, "%s (route allows %v): %.200s", where("a", inPath), allowedRoles, r.Body)
				}
				counts["forbidden by role"]++
				continue
			}
			if wide {
				r := do(o.method, inPath, ac.limited, inBody)
				assert.Equal(t, 403, r.Status, "%s: a practice-wide route: %.200s", where("limited", inPath), r.Body)
				r = do(o.method, inPath, ac.all, inBody)
				assert.NotContains(t, []int{401, 403}, r.Status, "%s: %.200s", where("unlimited", inPath), r.Body)
				assert.Less(t, r.Status, 500, "%s: %.300s", where("unlimited", inPath), r.Body)
				counts["practice-wide"]++
				continue
			}

			// The user's own location: never 401, nor the role's or the
			// location's 403; a 404, or a business rule's 403 (a claim in
			// flight, a task someone else holds), only where a user of every
			// location gets the same.
			rIn := do(o.method, inPath, ac.limited, inBody)
			assert.NotEqual(t, 401, rIn.Status, "%s: %.300s", where("limited", inPath), rIn.Body)
			assert.NotContains(t, string(rIn.Body), "may not do this", "%s: the role gate refused an allowed role", where("limited", inPath))
			assert.NotContains(t, string(rIn.Body), "covers every location", "%s", where("limited", inPath))
			assert.Less(t, rIn.Status, 500, "%s: %.300s", where("limited", inPath), rIn.Body)
			leaks(where("limited", inPath), inPath, inBody, rIn)
			if rIn.Status == 404 || rIn.Status == 403 {
				twin := do(o.method, inPath, ac.all, inBody)
				assert.Equal(t, rIn.Status, twin.Status, "%s: %d to a user of that location but %d to one of every location: %.300s",
					where("limited", inPath), rIn.Status, twin.Status, rIn.Body)
			}

			// Another location's records.
			rOut := do(o.method, outPath, ac.limited, outBody)
			leaks(where("limited", outPath), outPath, outBody, rOut)
			assert.Less(t, rOut.Status, 500, "%s: %.300s", where("limited", outPath), rOut.Body)
			if isBound {
				// Another location's record is answered as one that does not
				// exist: 404 where the same request succeeded at the user's own
				// location, and always what a made-up id gets.
				ghostPath, _ := fill(o.path, b, true)
				ghost := do(o.method, ghostPath, ac.limited, outBody)
				assert.Equal(t, ghost.Status, rOut.Status, "%s: another location's record answers %d, a made-up one %d: %.300s",
					where("limited", outPath), rOut.Status, ghost.Status, rOut.Body)
				if rIn.Status < 300 {
					assert.Equal(t, 404, rOut.Status, "%s: another location's record: %.300s", where("limited", outPath), rOut.Body)
				}
				if rOut.Status == 404 {
					counts["location-bound 404"]++
				}
				if rIn.Status != 404 {
					twin := do(o.method, outPath, ac.all, outBody)
					assert.NotEqual(t, 404, twin.Status, "%s: a user of every location finds it: %.300s", where("unlimited", outPath), twin.Body)
				}
				counts["location-bound"]++
			} else {
				assert.NotEqual(t, 403, rOut.Status, "%s: %.300s", where("limited", outPath), rOut.Body)
				counts["lists and others"]++
			}
		}
	}
	t.Logf("%d operations, %d requests: %v", len(ops), n, counts)
	assert.Positive(t, counts["forbidden by role"])
	assert.Positive(t, counts["practice-wide"])
	assert.Greater(t, counts["location-bound"], 100)
	assert.Greater(t, counts["location-bound 404"], 100)

	// The lists show a limited user their own location's records, and a user
	// of every location both.
	for _, l := range []struct{ path, own, other string }{
		{"/api/v1/patients", a.patient, b.patient},
		{"/api/v1/cases", a.caseID, b.caseID},
		{"/api/v1/claims", a.claim, b.claim},
		{"/api/v1/tasks?limit=500", a.tasks[1], b.tasks[1]}, // the walk above worked on tasks[0]
		{"/api/v1/locations", a.location, b.location},
		{"/api/v1/reports/ar-aging", a.location, b.location},
		{"/api/v1/patients/" + a.patient + "/statements", a.statement, b.statement},
	} {
		limited := string(e.MustDo(200, "GET", l.path, actors[4].limited, nil).Body)
		assert.True(t, strings.Contains(limited, l.own), "%s as a limited admin: own record %s missing", l.path, l.own)
		assert.False(t, strings.Contains(limited, l.other), "%s as a limited admin: shows %s of another location", l.path, l.other)
		if !strings.Contains(l.path, a.patient) {
			all := string(e.MustDo(200, "GET", l.path, actors[4].all, nil).Body)
			assert.True(t, strings.Contains(all, l.own) && strings.Contains(all, l.other),
				"%s as an admin of every location: both locations' records expected", l.path)
		}
	}
}

// TestLimitedUsersWorkAtTheirLocations: an admin limits users through the
// API (shown in /me and the user list); a front desk limited to one location
// registers patients and opens cases there by default and cannot check a
// patient in elsewhere; one limited to two locations must say which; other
// locations' patients cannot be given a case; lifting the limit shows
// everything again from the next request.
func TestLimitedUsersWorkAtTheirLocations(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	tok := e.AdminToken
	loc := func(name, zip string) string {
		return e.MustDo(201, "POST", "/api/v1/locations", tok, map[string]any{"name": name, "address1": "1 Main St",
			"city": "Springfield", "state": "IL", "zip": zip}).Map(t)["id"].(string)
	}
	north, south := loc("North", "62701-1111"), loc("South", "62702-2222")
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	deskID := e.MustDo(200, "GET", "/api/v1/me", desk, nil).Map(t)["id"].(string)
	me := e.MustDo(200, "GET", "/api/v1/me", desk, nil).Map(t)
	assert.Equal(t, true, me["all_locations"], "a new user works at every location")
	assert.Equal(t, []any{}, me["location_ids"])

	// Bad input names the field; unknown users are 404; only admins may.
	r := e.Do("PUT", "/api/v1/users/"+deskID+"/locations", tok, map[string]any{"location_ids": []string{"nope", uuid.NewString()}})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.ElementsMatch(t, []string{"location_ids[0]", "location_ids[1]"}, problemFields(t, r))
	e.MustDo(404, "PUT", "/api/v1/users/"+uuid.NewString()+"/locations", tok, map[string]any{"location_ids": []string{north}})
	e.MustDo(403, "PUT", "/api/v1/users/"+deskID+"/locations", desk, map[string]any{"location_ids": []string{north}})

	e.MustDo(200, "PUT", "/api/v1/users/"+deskID+"/locations", tok, map[string]any{"location_ids": []string{north, north}})
	me = e.MustDo(200, "GET", "/api/v1/me", desk, nil).Map(t)
	assert.Equal(t, []any{north}, me["location_ids"], "the limit holds from the next request, duplicates dropped")
	assert.Equal(t, false, me["all_locations"])
	var users struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/users", tok, nil).JSON(t, &users)
	for _, u := range users.Items {
		if u["id"] == deskID {
			assert.Equal(t, []any{north}, u["location_ids"])
		}
	}
	locs := string(e.MustDo(200, "GET", "/api/v1/locations", desk, nil).Body)
	assert.True(t, strings.Contains(locs, north) && !strings.Contains(locs, south), "a limited user sees their locations only")

	// Registered and opened at the only location by default.
	pat := e.MustDo(201, "POST", "/api/v1/patients", desk, map[string]any{"first_name": "Ann", "last_name": "North",
		"date_of_birth": "1970-01-01"}).Map(t)
	assert.Equal(t, north, pat["location_id"])
	cs := e.MustDo(201, "POST", "/api/v1/cases", desk, map[string]any{"patient_id": pat["id"], "kind": "private"}).Map(t)
	assert.Equal(t, north, cs["location_id"])
	e.MustDo(200, "GET", "/api/v1/cases/"+cs["id"].(string), desk, nil)
	r = e.Do("POST", "/api/v1/cases/"+cs["id"].(string)+"/check-ins", desk, map[string]any{"provider_id": p.provider, "location_id": south})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"location_id"}, problemFields(t, r))
	r = e.Do("POST", "/api/v1/patients", desk, map[string]any{"first_name": "Bo", "last_name": "South", "date_of_birth": "1970-01-01",
		"location_id": south})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	e.MustDo(201, "POST", "/api/v1/cases/"+cs["id"].(string)+"/check-ins", desk, map[string]any{"provider_id": p.provider, "location_id": north})

	// Supplies move at the user's own location only; a reorder task names its
	// location, so a biller limited to it sees the task.
	item := e.MustDo(201, "POST", "/api/v1/inventory/items", tok, map[string]any{"code": "A4550", "name": "Gauze", "unit": "pack",
		"cost": "2.50", "price": "6", "reorder_level": 3}).Map(t)["id"].(string)
	moves := "/api/v1/inventory/items/" + item + "/movements"
	r = e.Do("POST", moves, desk, map[string]any{"kind": "received", "location_id": south, "quantity": 8})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"location_id"}, problemFields(t, r))
	e.MustDo(201, "POST", moves, desk, map[string]any{"kind": "received", "location_id": north, "quantity": 8})
	e.MustDo(201, "POST", moves, tok, map[string]any{"kind": "adjusted", "location_id": north, "quantity": -6, "reason": "expired"})
	northBiller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	billerID := e.MustDo(200, "GET", "/api/v1/me", northBiller, nil).Map(t)["id"].(string)
	e.MustDo(200, "PUT", "/api/v1/users/"+billerID+"/locations", tok, map[string]any{"location_ids": []string{north}})
	var reorders struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/tasks?queue=inventory", northBiller, nil).JSON(t, &reorders)
	require.Len(t, reorders.Items, 1, "the reorder task of the user's location")
	assert.Equal(t, north, reorders.Items[0]["location_id"])

	// Another location's patient: no case for it, and not found.
	other := e.MustDo(201, "POST", "/api/v1/patients", tok, map[string]any{"first_name": "Bo", "last_name": "South",
		"date_of_birth": "1970-01-01", "location_id": south}).Map(t)["id"].(string)
	r = e.Do("POST", "/api/v1/cases", desk, map[string]any{"patient_id": other, "kind": "private"})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"patient_id"}, problemFields(t, r))
	e.MustDo(404, "GET", "/api/v1/patients/"+other, desk, nil)

	// Two locations: the location must be named.
	e.MustDo(200, "PUT", "/api/v1/users/"+deskID+"/locations", tok, map[string]any{"location_ids": []string{north, south}})
	r = e.Do("POST", "/api/v1/patients", desk, map[string]any{"first_name": "Cy", "last_name": "Both", "date_of_birth": "1970-01-01"})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"location_id"}, problemFields(t, r))
	e.MustDo(200, "GET", "/api/v1/patients/"+other, desk, nil)

	// No locations: every location again.
	u := e.MustDo(200, "PUT", "/api/v1/users/"+deskID+"/locations", tok, map[string]any{"location_ids": []string{}}).Map(t)
	assert.Equal(t, true, u["all_locations"])
	e.MustDo(201, "POST", "/api/v1/patients", desk, map[string]any{"first_name": "Cy", "last_name": "Both", "date_of_birth": "1970-01-01"})
}
