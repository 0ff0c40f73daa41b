package denials

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/x12"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func adj(group, reason, amount string) x12.Adjustment {
	return x12.Adjustment{Group: group, Reason: reason, Amount: dec(amount)}
}

func line(code string, charge, paid string, adjs ...x12.Adjustment) x12.ServicePayment {
	return x12.ServicePayment{
		Procedure:    x12.Procedure{Qualifier: "HC", Code: code},
		ChargeAmount: dec(charge), PaidAmount: dec(paid), Adjustments: adjs,
	}
}

func claim(status string, charge, paid string, adjs []x12.Adjustment, lines ...x12.ServicePayment) x12.ClaimPayment {
	return x12.ClaimPayment{
		PatientControlNumber: "PCN1", StatusCode: status, IsDenial: status == "4",
		TotalCharge: dec(charge), Payment: dec(paid), Adjustments: adjs, ServiceLines: lines,
	}
}

// wantReason is the part of a Reason a test checks.
type wantReason struct {
	group, code, amount string
	category            codes.DenialCategory
	line                int
}

func TestClassify(t *testing.T) {
	co16Line := line("97110", "180", "0", adj("CO", "16", "180"))
	co16Line.Procedure.Modifiers = []string{"GP"}
	co16Line.RemarkCodes = []x12.RemarkCode{{Qualifier: "HE", Code: "N290"}, {Qualifier: "RX", Code: "70"}}

	tests := []struct {
		name        string
		cp          x12.ClaimPayment
		denied      bool
		claimDenied bool
		reasons     []wantReason
		primary     codes.DenialCategory
		remarks     []string
	}{
		{
			name:   "CO-16 with N290 denies the claim as coding",
			cp:     claim("4", "180", "0", nil, co16Line),
			denied: true, claimDenied: true,
			reasons: []wantReason{{"CO", "16", "180", codes.DenialCoding, 1}},
			primary: codes.DenialCoding,
			remarks: []string{"N290"},
		},
		{
			name:   "CO-50 is medical necessity",
			cp:     claim("4", "250", "0", []x12.Adjustment{adj("CO", "50", "250")}),
			denied: true, claimDenied: true,
			reasons: []wantReason{{"CO", "50", "250", codes.DenialMedicalNecessity, 0}},
			primary: codes.DenialMedicalNecessity,
		},
		{
			name:   "CO-29 wins a tie with CO-16",
			cp:     claim("4", "120", "0", []x12.Adjustment{adj("CO", "16", "60"), adj("CO", "29", "60")}),
			denied: true, claimDenied: true,
			reasons: []wantReason{{"CO", "16", "60", codes.DenialCoding, 0}, {"CO", "29", "60", codes.DenialTimelyFiling, 0}},
			primary: codes.DenialTimelyFiling,
		},
		{
			name: "CO-29 wins a tie with every other category across lines",
			cp: claim("4", "240", "0", nil,
				line("99213", "60", "0", adj("CO", "50", "60")),
				line("99214", "60", "0", adj("CO", "97", "60")),
				line("99215", "60", "0", adj("CO", "29", "60")),
				line("99212", "60", "0", adj("CO", "27", "60"))),
			denied: true, claimDenied: true,
			reasons: []wantReason{
				{"CO", "50", "60", codes.DenialMedicalNecessity, 1},
				{"CO", "97", "60", codes.DenialBundling, 2},
				{"CO", "29", "60", codes.DenialTimelyFiling, 3},
				{"CO", "27", "60", codes.DenialEligibility, 4},
			},
			primary: codes.DenialTimelyFiling,
		},
		{
			name: "a larger amount beats priority",
			cp: claim("4", "110", "0", nil,
				line("99213", "10", "0", adj("CO", "29", "10")),
				line("99214", "100", "0", adj("CO", "50", "100"))),
			denied: true, claimDenied: true,
			reasons: []wantReason{
				{"CO", "29", "10", codes.DenialTimelyFiling, 1},
				{"CO", "50", "100", codes.DenialMedicalNecessity, 2},
			},
			primary: codes.DenialMedicalNecessity,
		},
		{
			name:   "partially paid with CO-45 only is not denied",
			cp:     claim("1", "150", "105.60", nil, line("36415", "150", "105.60", adj("CO", "45", "44.40"))),
			denied: false,
		},
		{
			name: "routine CO-253, OA-23 and CO-94 are not denials",
			cp: claim("2", "100", "70", []x12.Adjustment{adj("OA", "23", "20")},
				line("99213", "100", "70", adj("CO", "253", "2"), adj("CO", "94", "8"))),
			denied: false,
		},
		{
			name:   "PR only is not denied",
			cp:     claim("1", "250", "150", nil, line("99215", "250", "150", adj("PR", "1", "75"), adj("PR", "2", "25"))),
			denied: false,
		},
		{
			name: "mixed line-level denials on a paid claim",
			cp: claim("1", "500", "105", []x12.Adjustment{adj("OA", "23", "10")},
				line("99214", "150", "105", adj("CO", "45", "35"), adj("PR", "3", "10")),
				line("97140", "90", "0", adj("CO", "97", "90")),
				line("93000", "260", "0", adj("PI", "197", "60"), adj("CO", "50", "200"))),
			denied: true, claimDenied: false,
			reasons: []wantReason{
				{"CO", "97", "90", codes.DenialBundling, 2},
				{"PI", "197", "60", codes.DenialAuthorization, 3},
				{"CO", "50", "200", codes.DenialMedicalNecessity, 3},
			},
			primary: codes.DenialMedicalNecessity,
		},
		{
			name:   "a denied claim with only PR adjustments falls back to them",
			cp:     claim("4", "90", "0", nil, line("99213", "90", "0", adj("PR", "27", "90"))),
			denied: true, claimDenied: true,
			reasons: []wantReason{{"PR", "27", "90", codes.DenialEligibility, 1}},
			primary: codes.DenialEligibility,
		},
		{
			name:   "a denied claim without adjustments has no reason",
			cp:     claim("4", "90", "0", nil),
			denied: true, claimDenied: true,
		},
		{
			name:    "an unknown code is other with no description",
			cp:      claim("1", "50", "0", []x12.Adjustment{adj("oa", "a7", "50")}),
			denied:  true,
			reasons: []wantReason{{"OA", "A7", "50", codes.DenialOther, 0}},
			primary: codes.DenialOther,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Classify(tt.cp)
			assert.Equal(t, tt.denied, d.Denied, "Denied")
			assert.Equal(t, tt.claimDenied, d.ClaimDenied, "ClaimDenied")
			assert.Equal(t, tt.primary, d.PrimaryCategory, "PrimaryCategory")
			assert.Equal(t, tt.primary.SuggestedAction(), d.SuggestedAction)
			assert.Equal(t, tt.remarks, d.RemarkCodes)
			require.Len(t, d.Reasons, len(tt.reasons))
			for i, w := range tt.reasons {
				r := d.Reasons[i]
				assert.Equal(t, w.group, r.Group, "reason %d group", i)
				assert.Equal(t, w.code, r.Code, "reason %d code", i)
				assert.True(t, dec(w.amount).Equal(r.Amount), "reason %d amount %s", i, r.Amount)
				assert.Equal(t, w.category, r.Category, "reason %d category", i)
				assert.Equal(t, w.line, r.LineNumber, "reason %d line", i)
				assert.Equal(t, w.category.SuggestedAction(), r.SuggestedAction)
				if c, ok := codes.LookupCARC(w.code); ok {
					assert.Equal(t, c.Description, r.Description)
				} else {
					assert.Empty(t, r.Description)
				}
			}
		})
	}
}

func TestClassifyKeepsLineProcedure(t *testing.T) {
	l := line("97110", "180", "0", adj("CO", "16", "180"))
	l.Procedure.Modifiers = []string{"GP"}
	d := Classify(claim("4", "180", "0", nil, l))
	require.Len(t, d.Reasons, 1)
	assert.Equal(t, "97110", d.Reasons[0].ProcedureCode)
	assert.Equal(t, []string{"GP"}, d.Reasons[0].Modifiers)
	assert.Contains(t, d.Reasons[0].Description, "lacks information")
}

func TestRemarkCodesDeduplicated(t *testing.T) {
	cp := claim("4", "100", "0", nil,
		line("99213", "50", "0", adj("CO", "16", "50")),
		line("99214", "50", "0", adj("CO", "16", "50")))
	cp.RemarkCodes = []x12.RemarkCode{{Qualifier: "HE", Code: "MA130"}}
	cp.ServiceLines[0].RemarkCodes = []x12.RemarkCode{{Qualifier: "HE", Code: "N290"}, {Qualifier: "HE", Code: "MA130"}}
	cp.ServiceLines[1].RemarkCodes = []x12.RemarkCode{{Qualifier: "HE", Code: "n290"}}
	assert.Equal(t, []string{"MA130", "N290"}, Classify(cp).RemarkCodes)
}

func TestRoutineReason(t *testing.T) {
	for _, c := range []string{"45", " 253 ", "94", "23", "1", "2", "3", "131", "144"} {
		assert.True(t, RoutineReason(c), c)
	}
	for _, c := range []string{"16", "29", "50", "97", "B15", "A7", ""} {
		assert.False(t, RoutineReason(c), c)
	}
}

func TestCategoryPriorityCoversEveryCategory(t *testing.T) {
	assert.ElementsMatch(t, codes.DenialCategories(), CategoryPriority())
	assert.Equal(t, codes.DenialTimelyFiling, CategoryPriority()[0])
	assert.Equal(t, codes.DenialOther, CategoryPriority()[len(CategoryPriority())-1])
}

// parseFixture parses an 835 file of internal/x12/testdata/835 and returns
// its claims by patient control number.
func parseFixture(t *testing.T, name string) map[string]x12.ClaimPayment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "x12", "testdata", "835", name))
	require.NoError(t, err)
	rs, err := x12.Parse835(data)
	require.NoError(t, err)
	out := map[string]x12.ClaimPayment{}
	for _, r := range rs {
		for _, c := range r.Claims {
			out[c.PatientControlNumber] = c
		}
	}
	return out
}

func TestClassifyFixtureDeniedClaimRARC(t *testing.T) {
	claims := parseFixture(t, "pyx12_835_denied-claim-rarc.835")
	cp, ok := claims["2005555A"]
	require.True(t, ok)
	d := Classify(cp)
	assert.True(t, d.Denied)
	assert.True(t, d.ClaimDenied)
	assert.Equal(t, []string{"N14"}, d.RemarkCodes)
	require.Len(t, d.Reasons, 3)
	assert.Equal(t, "CO", d.Reasons[0].Group)
	assert.Equal(t, "16", d.Reasons[0].Code)
	assert.Equal(t, 1, d.Reasons[0].LineNumber)
	assert.Equal(t, "T1005", d.Reasons[0].ProcedureCode)
	assert.True(t, dec("500.04").Equal(d.Reasons[0].Amount))
	for i, want := range []string{"127.8", "287.55"} {
		r := d.Reasons[i+1]
		assert.Equal(t, "OA", r.Group)
		assert.Equal(t, "A7", r.Code) // retired code: other, no description
		assert.Equal(t, codes.DenialOther, r.Category)
		assert.Empty(t, r.Description)
		assert.Equal(t, i+2, r.LineNumber)
		assert.True(t, dec(want).Equal(r.Amount))
	}
	// CO-16 has the largest amount.
	assert.Equal(t, codes.DenialCoding, d.PrimaryCategory)
	assert.Equal(t, codes.DenialCoding.SuggestedAction(), d.SuggestedAction)
}

func TestClassifyFixtureMultiGroup(t *testing.T) {
	claims := parseFixture(t, "era_multi_group_denial.835")
	tests := []struct {
		pcn     string
		denied  bool
		code    string
		line    int
		amount  string
		primary codes.DenialCategory
		remarks []string
	}{
		{pcn: "PCN2001", denied: false, remarks: []string{"MA01", "M15"}}, // PR-3 and CO-45: paid
		{pcn: "PCN2002", denied: true, code: "16", line: 1, amount: "180", primary: codes.DenialCoding, remarks: []string{"N290", "MA130"}},
		{pcn: "PCN3001", denied: false}, // OA-23 on a secondary claim
		{pcn: "PCN3002", denied: true, code: "29", line: 0, amount: "60", primary: codes.DenialTimelyFiling},
	}
	for _, tt := range tests {
		t.Run(tt.pcn, func(t *testing.T) {
			cp, ok := claims[tt.pcn]
			require.True(t, ok)
			d := Classify(cp)
			assert.Equal(t, tt.denied, d.Denied)
			assert.Equal(t, tt.primary, d.PrimaryCategory)
			assert.Equal(t, tt.remarks, d.RemarkCodes)
			if !tt.denied {
				assert.Empty(t, d.Reasons)
				return
			}
			require.Len(t, d.Reasons, 1)
			assert.Equal(t, "CO", d.Reasons[0].Group)
			assert.Equal(t, tt.code, d.Reasons[0].Code)
			assert.Equal(t, tt.line, d.Reasons[0].LineNumber)
			assert.True(t, dec(tt.amount).Equal(d.Reasons[0].Amount))
		})
	}
}
