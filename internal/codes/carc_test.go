package codes

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAllCSVRowsLoad reads data/carc.csv independently of the package's
// parser and checks that every row is available through LookupCARC.
func TestAllCSVRowsLoad(t *testing.T) {
	f, err := os.Open("data/carc.csv")
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"code", "description"}, rows[0])
	rows = rows[1:]
	// data/SOURCES.md documents 291 codes.
	require.Len(t, rows, 291)

	all := AllCARCs()
	require.Len(t, all, len(rows))
	for i, row := range rows {
		c, ok := LookupCARC(row[0])
		if !assert.True(t, ok, "LookupCARC(%q)", row[0]) {
			continue
		}
		assert.Equal(t, row[0], c.Code)
		assert.Equal(t, strings.TrimSpace(row[1]), c.Description)
		assert.NotEmpty(t, c.Description)
		assert.Contains(t, DenialCategories(), c.Category, "code %s", c.Code)
		assert.Equal(t, c.Category.SuggestedAction(), c.SuggestedAction)
		assert.NotEmpty(t, c.SuggestedAction)
		assert.Equal(t, c, all[i], "AllCARCs keeps the file order")
	}
}

func TestLookupCARC(t *testing.T) {
	tests := []struct {
		code     string
		category DenialCategory
		action   string
		descHas  string
	}{
		{"27", DenialEligibility, "verify coverage and resubmit", "after coverage terminated"},
		{"31", DenialEligibility, "verify coverage and resubmit", "cannot be identified"},
		{"197", DenialAuthorization, "obtain authorization and appeal", "authorization"},
		{"16", DenialCoding, "correct the claim and resubmit as a replacement (frequency 7)", "lacks information"},
		{"4", DenialCoding, "correct the claim and resubmit as a replacement (frequency 7)", "modifier"},
		{"50", DenialMedicalNecessity, "appeal with medical records", "medical necessity"},
		{"29", DenialTimelyFiling, "appeal with proof of timely filing", "time limit for filing"},
		{"18", DenialDuplicate, "check for the original claim; do not resubmit", "duplicate"},
		{"97", DenialBundling, "review bundling edits (NCCI) and modifiers", "included in the payment"},
		{"B15", DenialBundling, "review bundling edits (NCCI) and modifiers", "qualifying service"},
		{"236", DenialBundling, "review bundling edits (NCCI) and modifiers", "National Correct Coding"},
		{"45", DenialOther, "review the remittance", "fee schedule"},
		{"1", DenialOther, "review the remittance", "Deductible"},
		{"P1", DenialOther, "review the remittance", "Property and Casualty"},
	}
	for _, tt := range tests {
		c, ok := LookupCARC(tt.code)
		require.True(t, ok, "LookupCARC(%q)", tt.code)
		assert.Equal(t, tt.code, c.Code)
		assert.Equal(t, tt.category, c.Category, "category of %s", tt.code)
		assert.Equal(t, tt.action, c.SuggestedAction, "action for %s", tt.code)
		assert.Contains(t, c.Description, tt.descHas, "description of %s", tt.code)
	}
}

func TestLookupCARCNormalizes(t *testing.T) {
	c, ok := LookupCARC(" b15 ")
	require.True(t, ok)
	assert.Equal(t, "B15", c.Code)
}

func TestLookupCARCUnknown(t *testing.T) {
	// Retired codes (A2, A7, 42 and 15 occur on real 835s), codes that never
	// existed, malformed input and zero-padded forms.
	for _, code := range []string{"", " ", "0", "A2", "A7", "42", "15", "62", "999", "Z9", "045", "4 5", "CO-45", "co45"} {
		_, ok := LookupCARC(code)
		assert.False(t, ok, "LookupCARC(%q)", code)
	}
}

func TestCARCCategory(t *testing.T) {
	// Listed and retired codes alike are classified from the table.
	assert.Equal(t, DenialAuthorization, CARCCategory("15"))
	assert.Equal(t, DenialAuthorization, CARCCategory("62"))
	assert.Equal(t, DenialMedicalNecessity, CARCCategory("57"))
	assert.Equal(t, DenialEligibility, CARCCategory(" 27"))
	assert.Equal(t, DenialDuplicate, CARCCategory("b13"))
	assert.Equal(t, DenialOther, CARCCategory("A2"))
	assert.Equal(t, DenialOther, CARCCategory(""))
}

func TestDenialCategoryTable(t *testing.T) {
	_, err := buildCategoryIndex()
	require.NoError(t, err, "every code in denialCategoryCodes must appear once")

	for _, row := range denialCategoryCodes {
		assert.NotEqual(t, DenialOther, row.category, "DenialOther is the default and needs no codes")
		for _, code := range row.codes {
			assert.True(t, validCARCCode(code), "malformed code %q in the %s row", code, row.category)
		}
	}
	// A code in the table that is not in the CSV is either retired (and
	// documented as such on denialCategoryCodes) or a typo.
	var missing []string
	for _, row := range denialCategoryCodes {
		for _, code := range row.codes {
			if _, ok := LookupCARC(code); !ok {
				missing = append(missing, code)
			}
		}
	}
	assert.ElementsMatch(t, []string{"15", "57", "62"}, missing, "classified codes missing from data/carc.csv")

	// Every category has a distinct, non-empty action and a stable string value.
	want := map[DenialCategory]string{
		DenialEligibility:      "eligibility",
		DenialAuthorization:    "authorization",
		DenialCoding:           "coding",
		DenialMedicalNecessity: "medical_necessity",
		DenialTimelyFiling:     "timely_filing",
		DenialDuplicate:        "duplicate",
		DenialBundling:         "bundling",
		DenialOther:            "other",
	}
	require.Len(t, DenialCategories(), len(want))
	seen := map[string]bool{}
	for _, c := range DenialCategories() {
		assert.Equal(t, want[c], string(c))
		a := c.SuggestedAction()
		assert.NotEmpty(t, a, "action for %s", c)
		assert.False(t, seen[a], "action %q used twice", a)
		seen[a] = true
	}
	assert.Empty(t, DenialCategory("nonsense").SuggestedAction())
}

func TestParseCARCsRejectsBadData(t *testing.T) {
	tests := map[string]string{
		"empty":           "",
		"wrong header":    "id,text\n1,Deductible\n",
		"no rows":         "code,description\n",
		"extra column":    "code,description\n1,Deductible,x\n",
		"duplicate":       "code,description\n1,Deductible\n1,Again\n",
		"blank code":      "code,description\n,Deductible\n",
		"lower-case code": "code,description\nb1,Deductible\n",
		"no description":  "code,description\n1, \n",
		"bad quoting":     "code,description\n1,\"open\n",
	}
	for name, data := range tests {
		_, err := parseCARCs([]byte(data))
		assert.Error(t, err, name)
	}
	tbl, err := parseCARCs([]byte("code,description\n45,\"Charge exceeds fee schedule, ok\"\n18,Dup\n"))
	require.NoError(t, err)
	require.Len(t, tbl.list, 2)
	assert.Equal(t, DenialOther, tbl.list[0].Category)
	assert.Equal(t, "Charge exceeds fee schedule, ok", tbl.list[0].Description)
	assert.Equal(t, DenialDuplicate, tbl.list[1].Category)
}
