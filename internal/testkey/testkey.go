// Package testkey holds the fixed keys the tests use: the payload-encryption
// key, so workflow histories recorded by one test can be replayed by another,
// and the PHI-at-rest keys (internal/phicrypt).
package testkey

import (
	"bytes"

	"github.com/clinicflow/rcm/internal/phicrypt"
)

// Key is the AES-256 key of test runs. It protects nothing real.
var Key = bytes.Repeat([]byte{0x5a}, 32)

// PHIKeyID, PHIKey and PHILookupKey are the PHI-at-rest keys of test runs:
// the current encryption key, its id, and the lookup-hash key.
var (
	PHIKeyID     = "test1"
	PHIKey       = bytes.Repeat([]byte{0x3c}, 32)
	PHILookupKey = bytes.Repeat([]byte{0x7e}, 32)
)

// PHIKeyring is the keyring of test runs.
func PHIKeyring() *phicrypt.Keyring {
	k, err := phicrypt.NewKeyring(phicrypt.Key{ID: PHIKeyID, Key: PHIKey}, nil, PHILookupKey)
	if err != nil {
		panic(err)
	}
	return k
}

// InstallPHI installs the test keyring unless the process has one already
// (a test that rotates keys installs its own and restores the previous one).
func InstallPHI() {
	if phicrypt.Active() == nil {
		phicrypt.Install(PHIKeyring())
	}
}
