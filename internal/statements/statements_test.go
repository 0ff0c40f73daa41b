package statements_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
)

type practice struct {
	db       *gorm.DB
	loc      string
	prov     string
	bill     *billing.Service
	patient  string
	stmts    *statements.Service
	recorder *records.Service
}

func newPractice(t *testing.T) practice {
	g := pgtest.New(t)
	ctx := context.Background()
	rs := &records.Service{DB: g}
	loc, err := rs.CreateLocation(ctx, records.NewLocation{Name: "L", Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
	require.NoError(t, err)
	prov, err := rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Description: "Office visit, established patient", Price: decimal.RequireFromString("25.00")},
		{ProcedureCode: "36415", Description: "Blood draw", Price: decimal.RequireFromString("4.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1990-01-01",
		Address: records.Address{Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	return practice{db: g, loc: loc.ID, prov: prov.ID, bill: &billing.Service{DB: g}, patient: pat.ID,
		stmts: &statements.Service{DB: g, Now: func() time.Time { return time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC) }}, recorder: rs}
}

// visit opens a private case with one visit and the given charges.
func (p practice) visit(t *testing.T, title, day string, codes ...string) string {
	ctx := context.Background()
	cs, err := (&cases.Service{DB: p.db}).Create(ctx, cases.New{PatientID: p.patient, Kind: "private", Title: title}, audit.System)
	require.NoError(t, err)
	enc := uuid.NewString()
	require.NoError(t, p.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID, ProviderID: p.prov,
		LocationID: p.loc, ServiceDate: day, CheckedInAt: time.Now()}))
	for _, c := range codes {
		_, err := p.bill.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: cs.ID, EncounterID: enc,
			ProcedureCode: c, Units: 1, Diagnoses: []string{"E11.9"}})
		require.NoError(t, err)
	}
	return cs.ID
}

func (p practice) pay(t *testing.T, caseID, amount string) {
	_, err := p.bill.RecordPayment(context.Background(), billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: caseID,
		Amount: decimal.RequireFromString(amount), Method: "cash", ReceivedAt: time.Now(), IdempotencyKey: uuid.NewString()})
	require.NoError(t, err)
}

var tjRe = regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\)\s*Tj`)

// pdfText extracts the text shown by the PDF's (uncompressed) content streams.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")), "not a PDF")
	require.Contains(t, string(pdf[len(pdf)-8:]), "%%EOF")
	var out []string
	for _, m := range tjRe.FindAllSubmatch(pdf, -1) {
		s := strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(string(m[1]))
		out = append(out, s)
	}
	require.NotEmpty(t, out, "no text in the PDF")
	return strings.Join(out, "\n")
}

func TestStatementNetsCreditsAcrossCasesAndMatchesTheLedger(t *testing.T) {
	p := newPractice(t)
	ctx := context.Background()
	// Case A: 29.00 charged, 33.00 paid: a 4.00 credit. Case B: 25.00 owed.
	a := p.visit(t, "Sprained ankle", "2026-08-01", "99213", "36415")
	p.pay(t, a, "33.00")
	b := p.visit(t, "Follow-up", "2026-11-02", "99213")

	_, err := p.stmts.SetBranding(ctx, statements.BrandingInput{Name: "Springfield Family Care", Phone: "555-0100",
		Accent: "#aa3300", Message: "Questions? Call us."}, audit.System)
	require.NoError(t, err)

	r, err := p.stmts.Issue(ctx, statements.IssueInput{PatientID: p.patient, Key: "test:1", PayURL: "http://x/pay/abc"})
	require.NoError(t, err)
	assert.Equal(t, "21.00", r.AmountDue.StringFixed(2), "4.00 credit netted against 25.00 owed")
	again, err := p.stmts.Issue(ctx, statements.IssueInput{PatientID: p.patient, Key: "test:1"})
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, r.ID, again.ID, "issuing is idempotent per key")

	row, err := p.stmts.Get(ctx, r.ID)
	require.NoError(t, err)
	st, err := row.Statement()
	require.NoError(t, err)
	// The totals are the ledger's.
	var owed, credit decimal.Decimal
	for _, id := range []string{a, b} {
		bal, err := ledger.CaseBalances(p.db, id)
		require.NoError(t, err)
		owed, credit = owed.Add(bal.PatientBalance()), credit.Add(bal.PatientCredit())
	}
	assert.Equal(t, owed.StringFixed(2), st.Totals.Owed.StringFixed(2))
	assert.Equal(t, credit.StringFixed(2), st.Totals.Credit.StringFixed(2))
	for _, c := range st.Cases {
		tt := c.Totals
		got := tt.Charges.Sub(tt.InsurancePaid).Sub(tt.InsuranceAdjustments).Sub(tt.PendingInsurance).
			Sub(tt.PatientPayments).Sub(tt.Adjustments)
		assert.Equal(t, tt.Balance.StringFixed(2), got.StringFixed(2), "case %s adds up", c.Title)
	}
	aging := st.Aging.Current.Add(st.Aging.Days30).Add(st.Aging.Days60).Add(st.Aging.Days90)
	assert.Equal(t, "21.00", aging.StringFixed(2), "aging sums to the amount due")

	// The stored content is what its hash says, and renders again to the same PDF.
	_, sum, err := statements.Seal(st)
	require.NoError(t, err)
	assert.Equal(t, row.ContentSHA256, sum)
	pdf, err := statements.RenderPDF(st)
	require.NoError(t, err)
	assert.Equal(t, row.PDF, pdf, "a stored statement renders identically")

	text := pdfText(t, row.PDF)
	assert.Contains(t, text, "Springfield Family Care")
	assert.Contains(t, text, "Statement "+r.Number)
	assert.Contains(t, text, "Office visit, established patient")
	assert.Regexp(t, `Amount due\n\$21\.00`, text)
	assert.Contains(t, text, "http://x/pay/abc")
	html, err := statements.RenderHTML(st)
	require.NoError(t, err)
	assert.Contains(t, string(html), `id="amount-due">$21.00<`)
	for _, doc := range []string{text, string(html), string(row.Content)} {
		assert.NotContains(t, doc, "E11.9", "a statement never shows a diagnosis")
		assert.NotContains(t, doc, "1990-01-01", "nor the date of birth")
	}
}

func TestStatementRefusesNothingDueAndBadBranding(t *testing.T) {
	p := newPractice(t)
	ctx := context.Background()
	_, err := p.stmts.Issue(ctx, statements.IssueInput{PatientID: p.patient, Key: "k"})
	require.ErrorIs(t, err, statements.ErrNothingDue)
	_, err = p.stmts.SetBranding(ctx, statements.BrandingInput{Name: "X", Accent: "red", LogoPNGBase64: "bm90IGEgcG5n"}, audit.System)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "accent")
	assert.Contains(t, err.Error(), "logo_png_base64")
	var n int64
	require.NoError(t, p.db.Table("practice_branding").Count(&n).Error)
	assert.Zero(t, n, "nothing half-written")
}
