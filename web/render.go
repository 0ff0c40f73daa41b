package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Templates: templates/layout.html defines "layout" (the page around the
// content: landmarks, nav by role, flash and problem) and the shared partials
// ("csrf", "field", "problem"); every other templates/*.html file is one page
// and defines "content" (and may define "head" for extra <head> lines). A page
// is rendered by its file name: q.Render(200, "patients.html", "Patients", data).
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" {
			continue
		}
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, f))
	}
	return pages
}

var funcs = template.FuncMap{
	"money":         money,
	"date":          func(t any) string { return formatTime(t, "Jan 2, 2006") },
	"datetime":      func(t any) string { return formatTime(t, "Jan 2, 2006 15:04 MST") },
	"label":         func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"fieldName":     fieldName,
	"role":          roleLabel,
	"field":         newField,
	"join":          strings.Join,
	"hasPrefix":     strings.HasPrefix,
	"contains":      slices.Contains[[]string],
	"clpStatus":     clpStatus,
	"methodOptions": methodOptions,
	"priorityOptions": func() []Option {
		return []Option{{"primary", "Primary"}, {"secondary", "Secondary"}, {"tertiary", "Tertiary"}}
	},
	"relationshipOptions": func() []Option {
		return []Option{{"self", "Self (the patient is the subscriber)"}, {"spouse", "Spouse"}, {"child", "Child"}, {"other", "Other"}}
	},
	"sexOptions": func() []Option {
		return []Option{{"", "Not given"}, {"F", "Female"}, {"M", "Male"}, {"U", "Unknown"}}
	},
}

// money formats an amount as dollars with cents and thousands separators.
func money(v any) string {
	var d decimal.Decimal
	switch x := v.(type) {
	case decimal.Decimal:
		d = x
	case *decimal.Decimal:
		if x == nil {
			return ""
		}
		d = *x
	case string:
		var err error
		if d, err = decimal.NewFromString(x); err != nil {
			return x
		}
	default:
		return fmt.Sprint(v)
	}
	neg := d.IsNegative()
	s := d.Abs().StringFixed(2)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := "$" + b.String() + "." + cents
	if neg {
		out = "−" + out
	}
	return out
}

func formatTime(v any, layout string) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return ""
		}
		return t.Format(layout)
	case *time.Time:
		if t == nil {
			return ""
		}
		return t.Format(layout)
	case string:
		if d, err := time.Parse(time.DateOnly, t); err == nil {
			return d.Format("Jan 2, 2006")
		}
		return t
	}
	return fmt.Sprint(v)
}

// page is what templates see: the layout's data and the page's own (.Page).
type page struct {
	Title   string
	User    auth.User
	Nav     []navItem
	Current string
	CSRF    string
	Flash   string
	Problem *Problem
	// Form is the page's form (values and field errors), if it has one.
	Form *Form
	Page any
	// Req lets a page ask q.Can(...) to show only what the user may do.
	Req *Req
}

// Render writes a page inside the layout. data is the page's own (.Page in
// the template); a *Form among the page's fields is not found automatically:
// pass it with RenderForm.
func (q *Req) Render(status int, name, title string, data any) {
	q.RenderForm(status, name, title, nil, data)
}

// RenderForm is Render for a page with a form: the form's values and errors
// are .Form, and its problem (if any) is shown above the content.
func (q *Req) RenderForm(status int, name, title string, f *Form, data any) {
	t, ok := q.App.pages[name]
	if !ok {
		q.Fail(fmt.Errorf("no template %s", name))
		return
	}
	p := page{Title: title, User: q.User(), Current: q.Request.URL.Path, Flash: q.takeFlash(), Form: f, Page: data, Req: q}
	if q.Session != nil {
		p.CSRF = q.Session.CSRF
		for _, n := range q.App.nav {
			if q.Can(n.roles) {
				p.Nav = append(p.Nav, n)
			}
		}
	}
	if f != nil {
		p.Problem = f.Problem
		if p.CSRF == "" {
			p.CSRF = f.csrf
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		q.App.Logger.Error("render page", "template", name, "request_id", q.GetString("request_id"), "error", err)
		q.errorPage(http.StatusInternalServerError, "Something went wrong",
			"The page could not be shown; quote request id "+q.GetString("request_id")+" when reporting it.")
		return
	}
	q.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// Redirect answers a successful form post: to another page (POST, redirect,
// GET), with a short confirmation shown there. The flash must not hold patient
// details (it travels in a cookie).
func (q *Req) Redirect(to, flash string) {
	if flash != "" {
		setCookie(q.Context, flashCookie, url.QueryEscape(flash), 60)
	}
	q.Context.Redirect(http.StatusSeeOther, to)
}

func (q *Req) takeFlash() string {
	v, err := q.Cookie(flashCookie)
	if err != nil || v == "" {
		return ""
	}
	setCookie(q.Context, flashCookie, "", -1)
	s, _ := url.QueryUnescape(v)
	return s
}

// Ctx is the request's context.
func (q *Req) Ctx() context.Context { return q.Request.Context() }

// Problem is an error as a page shows it: the API's problem details (title,
// detail, the fields at fault), minus the JSON.
type Problem struct {
	Status int
	Title  string
	Detail string
	Errors []validate.FieldError
}

// ProblemOf maps an error to its status and problem exactly as the API's fail
// does (api/errors.go): by its apperr code, a workflow's answer included.
func ProblemOf(err error) *Problem {
	err = db.Coded(contract.Coded(err))
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		return &Problem{Status: http.StatusBadRequest, Title: "Please correct the fields below",
			Detail: "Nothing was saved.", Errors: apperr.Fields(err)}
	case apperr.NotFound:
		return &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: err.Error()}
	case apperr.Conflict:
		return &Problem{Status: http.StatusConflict, Title: "Not possible now", Detail: err.Error() + " Nothing was saved.", Errors: apperr.Fields(err)}
	case apperr.Unauthorized:
		return &Problem{Status: http.StatusUnauthorized, Title: "Not signed in", Detail: err.Error()}
	case apperr.Forbidden:
		return &Problem{Status: http.StatusForbidden, Title: "Not allowed", Detail: err.Error()}
	case apperr.Unavailable:
		return &Problem{Status: http.StatusServiceUnavailable, Title: "Service unavailable",
			Detail: "A service this needs (the database or the workflow service) is not reachable just now; try again shortly."}
	}
	return nil
}

// Fail shows an error on its own page: not found, forbidden, unavailable, or
// (for anything unexpected, which is logged) an internal error. A form page
// shows its own errors with FormFailed instead.
func (q *Req) Fail(err error) {
	if p := ProblemOf(err); p != nil {
		if p.Status == http.StatusServiceUnavailable {
			q.Header("Retry-After", "2")
		}
		detail := p.Detail
		for _, fe := range p.Errors {
			detail += " " + fe.Field + ": " + fe.Message + "."
		}
		q.errorPage(p.Status, p.Title, detail)
		return
	}
	q.App.Logger.Error("page failed", "request_id", q.GetString("request_id"), "route", q.FullPath(), "error", err)
	q.errorPage(http.StatusInternalServerError, "Something went wrong",
		"The request could not be completed and nothing was saved; quote request id "+q.GetString("request_id")+" when reporting it.")
}

// Forbidden shows the 403 page.
func (q *Req) Forbidden(detail string) {
	q.errorPage(http.StatusForbidden, "Not allowed", detail)
}

// NotFound shows the 404 page.
func (q *Req) NotFound(what string) {
	q.errorPage(http.StatusNotFound, "Not found", what+" was not found.")
}

func (q *Req) errorPage(status int, title, detail string) {
	q.Abort()
	q.Render(status, "error.html", title, &Problem{Status: status, Title: title, Detail: detail})
}

// FormFailed shows a form again after err: with its field errors (400), or
// the conflict (409), when err is one a person can fix; any other error is a
// page of its own (Fail). Nothing was saved either way.
func (q *Req) FormFailed(name, title string, f *Form, data any, err error) {
	p := ProblemOf(err)
	if p == nil || (p.Status != http.StatusBadRequest && p.Status != http.StatusConflict) {
		q.Fail(err)
		return
	}
	f.SetProblem(p)
	q.RenderForm(p.Status, name, title, f, data)
}

// clpStatus says what an 835's claim status code (CLP02) means.
func clpStatus(code string) string {
	m := map[string]string{"1": "processed as primary", "2": "processed as secondary", "3": "processed as tertiary",
		"4": "denied", "19": "primary, forwarded", "20": "secondary, forwarded", "21": "tertiary, forwarded",
		"22": "reversal", "23": "not our claim, forwarded", "25": "predetermination"}
	if l, ok := m[code]; ok {
		return code + " " + l
	}
	return code
}

// fieldNames are the API's field names as the forms label them, for the
// problem summary above a form.
var fieldNames = map[string]string{
	"address1": "Address", "address2": "Address line 2", "zip": "ZIP code", "dob": "Date of birth",
	"procedure_code": "Procedure code", "payer_id": "Payer", "member_id": "Member ID", "provider_id": "Provider",
	"location_id": "Location", "service_date": "Date of service", "q": "Search",
}

// fieldName is how a form labels an API field ("date_of_birth" is "Date of
// birth"; "diagnoses[1]" is "Diagnoses (2nd)").
func fieldName(field string) string {
	base, idx, indexed := strings.Cut(field, "[")
	name, ok := fieldNames[base]
	if !ok {
		name = strings.ReplaceAll(base, "_", " ")
		if name != "" {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
	}
	if indexed {
		if n, err := strconv.Atoi(strings.TrimSuffix(idx, "]")); err == nil {
			name += fmt.Sprintf(" (number %d)", n+1)
		}
	}
	return name
}
