package clearinghouse

import (
	"testing"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// IK303 names the X222A1 loop of the segment in error.
func TestLoop837(t *testing.T) {
	dep := claim("PCNL", "W1", "100")
	dep.Patient = &x12.Patient{Relationship: "19", LastName: "DOE", FirstName: "JANE", BirthDate: x12.NewDate(2012, 7, 1), Gender: "F",
		Address: &x12.Address{Line1: "45 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"}}
	segs, err := x12.Tokenize(batch(t, 1, dep))
	require.NoError(t, err)
	st := 0
	got := map[string]string{}
	for _, s := range segs {
		if s.ID == "ST" {
			st = s.Position
		}
		key := s.ID
		if s.ID == "NM1" || s.ID == "HL" {
			key += "*" + s.El(1)
			if s.ID == "HL" {
				key = "HL*" + s.El(3)
			}
		}
		if _, seen := got[key]; !seen && st > 0 {
			got[key] = loop837(segs, st, s.Position)
		}
	}
	want := map[string]string{"BHT": "", "NM1*41": "1000A", "PER": "1000A", "NM1*40": "1000B", "HL*20": "2000A",
		"NM1*85": "2010AA", "N4": "2010AA", "HL*22": "2000B", "SBR": "2000B", "NM1*IL": "2010BA", "NM1*PR": "2010BB",
		"HL*23": "2000C", "PAT": "2000C", "NM1*QC": "2010CA", "CLM": "2300", "HI": "2300", "LX": "2400", "SV1": "2400", "SE": ""}
	for k, v := range want {
		assert.Equal(t, v, got[k], k)
	}
}

func TestElementErrorCode(t *testing.T) {
	for msg, want := range map[string]string{`invalid amount "1X0"`: "6", `invalid number "x"`: "6", `invalid date "20241341"`: "8",
		"missing required amount": "1", `invalid place of service composite "11"`: "7"} {
		assert.Equal(t, want, elementErrorCode(msg), msg)
	}
	assert.Equal(t, "782", elementRef("CLM", 2))
	assert.Equal(t, "", elementRef("CLM", 40))
}
