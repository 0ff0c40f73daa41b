package codec

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestRoundTripHidesPlaintext(t *testing.T) {
	dc, err := DataConverter(key(1))
	require.NoError(t, err)
	type patient struct{ Name, DOB string }
	p, err := dc.ToPayload(patient{Name: "Jane Roe", DOB: "1980-02-03"})
	require.NoError(t, err)
	require.NotContains(t, string(p.Data), "Jane")
	require.Equal(t, EncodingAESGCM, string(p.Metadata[MetadataEncoding]))
	var back patient
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, "Jane Roe", back.Name)
}

func TestWrongKeyIsRefused(t *testing.T) {
	a, _ := DataConverter(key(1))
	b, _ := DataConverter(key(2))
	p, err := a.ToPayload("secret")
	require.NoError(t, err)
	var s string
	err = b.FromPayload(p, &s)
	require.ErrorContains(t, err, "ENCRYPTION_KEY")
}

func TestTamperedPayloadFails(t *testing.T) {
	c, _ := New(key(3))
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	p, _ := dc.ToPayload("amount 10.00")
	p.Data[len(p.Data)-1] ^= 1
	var s string
	require.Error(t, dc.FromPayload(p, &s))
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	c, _ := New(key(4))
	plain, _ := converter.GetDefaultDataConverter().ToPayload("x")
	out, err := c.Decode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Equal(t, plain.Data, out[0].Data)
}

func TestKeyLength(t *testing.T) {
	_, err := New([]byte("short"))
	require.Error(t, err)
}
