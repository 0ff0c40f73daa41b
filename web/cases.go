package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/workflows/contract"
)

// casePages: the case page (timeline, visits and charges, money and whether
// the ledger agrees with the workflow, coverages, claims, hold, dunning,
// statements) and its forms: check in, add a coverage, capture a charge, void
// one, complete charge capture. Roles as the API's case routes.
func (a *App) casePages(r *Routes) {
	rs := r.Roles()
	r.GET("/cases/:id", rs.Any, a.casePage)
	r.POST("/cases/:id/check-ins", rs.FrontDesk, a.checkIn)
	r.POST("/cases/:id/coverages", rs.FrontDesk, a.addCoverage)
	r.POST("/cases/:id/payments", rs.FrontDesk, a.recordPayment)
	r.POST("/cases/:id/encounters/:encounter_id/charges", rs.Clinical, a.addCharge)
	r.POST("/cases/:id/encounters/:encounter_id/complete-charges", rs.Clinical, a.completeCharges)
	r.POST("/cases/:id/charges/:charge_id/void", rs.Clinical, a.voidCharge)
}

// visit is an encounter as the case page shows it.
type visit struct {
	contract.Encounter
	Provider, Location string
	Total              decimal.Decimal
	Open               bool
	// Form is the visit's charge form.
	Form *Form
	// Claims billed for the visit.
	Claims []claims.Claim
}

// event is one line of the case's timeline.
type event struct {
	At     time.Time
	What   string
	Detail string
	Amount *decimal.Decimal
	Link   string
}

type caseData struct {
	CaseDetail
	Patient    records.Patient
	Visits     []visit
	Coverages  []coverageRow
	Claims     []claims.Claim
	Timeline   []event
	Statements []statements.Summary
	Dunning    *contract.DunningView
	FeeItems   []billing.FeeScheduleItem
	FeeName    string
	// Forms: check-in, coverage, payment; each visit has its own charge form.
	CheckIn, Coverage, Payment *Form
	Providers                  []Option
	Locations                  []Option
	Payers                     []Option
	// What the signed-in user may do here.
	CanCheckIn, CanCover, CanCharge, CanOverride, CanSeeClaims, CanSeeBilling, CanTakePayment bool
	Today                                                                                     string
}

type coverageRow struct {
	records.Coverage
	Payer string
}

// newKey is a fresh idempotency key for a form: posting the same form twice
// (a double click, a reload) is one visit or one charge.
func newKey() string { return uuid.NewString() }

func (a *App) casePage(q *Req) {
	a.showCase(q, http.StatusOK, nil, nil)
}

// showCase renders the case page; failed is the form that failed (its values
// and errors are kept, and its problem is shown) and err why.
func (a *App) showCase(q *Req, status int, failed *Form, err error) {
	ctx := q.Ctx()
	detail, derr := a.Ops.CaseDetail(ctx, q.Param("id"))
	if derr != nil {
		q.Fail(derr)
		return
	}
	d := caseData{CaseDetail: detail, Today: time.Now().Format(time.DateOnly),
		CanCheckIn: q.Can(a.Roles.FrontDesk) && detail.Case.Status == "open", CanCover: q.Can(a.Roles.FrontDesk) && detail.Case.Kind.TakesCoverages(),
		CanCharge: q.Can(a.Roles.Clinical), CanOverride: q.Can(a.Roles.Billers), CanSeeClaims: q.Can(a.Roles.Billers),
		CanSeeBilling: q.Can(a.Roles.Billers), CanTakePayment: q.Can(a.Roles.FrontDesk)}
	if err := a.records.Get(ctx, &d.Patient, detail.Case.PatientID); err != nil {
		q.Fail(err)
		return
	}
	d.CheckIn = NewForm("checkin").Set("service_date", d.Today).Set("key", newKey())
	d.Coverage = NewForm("coverage").Set("priority", "primary").Set("relationship", "self").Set("effective_from", d.Today)
	d.Payment = NewForm("payment").Set("method", "card").Set("key", newKey())
	if failed != nil {
		switch failed.ID {
		case "checkin":
			d.CheckIn = failed
		case "coverage":
			d.Coverage = failed
		case "payment":
			d.Payment = failed
		}
	}
	if err := a.loadReference(q, &d); err != nil {
		q.Fail(err)
		return
	}
	var cls []claims.Claim
	var lerr error
	if cls, lerr = a.claims.List(ctx, claims.Filter{CaseID: detail.Case.ID, Limit: 200}); lerr != nil {
		q.Fail(lerr)
		return
	}
	d.Claims = cls
	for _, e := range detail.View.Encounters {
		v := visit{Encounter: e, Provider: optionLabel(d.Providers, e.ProviderID), Location: optionLabel(d.Locations, e.LocationID),
			Open: e.ChargesCompletedAt == nil}
		for _, ch := range e.Charges {
			if !ch.Voided {
				v.Total = v.Total.Add(ch.Amount)
			}
		}
		v.Form = NewForm("charge-"+shortID(e.ID)).Set("units", "1").Set("key", newKey())
		if failed != nil && failed.ID == v.Form.ID {
			v.Form = failed
		}
		for _, cl := range cls {
			if cl.EncounterID == e.ID {
				v.Claims = append(v.Claims, cl)
			}
		}
		d.Visits = append(d.Visits, v)
	}
	// Newest visit first: that is the one people work on.
	sort.SliceStable(d.Visits, func(i, j int) bool { return d.Visits[i].CheckedInAt.After(d.Visits[j].CheckedInAt) })
	if d.Timeline, lerr = a.caseTimeline(q, d); lerr != nil {
		q.Fail(lerr)
		return
	}
	if d.CanSeeBilling {
		if d.Statements, lerr = (&statements.Service{DB: a.DB}).List(ctx, d.Patient.ID); lerr != nil {
			q.Fail(lerr)
			return
		}
		if d.Dunning, lerr = a.dunningState(q, d.Patient.ID); lerr != nil {
			a.Logger.Warn("dunning state unavailable", "request_id", q.GetString("request_id"), "error", lerr)
		}
	}
	if !q.readPatients(d.Patient.ID) {
		return
	}
	title := "Case: " + caseTitle(detail)
	if failed != nil && err != nil {
		q.FormFailed("case.html", title, failed, d, err)
		return
	}
	q.RenderForm(status, "case.html", title, failed, d)
}

func caseTitle(d CaseDetail) string {
	if d.Case.Title != "" {
		return d.Case.Title
	}
	return strings.ReplaceAll(string(d.Case.Kind), "_", " ")
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// loadReference reads what the forms offer: providers, locations, payers,
// coverages and the case's fee schedule (the code look-up).
func (a *App) loadReference(q *Req, d *caseData) error {
	ctx := q.Ctx()
	provs, err := a.records.ListProviders(ctx, 500)
	if err != nil {
		return err
	}
	d.Providers = []Option{{Value: "", Label: "Choose…"}}
	for _, p := range provs {
		d.Providers = append(d.Providers, Option{Value: p.ID, Label: strings.TrimSpace(p.FirstName + " " + p.LastName + " " + p.Credential)})
	}
	locs, err := a.records.ListLocations(ctx, 500)
	if err != nil {
		return err
	}
	d.Locations = []Option{{Value: "", Label: "Choose…"}}
	for _, l := range locs {
		d.Locations = append(d.Locations, Option{Value: l.ID, Label: l.Name})
	}
	payers, err := a.records.ListPayers(ctx, 500)
	if err != nil {
		return err
	}
	d.Payers = []Option{{Value: "", Label: "Choose…"}}
	names := map[string]string{}
	for _, p := range payers {
		d.Payers = append(d.Payers, Option{Value: p.ID, Label: p.Name})
		names[p.ID] = p.Name
	}
	covs, err := a.records.ListCoverages(ctx, d.Case.ID)
	if err != nil {
		return err
	}
	for _, c := range covs {
		d.Coverages = append(d.Coverages, coverageRow{Coverage: c, Payer: names[c.PayerID]})
	}
	// The fee schedule the case's prices come from: its own, or the default
	// (as billing.LookupPrice chooses).
	id := ""
	if d.Case.FeeScheduleID != nil {
		id = *d.Case.FeeScheduleID
	} else {
		list, err := a.records.ListFeeSchedules(ctx, 500)
		if err != nil {
			return err
		}
		for _, fs := range list {
			if fs.IsDefault {
				id = fs.ID
			}
		}
	}
	if id != "" {
		fs, err := a.records.GetFeeSchedule(ctx, id)
		if err != nil {
			return err
		}
		d.FeeItems, d.FeeName = fs.Items, fs.Name
		sort.Slice(d.FeeItems, func(i, j int) bool { return d.FeeItems[i].ProcedureCode < d.FeeItems[j].ProcedureCode })
	}
	return nil
}

func optionLabel(opts []Option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

// journalLabels say what a ledger journal was, as a billing team says it.
var journalLabels = map[string]string{
	"charge": "Charge posted", "charge_void": "Charge voided", "payment": "Patient payment",
	"adjustment": "Adjustment", "insurance_payment": "Payer payment posted (835)",
	"collections_placement": "Sent to collections", "collections_recall": "Recalled from collections",
	"package_use": "Package session used", "promotion": "Promotion applied",
}

// caseTimeline is everything that happened on the case, oldest first: the
// case opened, visits, charge capture, every ledger journal (charges,
// payments, adjustments, payer postings, holds), and every claim's stage
// changes with their causes.
func (a *App) caseTimeline(q *Req, d caseData) ([]event, error) {
	var out []event
	out = append(out, event{At: d.Case.OpenedAt, What: "Case opened", Detail: strings.ReplaceAll(string(d.Case.Kind), "_", " ")})
	for _, v := range d.Visits {
		out = append(out, event{At: v.CheckedInAt, What: "Checked in", Detail: "visit on " + formatTime(v.ServiceDate, "") + " with " + v.Provider + " at " + v.Location})
		if v.ChargesCompletedAt != nil {
			out = append(out, event{At: *v.ChargesCompletedAt, What: "Charge capture completed",
				Detail: fmt.Sprintf("visit on %s: %d charge(s)", formatTime(v.ServiceDate, ""), len(v.Charges)), Amount: &v.Total})
		}
	}
	journals, err := ledger.CaseJournals(a.DB.WithContext(q.Ctx()), d.Case.ID)
	if err != nil {
		return nil, err
	}
	for _, j := range journals {
		amt := decimal.Zero
		for _, l := range j.Lines {
			if l.Amount.IsPositive() {
				amt = amt.Add(l.Amount)
			}
		}
		what := journalLabels[j.Kind]
		if what == "" {
			what = strings.ReplaceAll(j.Kind, "_", " ")
			what = strings.ToUpper(what[:1]) + what[1:]
		}
		out = append(out, event{At: j.PostedAt, What: what, Detail: j.Memo, Amount: &amt})
	}
	for _, cl := range d.Claims {
		evs, err := a.claims.Timeline(q.Ctx(), cl.ID)
		if err != nil {
			return nil, err
		}
		link := ""
		if d.CanSeeClaims {
			link = Prefix + "/claims/" + cl.ID
		}
		for _, e := range evs {
			what := "Claim " + cl.PatientControlNumber + ": " + label(e.ToStage)
			if e.FromStage == "" {
				what = "Claim " + cl.PatientControlNumber + " created"
			}
			out = append(out, event{At: e.At, What: what, Detail: label(e.Cause), Link: link})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

func label(s string) string { return strings.ReplaceAll(s, "_", " ") }

// dunningState is the patient's dunning workflow's live state (nil when the
// patient has none).
func (a *App) dunningState(q *Req, patientID string) (*contract.DunningView, error) {
	if a.Temporal == nil {
		return nil, nil
	}
	v, err := a.Temporal.QueryWorkflow(q.Ctx(), contract.DunningWorkflowID(patientID), "", contract.QueryDunningState)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var view contract.DunningView
	if err := v.Get(&view); err != nil {
		return nil, err
	}
	return &view, nil
}

// formKey is the form's idempotency key (a hidden field), or a fresh one.
func formKey(f *Form) string {
	if k := f.Get("key"); k != "" && len(k) <= 64 {
		return "web-" + k
	}
	return "web-" + newKey()
}

// checkIn records a visit through the same operation as POST
// /cases/{id}/check-ins.
func (a *App) checkIn(q *Req) {
	f := q.PostedForm("checkin")
	if !f.Valid() {
		a.showCase(q, http.StatusBadRequest, f, nil)
		return
	}
	_, err := a.Ops.CheckIn(q.Ctx(), q.Param("id"), f.Get("provider_id"), f.Get("location_id"), f.Get("service_date"), formKey(f), q.Actor())
	if err != nil {
		a.showCase(q, 0, f, err)
		return
	}
	q.Redirect(Prefix+"/cases/"+q.Param("id"), "Checked in. The visit is waiting for its charges.")
}

// addCoverage adds a coverage through the same operation as POST
// /cases/{id}/coverages.
func (a *App) addCoverage(q *Req) {
	f := q.PostedForm("coverage")
	if !f.Valid() {
		a.showCase(q, http.StatusBadRequest, f, nil)
		return
	}
	in := records.NewCoverage{PayerID: f.Get("payer_id"), Priority: f.Get("priority"), MemberID: f.Get("member_id"),
		GroupNumber: f.Get("group_number"), Relationship: f.Get("relationship"),
		SubscriberFirstName: f.Get("subscriber_first_name"), SubscriberLastName: f.Get("subscriber_last_name"),
		SubscriberDateOfBirth: f.Get("subscriber_date_of_birth"), SubscriberSex: f.Get("subscriber_sex"),
		SubscriberAddress1: f.Get("subscriber_address1"), SubscriberCity: f.Get("subscriber_city"),
		SubscriberState: f.Get("subscriber_state"), SubscriberZip: f.Get("subscriber_zip"),
		EffectiveFrom: f.Get("effective_from"), EffectiveTo: f.Get("effective_to")}
	if _, err := a.Ops.AddCoverage(q.Ctx(), q.Param("id"), in, q.Actor()); err != nil {
		a.showCase(q, 0, f, err)
		return
	}
	q.Redirect(Prefix+"/cases/"+q.Param("id"), "Coverage added.")
}

// addCharge captures a charge through the same operation as POST
// /cases/{id}/encounters/{encounter_id}/charges.
func (a *App) addCharge(q *Req) {
	encID := q.Param("encounter_id")
	f := q.PostedForm("charge-" + shortID(encID))
	in := billing.ChargeInput{CaseID: q.Param("id"), EncounterID: encID, ProcedureCode: codeOf(f.Get("procedure_code")),
		Modifiers: f.List("modifiers"), Diagnoses: f.List("diagnoses"), Actor: q.Actor()}
	if u := f.Get("units"); u != "" {
		n, err := strconv.Atoi(u)
		if err != nil {
			f.Add("units", "must be a whole number")
		}
		in.Units = n
	}
	for i, p := range f.List("diagnosis_pointers") {
		n, err := strconv.Atoi(p)
		if err != nil {
			f.Add(fmt.Sprintf("diagnosis_pointers[%d]", i), "must be a whole number (1 for the first diagnosis)")
			continue
		}
		in.DiagnosisPointers = append(in.DiagnosisPointers, n)
	}
	if p := f.Get("price_override"); p != "" {
		d, err := decimal.NewFromString(strings.TrimPrefix(p, "$"))
		if err != nil {
			f.Add("price_override", "must be an amount like 125.00")
		}
		in.PriceOverride = &d
	}
	if !f.Valid() {
		a.showCase(q, http.StatusBadRequest, f, nil)
		return
	}
	ch, err := a.Ops.AddCharge(q.Ctx(), in, q.User().Role, formKey(f))
	if err != nil {
		a.showCase(q, 0, f, err)
		return
	}
	q.Redirect(Prefix+"/cases/"+q.Param("id")+"#visit-"+shortID(encID), "Charge "+ch.ProcedureCode+" added: "+money(ch.Amount)+".")
}

// codeOf takes the code from a look-up choice ("99213 — Office visit").
func codeOf(s string) string {
	code, _, _ := strings.Cut(s, " ")
	return code
}

// completeCharges completes a visit's charge capture through the same
// operation as POST .../complete-charges.
func (a *App) completeCharges(q *Req) {
	encID := q.Param("encounter_id")
	f := q.PostedForm("complete-"+shortID(encID), "no_charge_reason")
	if !f.Valid() {
		a.showCase(q, http.StatusBadRequest, f, nil)
		return
	}
	if _, err := a.Ops.CompleteCharges(q.Ctx(), q.Param("id"), encID, f.Get("no_charge_reason"), q.Actor()); err != nil {
		a.showCase(q, 0, f, err)
		return
	}
	q.Redirect(Prefix+"/cases/"+q.Param("id"), "Charge capture completed.")
}

// voidCharge voids a charge through the same operation as POST
// /cases/{id}/charges/{charge_id}/void.
func (a *App) voidCharge(q *Req) {
	f := q.PostedForm("void-"+shortID(q.Param("charge_id")), "reason")
	if !f.Valid() {
		a.showCase(q, http.StatusBadRequest, f, nil)
		return
	}
	if _, err := a.Ops.VoidCharge(q.Ctx(), q.Param("id"), q.Param("charge_id"), f.Get("reason"), q.Actor()); err != nil {
		a.showCase(q, 0, f, err)
		return
	}
	q.Redirect(Prefix+"/cases/"+q.Param("id"), "Charge voided.")
}

// recordPayment takes a patient payment through the same operation as POST
// /cases/{id}/payments; the form's key makes a double submit one payment.
func (a *App) recordPayment(q *Req) {
	f := q.PostedForm("payment")
	amount, err := decimal.NewFromString(strings.NewReplacer("$", "", ",", "").Replace(f.Get("amount")))
	if f.Get("amount") == "" {
		f.Add("amount", "is required")
	} else if err != nil {
		f.Add("amount", "must be an amount like 25.00")
	}
	if !f.Valid() {
		a.showCase(q, http.StatusBadRequest, f, nil)
		return
	}
	res, err := a.Ops.RecordPayment(q.Ctx(), q.Param("id"), amount, f.Get("method"), f.Get("reference"), nil, formKey(f), q.Actor())
	if err != nil {
		a.showCase(q, 0, f, err)
		return
	}
	msg := "Payment of " + money(res.Amount) + " recorded."
	if res.Replayed {
		msg = "That payment was already recorded; nothing was added."
	}
	q.Redirect(Prefix+"/cases/"+q.Param("id"), msg)
}

// methodOptions are the payment methods (billing.PaymentMethods) as said.
func methodOptions() []Option {
	labels := map[string]string{"cash": "Cash", "check": "Check", "card": "Card", "ach": "Bank transfer (ACH)", "other": "Other"}
	var out []Option
	for _, m := range billing.PaymentMethods {
		l := labels[m]
		if l == "" {
			l = m
		}
		out = append(out, Option{Value: m, Label: l})
	}
	return out
}
