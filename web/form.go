package web

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/clinicflow/rcm/internal/validate"
)

// Text limits of form fields: the API's (api/input.go), checked by the same
// function (validate.Errors.Text).
const (
	textMaxLen = 200
	noteMaxLen = 2000
)

// Form is one HTML form's values and problems. Field names are the API's JSON
// field names, so a domain error naming "date_of_birth" lands on the
// date-of-birth input without any mapping.
type Form struct {
	// ID prefixes the form's element ids, so two forms on a page can share
	// field names.
	ID      string
	Values  url.Values
	Errors  validate.Errors
	Problem *Problem
	csrf    string
}

// NewForm is an empty form (a page shown for the first time).
func NewForm(id string) *Form { return &Form{ID: id, Values: url.Values{}} }

// PostedForm reads the posted form and checks the text of every field as the
// API checks request bodies: at most 200 characters (2000 for the names given
// in long), UTF-8, no control characters.
func (q *Req) PostedForm(id string, long ...string) *Form {
	_ = q.Request.ParseForm()
	f := &Form{ID: id, Values: url.Values{}}
	for name, vs := range q.Request.PostForm {
		if name == csrfField {
			continue
		}
		f.Values[name] = vs
		limit := textMaxLen
		for _, l := range long {
			if l == name {
				limit = noteMaxLen
			}
		}
		for _, v := range vs {
			f.Errors.Text(name, v, limit)
		}
	}
	if len(f.Errors) > 0 {
		f.SetProblem(&Problem{Status: 400, Title: "Please correct the fields below", Detail: "Nothing was saved."})
	}
	return f
}

// Get is a field's value, trimmed.
func (f *Form) Get(name string) string {
	if f == nil {
		return ""
	}
	return strings.TrimSpace(f.Values.Get(name))
}

// List is a field's non-blank values (repeated inputs, or one input of
// comma-separated values).
func (f *Form) List(name string) []string {
	var out []string
	for _, v := range f.Values[name] {
		for _, part := range strings.Split(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Set sets a field's value (a default shown in a new form).
func (f *Form) Set(name, value string) *Form {
	f.Values.Set(name, value)
	return f
}

// Valid says whether the form has no problems so far.
func (f *Form) Valid() bool { return len(f.Errors) == 0 && f.Problem == nil }

// Add records a problem with a field found by the page itself.
func (f *Form) Add(field, format string, args ...any) {
	f.Errors.Add(field, format, args...)
	if f.Problem == nil {
		f.Problem = &Problem{Status: 400, Title: "Please correct the fields below", Detail: "Nothing was saved."}
	}
}

// SetProblem records a problem (ProblemOf an error) and its field errors.
func (f *Form) SetProblem(p *Problem) {
	f.Problem = p
	f.Errors = append(f.Errors, p.Errors...)
	p.Errors = f.Errors
}

// Err is what is wrong with a field: its own errors and those of its parts
// (diagnoses[1] belongs to diagnoses).
func (f *Form) Err(name string) string {
	if f == nil {
		return ""
	}
	var msgs []string
	for _, e := range f.Errors {
		if e.Field == name || strings.HasPrefix(e.Field, name+"[") || strings.HasPrefix(e.Field, name+".") {
			msg := e.Message
			if e.Field != name {
				msg = e.Field + " " + msg
			}
			msgs = append(msgs, msg)
		}
	}
	return strings.Join(msgs, "; ")
}

// ElementID is the id of a field's input on the page.
func (f *Form) ElementID(name string) string {
	// A part's error (diagnoses[1], items[0].price) points at its field.
	if i := strings.IndexAny(name, "[."); i > 0 {
		name = name[:i]
	}
	if f == nil || f.ID == "" {
		return "f-" + name
	}
	return f.ID + "-" + name
}

// Option is one choice of a select field.
type Option struct {
	Value, Label string
}

// fieldView is what the "field" template draws: a label, an optional hint,
// the error, and the input, tied together for screen readers.
type fieldView struct {
	Name, Label, Type, ID, Value, Err, Hint string
	Required                                bool
	Autocomplete, List, InputMode, Pattern  string
	Placeholder                             string
	Options                                 []Option
}

// newField is the template function "field": field FORM NAME LABEL TYPE
// [options...], where an option is "required", "hint=...", "autocomplete=...",
// "list=ID" (a datalist), "inputmode=...", "pattern=...", "placeholder=...",
// "value=..." (when the form has none) or a []Option (for type "select").
func newField(f *Form, name, label, typ string, opts ...any) fieldView {
	v := fieldView{Name: name, Label: label, Type: typ, ID: f.ElementID(name), Value: f.Get(name), Err: f.Err(name)}
	if f != nil && len(f.Values[name]) > 1 {
		v.Value = strings.Join(f.Values[name], ", ")
	}
	for _, o := range opts {
		switch x := o.(type) {
		case []Option:
			v.Options = x
		case string:
			k, val, _ := strings.Cut(x, "=")
			switch k {
			case "required":
				v.Required = true
			case "hint":
				v.Hint = val
			case "autocomplete":
				v.Autocomplete = val
			case "list":
				v.List = val
			case "inputmode":
				v.InputMode = val
			case "pattern":
				v.Pattern = val
			case "placeholder":
				v.Placeholder = val
			case "value":
				if v.Value == "" && (f == nil || f.Values[name] == nil) {
					v.Value = val
				}
			default:
				panic(fmt.Sprintf("field %s: unknown option %q", name, x))
			}
		}
	}
	return v
}
