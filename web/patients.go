package web

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/records"
)

// patientPages: find a patient, register one, the patient page with cases and
// balances, and opening a case. Roles as the API's patient and case routes.
func (a *App) patientPages(r *Routes) {
	rs := r.Roles()
	r.GET("/patients", rs.Any, a.patientsPage)
	r.GET("/patients/new", rs.FrontDesk, a.newPatientPage)
	r.POST("/patients", rs.FrontDesk, a.registerPatient)
	r.GET("/patients/:id", rs.Any, a.patientPage)
	r.POST("/patients/:id/cases", rs.FrontDesk, a.openCase)
	r.Nav("Patients", "/patients", rs.Any)
}

// readPatients records that the user read these patients' records on this
// page (the patient access log, as the API records it); a read that cannot be
// recorded is not shown.
func (q *Req) readPatients(ids ...string) bool {
	if len(ids) == 0 {
		return true
	}
	if err := audit.RecordAccess(q.Ctx(), q.App.DB, q.Actor(), q.Request.Method+" "+q.FullPath(), ids...); err != nil {
		q.Fail(err)
		return false
	}
	return true
}

type patientsData struct {
	Query    string
	Searched bool
	Patients []records.Patient
	// CanRegister shows the register button to those who may.
	CanRegister bool
}

var (
	dateRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	phoneRe = regexp.MustCompile(`^[0-9 ()+.-]{3,}$`)
	// memberRe is a member ID as typed: letters, digits and dashes with at
	// least one digit (names have none).
	memberRe = regexp.MustCompile(`^[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*$`)
)

// patientsPage searches by what was typed: a date is a date of birth, digits
// are a phone number (and, without punctuation, also a member ID: some are
// digits only), letters with digits a member ID (exact), anything else a name
// (last or first name prefix).
func (a *App) patientsPage(q *Req) {
	term := strings.TrimSpace(q.Query("q"))
	d := patientsData{Query: term, CanRegister: q.Can(a.Roles.FrontDesk)}
	f := NewForm("search")
	f.Set("q", term)
	if term != "" {
		if len(term) > textMaxLen {
			f.Add("q", "must be at most %d characters", textMaxLen)
			q.RenderForm(http.StatusBadRequest, "patients.html", "Patients", f, d)
			return
		}
		filter := records.PatientFilter{Limit: 50}
		switch {
		case dateRe.MatchString(term):
			dob, err := time.Parse(time.DateOnly, term)
			if err != nil {
				f.Add("q", "is not a real date (YYYY-MM-DD)")
				q.RenderForm(http.StatusBadRequest, "patients.html", "Patients", f, d)
				return
			}
			filter.DateOfBirth = dob
		case phoneRe.MatchString(term):
			filter.Phone = term
		case memberRe.MatchString(term):
			filter.MemberID = term
		default:
			filter.Name = term
		}
		list, err := a.records.ListPatients(q.Ctx(), filter)
		if err != nil {
			q.Fail(err)
			return
		}
		if filter.Phone != "" && memberRe.MatchString(term) {
			members, err := a.records.ListPatients(q.Ctx(), records.PatientFilter{MemberID: term, Limit: 50})
			if err != nil {
				q.Fail(err)
				return
			}
			for _, p := range members {
				if !slices.ContainsFunc(list, func(o records.Patient) bool { return o.ID == p.ID }) {
					list = append(list, p)
				}
			}
		}
		ids := make([]string, len(list))
		for i, p := range list {
			ids[i] = p.ID
		}
		if !q.readPatients(ids...) {
			return
		}
		d.Patients, d.Searched = list, true
	}
	q.RenderForm(http.StatusOK, "patients.html", "Patients", f, d)
}

func (a *App) newPatientPage(q *Req) {
	q.RenderForm(http.StatusOK, "patient_new.html", "Register a patient", NewForm("patient"), nil)
}

// registerPatient registers a patient (records.CreatePatient, as POST
// /patients) and opens their page.
func (a *App) registerPatient(q *Req) {
	f := q.PostedForm("patient")
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "patient_new.html", "Register a patient", f, nil)
		return
	}
	p, err := a.records.CreatePatient(q.Ctx(), records.NewPatient{
		FirstName: f.Get("first_name"), LastName: f.Get("last_name"), DateOfBirth: f.Get("date_of_birth"),
		Sex: f.Get("sex"), Email: f.Get("email"), Phone: f.Get("phone"),
		Address: records.Address{Address1: f.Get("address1"), Address2: f.Get("address2"), City: f.Get("city"),
			State: f.Get("state"), Zip: f.Get("zip")},
	}, q.Actor())
	if err != nil {
		q.FormFailed("patient_new.html", "Register a patient", f, nil, err)
		return
	}
	q.Redirect(Prefix+"/patients/"+p.ID, "Patient registered. Open a case for the visit below.")
}

// caseRow is a case with its balances on the patient page.
type caseRow struct {
	cases.Case
	PatientBalance, Receivable decimal.Decimal
}

type patientData struct {
	Patient records.Patient
	DOB     string
	Cases   []caseRow
	// Totals over all cases.
	PatientBalance, Receivable decimal.Decimal
	CanOpenCase                bool
	Kinds                      []Option
}

// kindOptions are the case kinds as the front desk says them.
func kindOptions() []Option {
	labels := map[cases.Kind]string{cases.Private: "Private / self-pay", cases.Insurance: "Insurance",
		cases.MVA: "Motor-vehicle accident", cases.PersonalInjury: "Personal injury (slip and fall)", cases.WorkersComp: "Workers' comp"}
	out := []Option{{Value: "", Label: "Choose…"}}
	for _, k := range cases.Kinds {
		out = append(out, Option{Value: string(k), Label: labels[k]})
	}
	return out
}

func (a *App) loadPatient(q *Req, f *Form) (patientData, bool) {
	var d patientData
	if err := a.records.Get(q.Ctx(), &d.Patient, q.Param("id")); err != nil {
		q.Fail(err)
		return d, false
	}
	d.DOB = d.Patient.DateOfBirth.Format(time.DateOnly)
	list, err := a.cases.List(q.Ctx(), cases.Filter{PatientID: d.Patient.ID, Limit: 200})
	if err != nil {
		q.Fail(err)
		return d, false
	}
	for _, cs := range list {
		bal, err := ledger.CaseBalances(a.DB.WithContext(q.Ctx()), cs.ID)
		if err != nil {
			q.Fail(err)
			return d, false
		}
		row := caseRow{Case: cs, PatientBalance: bal.PatientBalance(), Receivable: bal.Net()}
		d.Cases = append(d.Cases, row)
		d.PatientBalance = d.PatientBalance.Add(row.PatientBalance)
		d.Receivable = d.Receivable.Add(row.Receivable)
	}
	d.CanOpenCase = q.Can(a.Roles.FrontDesk)
	d.Kinds = kindOptions()
	return d, q.readPatients(d.Patient.ID)
}

func (a *App) patientPage(q *Req) {
	d, ok := a.loadPatient(q, nil)
	if !ok {
		return
	}
	q.RenderForm(http.StatusOK, "patient.html", patientTitle(d.Patient), NewForm("case"), d)
}

func patientTitle(p records.Patient) string { return p.LastName + ", " + p.FirstName }

// openCase opens a case for the patient (cases.Create, as POST /cases) and
// goes to it.
func (a *App) openCase(q *Req) {
	f := q.PostedForm("case")
	var cs cases.Case
	var err error
	if f.Valid() {
		cs, err = a.cases.Create(q.Ctx(), cases.New{PatientID: q.Param("id"), Kind: cases.Kind(f.Get("kind")), Title: f.Get("title")}, q.Actor())
		if err == nil {
			q.Redirect(Prefix+"/cases/"+cs.ID, "Case opened.")
			return
		}
	}
	d, ok := a.loadPatient(q, f)
	if !ok {
		return
	}
	if err != nil {
		q.FormFailed("patient.html", patientTitle(d.Patient), f, d, err)
		return
	}
	q.RenderForm(http.StatusBadRequest, "patient.html", patientTitle(d.Patient), f, d)
}
