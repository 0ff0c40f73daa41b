package x12

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAnyDetectsType(t *testing.T) {
	tests := []struct {
		file     string
		wantType string
		check    func(t *testing.T, v any)
	}{
		{"835/stupidedi_tr3_dollars-and-data-sent-separate.835", "835", func(t *testing.T, v any) {
			rs, ok := v.([]Remittance)
			require.True(t, ok, "%T", v)
			assert.True(t, dec("945").Equal(rs[0].Payment.Amount))
		}},
		{"837p/stupidedi_tr3_cob-billing-provider-to-payer-b.837", "837", func(t *testing.T, v any) {
			bs, ok := v.([]Batch837)
			require.True(t, ok, "%T", v)
			assert.Equal(t, "26407789", bs[0].Claims[0].PatientControlNumber)
		}},
		{"999/stupidedi_tr3_999_partial-accept.999", "999", func(t *testing.T, v any) {
			as, ok := v.([]Ack999)
			require.True(t, ok, "%T", v)
			assert.Equal(t, "P", as[0].GroupStatus)
		}},
		{"277/imsweb_277ca_rejected.277", "277", func(t *testing.T, v any) {
			rs, ok := v.([]ClaimStatusReport)
			require.True(t, ok, "%T", v)
			assert.True(t, rs[0].Claims[0].Rejected())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readTestdata(t, tt.file)
			typ, err := DetectType(data)
			require.NoError(t, err)
			assert.Equal(t, tt.wantType, typ)
			v, err := ParseAny(data)
			require.NoError(t, err)
			tt.check(t, v)
		})
	}
}

func TestParseAnyErrors(t *testing.T) {
	base := readTestdata(t, "999/999_accepted.999")
	_, err := ParseAny(mutate(t, base, "ST*999*", "ST*834*"))
	require.Error(t, err)
	assert.Equal(t, `x12: segment ST at position 3, element 1: unsupported transaction set "834"`, err.Error())

	v, err := ParseAny([]byte("garbage"))
	require.Error(t, err)
	assert.Nil(t, v)

	// A parse error must come back as a nil value, not a typed nil slice.
	v, err = ParseAny(mutate(t, base, "AK9*A*2*2*2", "AK9*A*2*x*2"))
	require.Error(t, err)
	assert.Nil(t, v)
}

func TestJSONIsReadable(t *testing.T) {
	for _, f := range []string{"835/era_reversal_plb.835", "837p/clinicflow_batch.837", "999/999_rejected.999", "277/277ca_accepted.277"} {
		t.Run(f, func(t *testing.T) {
			v, err := ParseAny(readTestdata(t, f))
			require.NoError(t, err)
			b, err := json.Marshal(v)
			require.NoError(t, err)
			var generic any
			require.NoError(t, json.Unmarshal(b, &generic))
			walkKeys(t, generic)
		})
	}
	// Decimals are strings, dates are YYYY-MM-DD.
	rs, err := Parse835(readTestdata(t, "835/era_reversal_plb.835"))
	require.NoError(t, err)
	b, err := json.Marshal(rs[0].Payment)
	require.NoError(t, err)
	assert.JSONEq(t, `{"handling_code":"I","amount":"127.5","credit_debit":"C","method":"ACH","format":"CCP","sender_account":"123456789","receiver_account":"987654321","date":"2024-03-15"}`, string(b))
}

// walkKeys asserts every JSON object key is snake_case.
func walkKeys(t *testing.T, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			assert.Equal(t, strings.ToLower(k), k, "key %q is not snake_case", k)
			assert.NotContains(t, k, "-")
			walkKeys(t, child)
		}
	case []any:
		for _, child := range x {
			walkKeys(t, child)
		}
	}
}

func TestDateJSON(t *testing.T) {
	var d Date
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
	d = NewDate(2024, 2, 29)
	b, err = json.Marshal(d)
	require.NoError(t, err)
	assert.Equal(t, `"2024-02-29"`, string(b))
	var back Date
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d, back)
	assert.Equal(t, "20240229", back.X12())
	require.Error(t, json.Unmarshal([]byte(`"2024-13-01"`), &back))
	_, err = ParseDate("20230229")
	assert.Error(t, err)
}
