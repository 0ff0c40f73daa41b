package x12

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// autoAccidentClaim is originalClaim billed to an auto insurer for an
// accident in Illinois, with the insurer's claim number.
func autoAccidentClaim() Claim837 {
	c := originalClaim()
	c.PatientControlNumber = "PCN2001"
	c.Accident = &Accident{Cause: CauseAutoAccident, State: "IL", Date: NewDate(2024, 1, 28)}
	c.Subscriber.PropertyCasualtyClaimNumber = "ACM-77-1234"
	return c
}

func TestWrite837AutoAccidentParsesBack(t *testing.T) {
	out, err := Write837(testBatch(autoAccidentClaim()))
	require.NoError(t, err)
	segs := segmentsOf(t, out)
	assert.Equal(t, []string{"CLM*PCN2001*235.5***11:B:1*Y*A*Y*Y**AA:::IL"}, findSegments(segs, "CLM"))
	assert.Contains(t, findSegments(segs, "DTP"), "DTP*439*D8*20240128")
	assert.Contains(t, findSegments(segs, "REF"), "REF*Y4*ACM-77-1234")
	// 2300 order (X222A1): CLM, then its DTP segments, then REF and HI.
	s := string(out)
	assert.Less(t, strings.Index(s, "CLM*"), strings.Index(s, "DTP*439"))
	assert.Less(t, strings.Index(s, "DTP*439"), strings.Index(s, "HI*"))
	// 2010BA order: NM1*IL, address, DMG, REF*Y4, then the payer (2010BB).
	assert.Less(t, strings.Index(s, "DMG*"), strings.Index(s, "REF*Y4"))
	assert.Less(t, strings.Index(s, "REF*Y4"), strings.Index(s, "NM1*PR"))

	bs, err := Parse837(out)
	require.NoError(t, err)
	require.Len(t, bs, 1)
	require.Len(t, bs[0].Claims, 1)
	got := bs[0].Claims[0]
	require.NotNil(t, got.Accident)
	assert.Equal(t, CauseAutoAccident, got.Accident.Cause)
	assert.Equal(t, "IL", got.Accident.State)
	assert.Equal(t, NewDate(2024, 1, 28), got.Accident.Date)
	assert.Equal(t, "ACM-77-1234", got.Subscriber.PropertyCasualtyClaimNumber)
	// Written again from what was read, the file is the same.
	again, err := Write837(&bs[0])
	require.NoError(t, err)
	assert.Equal(t, string(out), string(again))
}

func TestWrite837EmploymentClaim(t *testing.T) {
	c := originalClaim()
	c.Accident = &Accident{Cause: CauseEmployment, Date: NewDate(2024, 1, 5)}
	out, err := Write837(testBatch(c))
	require.NoError(t, err)
	segs := segmentsOf(t, out)
	assert.Equal(t, []string{"CLM*PCN1001*235.5***11:B:1*Y*A*Y*Y**EM"}, findSegments(segs, "CLM"))
	bs, err := Parse837(out)
	require.NoError(t, err)
	assert.Equal(t, CauseEmployment, bs[0].Claims[0].Accident.Cause)
}

func TestWrite837AccidentValidation(t *testing.T) {
	for _, tc := range []struct {
		accident Accident
		want     string
	}{
		{Accident{Cause: CauseAutoAccident, Date: NewDate(2024, 1, 28)}, "accident state"},
		{Accident{Cause: CauseAutoAccident, State: "IL"}, "accident date"},
		{Accident{Cause: CauseOtherAccident}, "accident date"},
		{Accident{Cause: "XX"}, "must be AA, EM or OA"},
	} {
		c := originalClaim()
		a := tc.accident
		c.Accident = &a
		_, err := Write837(testBatch(c))
		require.Error(t, err, "%+v", tc.accident)
		assert.Contains(t, err.Error(), tc.want)
	}
}
