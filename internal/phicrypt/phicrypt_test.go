package phicrypt_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/phicrypt"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, phicrypt.KeySize) }

func ring(t *testing.T, current phicrypt.Key, old ...phicrypt.Key) *phicrypt.Keyring {
	t.Helper()
	k, err := phicrypt.NewKeyring(current, old, key(0xee))
	require.NoError(t, err)
	return k
}

func TestSealOpenRoundTripWithFreshNonces(t *testing.T) {
	k := ring(t, phicrypt.Key{ID: "k1", Key: key(1)})
	a, err := k.Seal("XJ123456")
	require.NoError(t, err)
	b, err := k.Seal("XJ123456")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(a, "phi1:k1:"), a)
	assert.NotContains(t, a, "XJ123456")
	assert.NotEqual(t, a, b, "every seal draws a fresh nonce")
	for _, v := range []string{a, b} {
		plain, err := k.Open(v)
		require.NoError(t, err)
		assert.Equal(t, "XJ123456", plain)
	}
	empty, err := k.Seal("")
	require.NoError(t, err)
	assert.Empty(t, empty, "an empty value stays empty")
}

func TestOpenPassesLegacyPlainTextThrough(t *testing.T) {
	k := ring(t, phicrypt.Key{ID: "k1", Key: key(1)})
	plain, err := k.Open("XJ123456")
	require.NoError(t, err)
	assert.Equal(t, "XJ123456", plain)
	assert.False(t, k.Current("XJ123456"), "legacy plain text needs rotation")
}

func TestOpenDetectsTampering(t *testing.T) {
	k := ring(t, phicrypt.Key{ID: "k1", Key: key(1)})
	v, err := k.Seal("XJ123456")
	require.NoError(t, err)
	body := strings.TrimPrefix(v, "phi1:k1:")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)
	raw[len(raw)-1] ^= 1
	flipped := "phi1:k1:" + base64.RawURLEncoding.EncodeToString(raw)
	for name, bad := range map[string]string{
		"flipped bit": flipped,
		"truncated":   v[:len(v)-6],
		"not base64":  "phi1:k1:!!!",
		"too short":   "phi1:k1:AAAA",
	} {
		_, err := k.Open(bad)
		assert.ErrorIs(t, err, phicrypt.ErrTampered, name)
	}
}

func TestOpenRefusesRelabelledKeyID(t *testing.T) {
	// Both keys are held; moving a value to the other id must not open it, as
	// the id is authenticated.
	k := ring(t, phicrypt.Key{ID: "k2", Key: key(2)}, phicrypt.Key{ID: "k1", Key: key(1)})
	v, err := k.Seal("XJ123456")
	require.NoError(t, err)
	_, err = k.Open(strings.Replace(v, "phi1:k2:", "phi1:k1:", 1))
	assert.ErrorIs(t, err, phicrypt.ErrTampered)
}

func TestOpenWithWrongKey(t *testing.T) {
	v, err := ring(t, phicrypt.Key{ID: "k1", Key: key(1)}).Seal("XJ123456")
	require.NoError(t, err)
	_, err = ring(t, phicrypt.Key{ID: "k1", Key: key(9)}).Open(v)
	assert.ErrorIs(t, err, phicrypt.ErrTampered, "same id, other key")
	_, err = ring(t, phicrypt.Key{ID: "k9", Key: key(9)}).Open(v)
	assert.ErrorIs(t, err, phicrypt.ErrUnknownKey, "key id not held")
}

func TestRotationOldKeyOpensAndResealMovesToCurrent(t *testing.T) {
	v1, err := ring(t, phicrypt.Key{ID: "k1", Key: key(1)}).Seal("XJ123456")
	require.NoError(t, err)
	k := ring(t, phicrypt.Key{ID: "k2", Key: key(2)}, phicrypt.Key{ID: "k1", Key: key(1)})
	assert.Equal(t, []string{"k2", "k1"}, k.KeyIDs())
	plain, err := k.Open(v1)
	require.NoError(t, err)
	assert.Equal(t, "XJ123456", plain, "an old key still opens what it sealed")
	assert.False(t, k.Current(v1))

	v2, err := k.Reseal(v1)
	require.NoError(t, err)
	id, ok := phicrypt.Sealed(v2)
	assert.True(t, ok)
	assert.Equal(t, "k2", id)
	assert.True(t, k.Current(v2))
	again, err := k.Reseal(v2)
	require.NoError(t, err)
	assert.Equal(t, v2, again, "resealing a current value changes nothing (idempotent)")

	legacy, err := k.Reseal("XJ123456")
	require.NoError(t, err)
	assert.True(t, k.Current(legacy), "legacy plain text is sealed")

	// After rotation the old key can go: the new keyring alone opens v2.
	plain, err = ring(t, phicrypt.Key{ID: "k2", Key: key(2)}).Open(v2)
	require.NoError(t, err)
	assert.Equal(t, "XJ123456", plain)
}

func TestLookupIsStableNormalisedAndKeyed(t *testing.T) {
	k := ring(t, phicrypt.Key{ID: "k1", Key: key(1)})
	h := k.Lookup("XJ-123 456")
	assert.Len(t, h, 64)
	assert.Equal(t, h, k.Lookup("xj123456"), "case, spaces and dashes do not matter")
	assert.Equal(t, h, ring(t, phicrypt.Key{ID: "k2", Key: key(2)}).Lookup("XJ123456"),
		"the lookup hash does not depend on the encryption key: rotating it keeps lookups working")
	assert.NotEqual(t, h, k.Lookup("XJ123457"))
	other, err := phicrypt.NewKeyring(phicrypt.Key{ID: "k1", Key: key(1)}, nil, key(0xef))
	require.NoError(t, err)
	assert.NotEqual(t, h, other.Lookup("XJ123456"), "the hash is keyed: without the lookup key it cannot be recomputed")
	assert.Empty(t, k.Lookup(" - "))
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	for name, c := range map[string]struct {
		cur    phicrypt.Key
		old    []phicrypt.Key
		lookup []byte
	}{
		"short key":         {phicrypt.Key{ID: "k1", Key: key(1)[:16]}, nil, key(0xee)},
		"bad id":            {phicrypt.Key{ID: "k:1", Key: key(1)}, nil, key(0xee)},
		"lookup = aes key":  {phicrypt.Key{ID: "k1", Key: key(1)}, nil, key(1)},
		"lookup = old key":  {phicrypt.Key{ID: "k2", Key: key(2)}, []phicrypt.Key{{ID: "k1", Key: key(0xee)}}, key(0xee)},
		"duplicate id":      {phicrypt.Key{ID: "k1", Key: key(1)}, []phicrypt.Key{{ID: "k1", Key: key(2)}}, key(0xee)},
		"old = current key": {phicrypt.Key{ID: "k2", Key: key(1)}, []phicrypt.Key{{ID: "k1", Key: key(1)}}, key(0xee)},
		"short lookup":      {phicrypt.Key{ID: "k1", Key: key(1)}, nil, key(0xee)[:8]},
	} {
		_, err := phicrypt.NewKeyring(c.cur, c.old, c.lookup)
		assert.Error(t, err, name)
	}
}

func TestTextSealsForTheDatabaseAndOpensOnScan(t *testing.T) {
	prev := phicrypt.Active()
	t.Cleanup(func() { phicrypt.Install(prev) })

	phicrypt.Install(nil)
	_, err := phicrypt.Text("XJ123456").Value()
	assert.ErrorIs(t, err, phicrypt.ErrNoKeyring, "never written in plain text without a key")

	phicrypt.Install(ring(t, phicrypt.Key{ID: "k1", Key: key(1)}))
	v, err := phicrypt.Text("XJ123456").Value()
	require.NoError(t, err)
	s, ok := v.(string)
	require.True(t, ok)
	assert.NotContains(t, s, "XJ123456")

	var got phicrypt.Text
	require.NoError(t, got.Scan([]byte(s)))
	assert.Equal(t, phicrypt.Text("XJ123456"), got)
	require.NoError(t, got.Scan("LEGACY-1"))
	assert.Equal(t, phicrypt.Text("LEGACY-1"), got)
	require.NoError(t, got.Scan(nil))
	assert.Empty(t, got)
	assert.Error(t, got.Scan(42))
}
