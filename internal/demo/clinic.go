// Package demo is the living demo clinic of `rcm dev --demo` (`make demo`): the
// clinic itself as data (two locations, five providers, six payers, fee
// schedules, contacts, staff for every role at each location, teams and about
// sixty obviously fictional patients with cases of every kind), an idempotent
// seed that creates it through the same domain functions as the API, the
// roster the simulated clinic day works through (workflows/clinicday.go) and
// what each of its visits bills. Member IDs are chosen to drive the
// clearinghouse simulator (clearinghouse.DefaultRules): PAYFULL, PARTIAL,
// DEDUCT and COINS pay, DENY… deny, REJECT… is rejected by the 277CA and
// INACTIVE… fails the eligibility check.
package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
)

// EmailDomain is the domain of every demo user's email (a reserved test domain).
const EmailDomain = "demo.clinicflow.test"

// Patients is how many patients the demo clinic has.
const Patients = 60

func ptr[T any](v T) *T { return &v }

// location is a demo location with the short name its staff's emails use.
type location struct {
	short string
	in    records.NewLocation
}

var locations = []location{
	{"maple", records.NewLocation{Name: "Maple Street Clinic", NPI: ptr("1648057200"), Phone: "217-555-0140",
		TaxID: "36-1234567", Taxonomy: "261QM1300X",
		Address: records.Address{Address1: "1200 Maple St", City: "Springfield", State: "IL", Zip: "62704-1234"}}},
	{"riverside", records.NewLocation{Name: "Riverside Clinic", NPI: ptr("1749136283"), Phone: "217-555-0160",
		TaxID: "36-1234567", Taxonomy: "261QM1300X",
		Address: records.Address{Address1: "45 River Rd", Address2: "Suite 2", City: "Springfield", State: "IL", Zip: "62702-4567"}}},
}

var providers = []records.NewProvider{
	{FirstName: "Ada", LastName: "Examplewood", Credential: "MD", NPI: "1182903470", Taxonomy: "207Q00000X"},
	{FirstName: "Basil", LastName: "Samplesworth", Credential: "DO", NPI: "1356729404", Taxonomy: "207R00000X"},
	{FirstName: "Cleo", LastName: "Testington", Credential: "NP", NPI: "1928374655", Taxonomy: "363LF0000X"},
	{FirstName: "Dev", LastName: "Mockford", Credential: "DPT", NPI: "1506027386", Taxonomy: "225100000X"},
	{FirstName: "Edie", LastName: "Placeholt", Credential: "DC", NPI: "1670943525", Taxonomy: "111N00000X"},
}

// Payer keys, the index of each payer in payers.
const (
	payerCommercial = iota
	payerCommercial2
	payerMedicare
	payerMedicaid
	payerAuto
	payerWC
)

var payers = []records.NewPayer{
	{Name: "Evergreen Health Plan", PayerID: "DEMOEVG01", Type: "commercial", Phone: "800-555-0101",
		Address: records.Address{Address1: "PO Box 1001", City: "Chicago", State: "IL", Zip: "60601"}},
	{Name: "Bluebird Mutual", PayerID: "DEMOBBM02", Type: "commercial", Phone: "800-555-0102",
		Address: records.Address{Address1: "PO Box 2002", City: "Peoria", State: "IL", Zip: "61602"}},
	{Name: "Medicare Part B (demo MAC)", PayerID: "DEMOMCR03", Type: "medicare", Phone: "800-555-0103",
		Address: records.Address{Address1: "PO Box 3003", City: "Indianapolis", State: "IN", Zip: "46204"}},
	{Name: "State Medicaid (demo)", PayerID: "DEMOMCD04", Type: "medicaid", Phone: "800-555-0104",
		Address: records.Address{Address1: "PO Box 4004", City: "Springfield", State: "IL", Zip: "62701"}},
	{Name: "Roadway Auto Insurance", PayerID: "DEMOAUTO05", Type: "auto", Phone: "800-555-0105",
		Address: records.Address{Address1: "PO Box 5005", City: "Bloomington", State: "IL", Zip: "61701"}},
	{Name: "Keystone Workers' Comp", PayerID: "DEMOWC06", Type: "workers_comp", Phone: "800-555-0106",
		Address: records.Address{Address1: "PO Box 6006", City: "Rockford", State: "IL", Zip: "61101"}},
}

// feeSchedules: the clinic's standard fees (the default) and the state workers'
// comp schedule its WC cases are billed at.
var feeSchedules = []records.NewFeeSchedule{
	{Name: "Demo clinic standard fees", IsDefault: true, Items: feeItems(decimal.NewFromInt(1))},
	{Name: "Demo workers' comp fee schedule", Items: feeItems(decimal.RequireFromString("0.92"))},
}

// fees are the procedures the demo clinic bills, with its standard price.
var fees = []struct {
	code, description, price string
}{
	{"99202", "Office visit, new patient, straightforward", "110.00"},
	{"99203", "Office visit, new patient, low complexity", "165.00"},
	{"99212", "Office visit, established, straightforward", "85.00"},
	{"99213", "Office visit, established, low complexity", "125.00"},
	{"99214", "Office visit, established, moderate complexity", "185.00"},
	{"99215", "Office visit, established, high complexity", "250.00"},
	{"36415", "Routine venipuncture", "15.50"},
	{"81002", "Urinalysis, non-automated", "9.99"},
	{"85025", "Complete blood count, automated", "28.00"},
	{"93000", "Electrocardiogram, complete", "45.00"},
	{"90471", "Immunization administration", "25.00"},
	{"97161", "Physical therapy evaluation, low complexity", "120.00"},
	{"97110", "Therapeutic exercise, 15 min", "65.00"},
	{"97112", "Neuromuscular re-education, 15 min", "60.00"},
	{"97140", "Manual therapy, 15 min", "45.00"},
	{"97530", "Therapeutic activities, 15 min", "70.00"},
	{"97014", "Electrical stimulation, unattended", "25.00"},
	{"97035", "Ultrasound therapy, 15 min", "30.00"},
	{"97124", "Massage therapy, 15 min", "50.00"},
	{"98941", "Chiropractic manipulation, 3-4 regions", "55.00"},
	{"20610", "Arthrocentesis, major joint", "140.00"},
	{"J1030", "Methylprednisolone acetate, 40 mg", "18.00"},
	{"L0650", "Lumbar-sacral orthosis, prefabricated", "95.00"},
	{"99080", "Special reports (work status form)", "35.00"},
}

func feeItems(factor decimal.Decimal) []records.NewFeeItem {
	items := make([]records.NewFeeItem, len(fees))
	for i, f := range fees {
		items[i] = records.NewFeeItem{ProcedureCode: f.code, Description: f.description,
			Price: decimal.RequireFromString(f.price).Mul(factor).Round(2)}
	}
	return items
}

var contacts = []legal.NewContact{
	{Kind: legal.KindAttorney, Name: "Lex Placeholder", Organization: "Placeholder & Partners LLP", Phone: "217-555-0171",
		Email: "lex@placeholder-law.example.com", Address1: "10 Court Sq", City: "Springfield", State: "IL", Zip: "62701"},
	{Kind: legal.KindAttorney, Name: "Justine Example", Organization: "Example Injury Law", Phone: "217-555-0172",
		Email: "justine@example-injury.example.com", Address1: "22 Capitol Ave", City: "Springfield", State: "IL", Zip: "62701"},
	{Kind: legal.KindAttorney, Name: "Sam Sampleman", Organization: "Sampleman Legal Group", Phone: "309-555-0173",
		Email: "sam@sampleman.example.com", Address1: "5 Main St", City: "Peoria", State: "IL", Zip: "61602"},
	{Kind: legal.KindAdjuster, Name: "Adam Adjustwell", Organization: "Roadway Auto Insurance", Phone: "800-555-0175",
		Email: "adam.adjustwell@roadway.example.com"},
	{Kind: legal.KindAdjuster, Name: "Carla Claimsby", Organization: "Keystone Workers' Comp", Phone: "800-555-0176",
		Email: "carla.claimsby@keystone.example.com"},
	{Kind: legal.KindEmployer, Name: "Widget Works (HR)", Organization: "Widget Works Inc.", Phone: "217-555-0177"},
	{Kind: legal.KindCaseManager, Name: "Morgan Casewell", Organization: "Keystone Workers' Comp", Phone: "800-555-0178"},
}

// staff is one demo user: every role at each location.
type staff struct {
	role, first string
}

var staffRoles = []staff{
	{auth.RoleFrontDesk, "Frankie"}, {auth.RoleProvider, "Parker"}, {auth.RoleBiller, "Billie"},
	{auth.RoleManager, "Marlowe"}, {auth.RoleAdmin, "Addison"},
}

// userEmail is the email of the demo user with role at a location.
func userEmail(role, loc string) string {
	return fmt.Sprintf("%s.%s@%s", role, loc, EmailDomain)
}

// team is a demo team: its queues, its manager (by location) and that its
// members are the billers of every location.
type team struct {
	name, managerLoc string
	queues           []string
}

var teams = []team{
	{"Claims and rejections", "maple", []string{tasks.QueueClaimFix, tasks.QueueEligibility, tasks.QueueRejections,
		tasks.QueueFollowUp, tasks.QueueCharges}},
	{"Denials and approvals", "riverside", []string{tasks.QueueDenials, tasks.QueueApprovals, tasks.QueueUnmatched}},
	{"Legal and patient balances", "maple", []string{tasks.QueueLegal, tasks.QueueDisputes}},
}

// patient is a demo patient and the cases the front desk opened for them.
type patient struct {
	in    records.NewPatient
	cases []casePlan
}

// casePlan is one case of a demo patient with its coverages and legal details.
type casePlan struct {
	kind      cases.Kind
	title     string
	workComp  bool // billed at the workers' comp fee schedule
	coverages []coveragePlan
	legal     *legalPlan
}

type coveragePlan struct {
	payer    int
	priority string
	member   string
	group    string
}

// legalPlan is an accident or injury case's legal details: injured daysAgo,
// the insurer (index into payers, -1 for none), the contacts by role (index
// into contacts) and whether a lien or letter of protection is on file.
type legalPlan struct {
	daysAgo  int
	kind     string
	insurer  int
	contacts []roleContact
	lien     bool
}

type roleContact struct {
	role    string
	contact int
}

var (
	firstNames = []string{"Alex", "Bailey", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Indy", "Jordan", "Kai", "Lane"}
	lastNames  = []string{"Sampleton", "Testwell", "Demoford", "Mockley", "Placeholder", "Fakesmith", "Exampleton",
		"Dummyworth", "Fictionson", "Pretendo"}
	streets = []string{"Elm St", "Oak Ave", "Birch Ln", "Cedar Ct", "Walnut Dr", "Pine St", "Ash Blvd", "Hickory Rd"}
)

// insuranceOutcomes are the member-ID prefixes of the plain insurance cases,
// in turn: mostly paid, some denied, two rejected, one inactive; the first
// patients of the day show each kind of outcome.
var insuranceOutcomes = []string{"PAYFULL", "PARTIAL", "DENY50", "PAYFULL", "REJECT", "INACTIVE", "COINS", "DEDUCT",
	"M", "DENY16", "PARTIAL", "PAYFULL", "COINS", "DENY197", "PAYFULL", "DEDUCT", "PARTIAL", "DENY29", "M", "PAYFULL",
	"PARTIAL", "REJECT", "COINS", "DENY18"}

// clinicPatients is the demo clinic's patients, made the same way every time:
// obviously fictional names, phone numbers from the 555-01xx range, example.com
// emails. By the patient's number modulo ten: 0-3 insurance (commercial,
// Medicare or Medicaid, the member ID picking the simulator's outcome), 4-5
// self-pay, 6 a motor-vehicle accident (also insured for routine care), 7 a
// slip and fall, 8 workers' comp, 9 Medicare with Medicaid as secondary.
// Three insured patients have no street address yet (their claims fail the
// scrubber's address rule: claim-fix) and one insurance case has no coverage
// (eligibility).
func clinicPatients() []patient {
	out := make([]patient, Patients)
	insured := 0
	for i := range out {
		first, last := firstNames[i%12], lastNames[(i/12)*2+(i%12)%2]
		kind := i % 10
		medicare := kind == 9
		sex := []string{"F", "M", "U"}[i%3]
		p := records.NewPatient{FirstName: first, LastName: last, Sex: sex,
			Email: fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), i), Phone: fmt.Sprintf("217-555-01%02d", i%100),
			Address: records.Address{Address1: fmt.Sprintf("%d %s", 100+i*17, streets[i%len(streets)]), City: "Springfield",
				State: "IL", Zip: fmt.Sprintf("627%02d", 1+i%12)}}
		member := func(prefix string) string { return fmt.Sprintf("%s%07d", prefix, 4200000+i*137) }
		var plans []casePlan
		switch kind {
		case 0, 1, 2, 3:
			outcome := insuranceOutcomes[insured%len(insuranceOutcomes)]
			payer := []int{payerCommercial, payerCommercial2, payerMedicare, payerMedicaid}[insured%4]
			medicare = payer == payerMedicare
			insured++
			c := casePlan{kind: cases.Insurance, title: "Primary care",
				coverages: []coveragePlan{{payer: payer, priority: "primary", member: member(outcome), group: "GRP-" + fmt.Sprint(100+i%7)}}}
			if i == 3 {
				c.title, c.coverages = "Primary care (card not yet seen)", nil // eligibility: no coverage to bill
			}
			if i == 1 || i == 22 || i == 43 {
				p.Address = records.Address{} // registered by phone; the scrubber asks for the address
			}
			plans = append(plans, c)
		case 4, 5:
			plans = append(plans, casePlan{kind: cases.Private, title: []string{"Self-pay visits", "Wellness and labs"}[i%2]})
		case 6:
			plans = append(plans,
				casePlan{kind: cases.MVA, title: "Rear-end collision, neck and back pain",
					coverages: []coveragePlan{{payer: payerAuto, priority: "primary", member: member("PIP")}},
					legal: &legalPlan{daysAgo: 20 + i, kind: legal.AccidentAuto, insurer: payerAuto, lien: i%20 == 6,
						contacts: []roleContact{{legal.RolePatientAttorney, i % 3}, {legal.RoleAdjuster, 3}}}},
				casePlan{kind: cases.Insurance, title: "Primary care",
					coverages: []coveragePlan{{payer: payerCommercial, priority: "primary", member: member("PAYFULL")}}})
		case 7:
			plans = append(plans, casePlan{kind: cases.PersonalInjury, title: "Slip and fall at a grocery store",
				legal: &legalPlan{daysAgo: 30 + i, kind: legal.AccidentSlipAndFall, insurer: -1, lien: i%20 == 7,
					contacts: []roleContact{{legal.RolePatientAttorney, (i + 1) % 3}}}})
		case 8:
			wcOutcome := []string{"WC", "PAYFULL", "WC"}[i%3]
			plans = append(plans, casePlan{kind: cases.WorkersComp, title: "Lifting injury at work", workComp: true,
				coverages: []coveragePlan{{payer: payerWC, priority: "primary", member: member(wcOutcome)}},
				legal: &legalPlan{daysAgo: 10 + i, kind: legal.AccidentWork, insurer: payerWC,
					contacts: []roleContact{{legal.RoleAdjuster, 4}, {legal.RoleEmployer, 5}, {legal.RoleCaseManager, 6}}}})
		case 9:
			plans = append(plans, casePlan{kind: cases.Insurance, title: "Chronic care",
				coverages: []coveragePlan{
					{payer: payerMedicare, priority: "primary", member: member([]string{"PARTIAL", "COINS", "DEDUCT"}[i%3])},
					{payer: payerMedicaid, priority: "secondary", member: member("PAYFULL")}}})
		}
		year := 1952 + (i*7)%50
		if medicare {
			year = 1940 + i%15
		}
		p.DateOfBirth = fmt.Sprintf("%d-%02d-%02d", year, 1+(i*5)%12, 1+(i*11)%28)
		out[i] = patient{in: p, cases: plans}
	}
	return out
}

// injuryDate is the date of injury daysAgo before now.
func injuryDate(now time.Time, daysAgo int) string {
	return now.UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly)
}
