package web

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
)

// adminPages set the practice up: users and their roles (admins), and the
// reference data and branding (managers and admins, as the API's POST
// /locations, /providers, /payers, /fee-schedules and PUT /practice/branding).
// Every form calls the domain function the API route calls.
func (a *App) adminPages(r *Routes) {
	roles := r.Roles()
	r.GET("/admin", roles.Managers, a.adminIndex)
	r.GET("/admin/users", roles.Admin, a.usersPage)
	r.POST("/admin/users", roles.Admin, a.createUser)
	r.POST("/admin/users/:id/disable", roles.Admin, a.setUserDisabled(true))
	r.POST("/admin/users/:id/enable", roles.Admin, a.setUserDisabled(false))
	r.POST("/admin/users/:id/password", roles.Admin, a.setUserPassword)
	r.POST("/admin/users/:id/role", roles.Admin, a.setUserRole)
	r.POST("/admin/users/:id/locations", roles.Admin, a.setUserLocations)
	r.GET("/admin/locations", roles.Managers, a.locationsPage)
	r.POST("/admin/locations", roles.Managers, a.createLocation)
	r.GET("/admin/providers", roles.Managers, a.providersPage)
	r.POST("/admin/providers", roles.Managers, a.createProvider)
	r.GET("/admin/payers", roles.Managers, a.payersPage)
	r.POST("/admin/payers", roles.Managers, a.createPayer)
	r.GET("/admin/fee-schedules", roles.Managers, a.feeSchedulesPage)
	r.POST("/admin/fee-schedules", roles.Managers, a.createFeeSchedule)
	r.GET("/admin/fee-schedules/:id", roles.Managers, a.feeSchedulePage)
	r.GET("/admin/branding", roles.Managers, a.brandingPage)
	r.POST("/admin/branding", roles.Managers, a.setBranding)
	r.Nav("Admin", "/admin", roles.Managers)
}

// adminLimit is how many rows an admin list shows (the API's largest page).
const adminLimit = db.MaxPage

func (a *App) adminIndex(q *Req) {
	if !q.onlyParams() {
		return
	}
	q.Render(http.StatusOK, "admin_index.html", "Admin", struct{ IsAdmin bool }{q.Can(a.Roles.Admin)})
}

// usersView is the users page; OneTime is a password just generated for
// OneTimeFor, shown once and never stored in clear.
type usersView struct {
	Users      []auth.User
	Roles      []Option
	Locations  []Option
	OneTime    string
	OneTimeFor string
}

func (a *App) usersView(q *Req) (usersView, error) {
	us, err := a.auth.ListUsers(q.Ctx(), adminLimit)
	v := usersView{Users: us}
	for _, r := range auth.Roles {
		v.Roles = append(v.Roles, Option{Value: r, Label: roleLabel(r)})
	}
	if err != nil {
		return v, err
	}
	locs, err := a.records.ListLocations(q.Ctx(), adminLimit)
	for _, l := range locs {
		v.Locations = append(v.Locations, Option{Value: l.ID, Label: l.Name})
	}
	return v, err
}

func (a *App) usersPage(q *Req) {
	if !q.onlyParams() {
		return
	}
	v, err := a.usersView(q)
	if err != nil {
		q.Fail(err)
		return
	}
	q.RenderForm(http.StatusOK, "admin_users.html", "Users", NewForm("user").Set("role", auth.RoleBiller), v)
}

// createUser adds a user (auth.CreateUser, as POST /users) and gives them a
// one-time password to sign in with, which they must change at once.
func (a *App) createUser(q *Req) {
	f := q.PostedForm("user")
	v, err := a.usersView(q)
	if err != nil {
		q.Fail(err)
		return
	}
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "admin_users.html", "Users", f, v)
		return
	}
	u, err := a.auth.CreateUser(q.Ctx(), auth.NewUser{Email: f.Get("email"), Name: f.Get("name"), Role: f.Get("role")}, q.Actor())
	if err != nil {
		q.FormFailed("admin_users.html", "Users", f, v, err)
		return
	}
	pw, err := a.auth.ResetPassword(q.Ctx(), u.ID, q.Actor())
	if err != nil {
		q.Fail(err)
		return
	}
	if v, err = a.usersView(q); err != nil {
		q.Fail(err)
		return
	}
	v.OneTime, v.OneTimeFor = pw, u.Email
	q.RenderForm(http.StatusCreated, "admin_users.html", "Users", NewForm("user").Set("role", auth.RoleBiller), v)
}

// setUserDisabled disables or enables a user (auth.SetDisabled, as POST
// /users/{id}/disable and /enable): effective at once, sessions and tokens too.
func (a *App) setUserDisabled(disabled bool) Handler {
	return func(q *Req) {
		f := q.PostedForm("status")
		if !f.Valid() {
			q.Fail(f.Errors)
			return
		}
		if disabled && q.Param("id") == q.User().ID {
			q.Redirect(Prefix+"/admin/users", "You cannot disable yourself.")
			return
		}
		u, err := a.auth.SetDisabled(q.Ctx(), q.Param("id"), disabled, q.Actor())
		if err != nil {
			q.Fail(err)
			return
		}
		word := "enabled"
		if disabled {
			word = "disabled"
		}
		q.Redirect(Prefix+"/admin/users", u.Email+" is "+word+".")
	}
}

// setUserRole gives a user another role (auth.SetRole, as PUT
// /users/{id}/role): effective from their next page or API call.
func (a *App) setUserRole(q *Req) {
	f := q.PostedForm("role")
	if !f.Valid() {
		q.Fail(f.Errors)
		return
	}
	u, err := a.auth.SetRole(q.Ctx(), q.Param("id"), f.Get("role"), q.Actor())
	if err != nil {
		q.Fail(err)
		return
	}
	q.Redirect(Prefix+"/admin/users", u.Email+" is now "+roleLabel(u.Role)+".")
}

// setUserLocations limits a user to the locations ticked, or lets them work
// at every location when none is (auth.SetLocations, as PUT
// /users/{id}/locations).
func (a *App) setUserLocations(q *Req) {
	f := q.PostedForm("locations")
	if !f.Valid() {
		q.Fail(f.Errors)
		return
	}
	u, err := a.auth.SetLocations(q.Ctx(), q.Param("id"), f.List("location_ids"), q.Actor())
	if err != nil {
		q.Fail(err)
		return
	}
	where := "every location"
	if n := len(u.LocationIDs); n > 0 {
		where = fmt.Sprintf("%d location(s)", n)
	}
	q.Redirect(Prefix+"/admin/users", u.Email+" now works at "+where+".")
}

// setUserPassword gives a user a new one-time password (auth.ResetPassword):
// shown once here, changed by the user at their next sign-in.
func (a *App) setUserPassword(q *Req) {
	f := q.PostedForm("password")
	if !f.Valid() {
		q.Fail(f.Errors)
		return
	}
	pw, err := a.auth.ResetPassword(q.Ctx(), q.Param("id"), q.Actor())
	if err != nil {
		q.Fail(err)
		return
	}
	v, err := a.usersView(q)
	if err != nil {
		q.Fail(err)
		return
	}
	for _, u := range v.Users {
		if u.ID == q.Param("id") {
			v.OneTimeFor = u.Email
		}
	}
	v.OneTime = pw
	q.RenderForm(http.StatusOK, "admin_users.html", "Users", NewForm("user").Set("role", auth.RoleBiller), v)
}

// referenceView is a list page of reference data with its create form.
type referenceView struct {
	Locations    []records.Location
	Providers    []records.Provider
	Payers       []records.Payer
	FeeSchedules []billing.FeeSchedule
	PayerTypes   []Option
	FeeSchedule  *billing.FeeSchedule
}

func (a *App) locationsPage(q *Req) { a.showLocations(q, NewForm("location"), http.StatusOK) }

func (a *App) showLocations(q *Req, f *Form, status int) {
	ls, err := a.records.ListLocations(q.Ctx(), adminLimit)
	if err != nil {
		q.Fail(err)
		return
	}
	q.RenderForm(status, "admin_locations.html", "Locations", f, referenceView{Locations: ls})
}

func (a *App) createLocation(q *Req) {
	f := q.PostedForm("location")
	if !f.Valid() {
		a.showLocations(q, f, http.StatusBadRequest)
		return
	}
	in := records.NewLocation{Name: f.Get("name"), Phone: f.Get("phone"), TaxID: f.Get("tax_id"), Taxonomy: f.Get("taxonomy"),
		Address: records.Address{Address1: f.Get("address1"), Address2: f.Get("address2"), City: f.Get("city"),
			State: f.Get("state"), Zip: f.Get("zip")}}
	if npi := f.Get("npi"); npi != "" {
		in.NPI = &npi
	}
	l, err := a.records.CreateLocation(q.Ctx(), in, q.Actor())
	if err != nil {
		ls, _ := a.records.ListLocations(q.Ctx(), adminLimit)
		q.FormFailed("admin_locations.html", "Locations", f, referenceView{Locations: ls}, err)
		return
	}
	q.Redirect(Prefix+"/admin/locations", "Location "+l.Name+" added.")
}

func (a *App) providersPage(q *Req) { a.showProviders(q, NewForm("provider"), http.StatusOK) }

func (a *App) showProviders(q *Req, f *Form, status int) {
	ps, err := a.records.ListProviders(q.Ctx(), adminLimit)
	if err != nil {
		q.Fail(err)
		return
	}
	q.RenderForm(status, "admin_providers.html", "Providers", f, referenceView{Providers: ps})
}

func (a *App) createProvider(q *Req) {
	f := q.PostedForm("provider")
	if !f.Valid() {
		a.showProviders(q, f, http.StatusBadRequest)
		return
	}
	p, err := a.records.CreateProvider(q.Ctx(), records.NewProvider{FirstName: f.Get("first_name"), LastName: f.Get("last_name"),
		Credential: f.Get("credential"), NPI: f.Get("npi"), Taxonomy: f.Get("taxonomy"), TaxID: f.Get("tax_id")}, q.Actor())
	if err != nil {
		ps, _ := a.records.ListProviders(q.Ctx(), adminLimit)
		q.FormFailed("admin_providers.html", "Providers", f, referenceView{Providers: ps}, err)
		return
	}
	q.Redirect(Prefix+"/admin/providers", "Provider "+p.FirstName+" "+p.LastName+" added.")
}

func payerTypes() []Option {
	out := make([]Option, len(records.PayerTypes))
	for i, t := range records.PayerTypes {
		out[i] = Option{Value: t, Label: strings.ReplaceAll(t, "_", " ")}
	}
	return out
}

func (a *App) payersPage(q *Req) {
	a.showPayers(q, NewForm("payer").Set("type", "commercial"), http.StatusOK)
}

func (a *App) showPayers(q *Req, f *Form, status int) {
	ps, err := a.records.ListPayers(q.Ctx(), adminLimit)
	if err != nil {
		q.Fail(err)
		return
	}
	q.RenderForm(status, "admin_payers.html", "Payers", f, referenceView{Payers: ps, PayerTypes: payerTypes()})
}

// optionalDays reads an optional whole number of days; absent is nil (the
// domain's default).
func optionalDays(f *Form, name string) *int {
	v := f.Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f.Add(name, "must be a whole number of days")
		return nil
	}
	return &n
}

func (a *App) createPayer(q *Req) {
	f := q.PostedForm("payer")
	in := records.NewPayer{Name: f.Get("name"), PayerID: f.Get("payer_id"), Type: f.Get("type"), Phone: f.Get("phone"),
		TimelyFilingDays: optionalDays(f, "timely_filing_days"), AppealWindowDays: optionalDays(f, "appeal_window_days"),
		AckWaitDays: optionalDays(f, "ack_wait_days"), PaymentWaitDays: optionalDays(f, "payment_wait_days")}
	if !f.Valid() {
		a.showPayers(q, f, http.StatusBadRequest)
		return
	}
	p, err := a.records.CreatePayer(q.Ctx(), in, q.Actor())
	if err != nil {
		ps, _ := a.records.ListPayers(q.Ctx(), adminLimit)
		q.FormFailed("admin_payers.html", "Payers", f, referenceView{Payers: ps, PayerTypes: payerTypes()}, err)
		return
	}
	q.Redirect(Prefix+"/admin/payers", "Payer "+p.Name+" added.")
}

func (a *App) feeSchedulesPage(q *Req) {
	a.showFeeSchedules(q, NewForm("fees"), http.StatusOK)
}

func (a *App) showFeeSchedules(q *Req, f *Form, status int) {
	fs, err := a.records.ListFeeSchedules(q.Ctx(), adminLimit)
	if err != nil {
		q.Fail(err)
		return
	}
	q.RenderForm(status, "admin_fees.html", "Fee schedules", f, referenceView{FeeSchedules: fs})
}

// feeItems reads the prices, one a line: "99213 125.00 Office visit, est.".
// A line that is not a code and an amount is an error on items[i].
func feeItems(f *Form) []records.NewFeeItem {
	var items []records.NewFeeItem
	sc := bufio.NewScanner(strings.NewReader(f.Values.Get("items")))
	for i := 0; sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		parts := strings.Fields(line)
		field := "items[" + strconv.Itoa(i) + "]"
		i++
		if len(parts) < 2 {
			f.Add(field, "%q: write a code and a price, like 99213 125.00", line)
			continue
		}
		price, err := decimal.NewFromString(strings.TrimPrefix(parts[1], "$"))
		if err != nil {
			f.Add(field+".price", "%q is not an amount like 125.00", parts[1])
			continue
		}
		items = append(items, records.NewFeeItem{ProcedureCode: parts[0], Price: price, Description: strings.Join(parts[2:], " ")})
	}
	return items
}

func (a *App) createFeeSchedule(q *Req) {
	f := q.PostedForm("fees", "items")
	items := feeItems(f)
	if !f.Valid() {
		a.showFeeSchedules(q, f, http.StatusBadRequest)
		return
	}
	s, err := a.records.CreateFeeSchedule(q.Ctx(), records.NewFeeSchedule{Name: f.Get("name"), IsDefault: f.Get("is_default") != "",
		Items: items}, q.Actor())
	if err != nil {
		fs, _ := a.records.ListFeeSchedules(q.Ctx(), adminLimit)
		q.FormFailed("admin_fees.html", "Fee schedules", f, referenceView{FeeSchedules: fs}, err)
		return
	}
	q.Redirect(Prefix+"/admin/fee-schedules/"+s.ID, "Fee schedule "+s.Name+" added.")
}

func (a *App) feeSchedulePage(q *Req) {
	if !q.onlyParams() {
		return
	}
	s, err := a.records.GetFeeSchedule(q.Ctx(), q.Param("id"))
	if err != nil {
		q.Fail(err)
		return
	}
	q.Render(http.StatusOK, "admin_fee_schedule.html", s.Name, referenceView{FeeSchedule: &s})
}

// brandingView is the practice branding page: what statements and the payment
// page show (statements.Branding).
type brandingView struct {
	B         statements.Branding
	Locations []Option
	HasLogo   bool
}

func (a *App) statements() *statements.Service { return &statements.Service{DB: a.DB} }

func (a *App) brandingPage(q *Req) {
	if !q.onlyParams() {
		return
	}
	b, err := a.statements().BrandingFor(q.Ctx(), "")
	if err != nil {
		q.Fail(err)
		return
	}
	f := NewForm("branding").Set("name", b.Name).Set("address", b.Address).Set("phone", b.Phone).
		Set("accent", b.Accent).Set("message", b.Message)
	q.RenderForm(http.StatusOK, "admin_branding.html", "Practice branding", f, brandingView{B: b, HasLogo: len(b.LogoPNG) > 0})
}

// setBranding saves the practice's branding (statements.SetBranding, as PUT
// /practice/branding). The logo is kept as it is: it is set through the API.
func (a *App) setBranding(q *Req) {
	f := q.PostedForm("branding", "address", "message")
	cur, err := a.statements().BrandingFor(q.Ctx(), "")
	if err != nil {
		q.Fail(err)
		return
	}
	v := brandingView{B: cur, HasLogo: len(cur.LogoPNG) > 0}
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "admin_branding.html", "Practice branding", f, v)
		return
	}
	in := statements.BrandingInput{Name: f.Get("name"), Address: f.Get("address"), Phone: f.Get("phone"),
		Accent: f.Get("accent"), Message: f.Get("message")}
	if len(cur.LogoPNG) > 0 {
		in.LogoPNGBase64 = base64.StdEncoding.EncodeToString(cur.LogoPNG)
	}
	if _, err := a.statements().SetBranding(q.Ctx(), in, q.Actor()); err != nil {
		q.FormFailed("admin_branding.html", "Practice branding", f, v, err)
		return
	}
	q.Redirect(Prefix+"/admin/branding", "Branding saved: statements and the payment page show it now.")
}
