// Package testkey holds the fixed payload-encryption key the tests use, so
// workflow histories recorded by one test can be replayed by another.
package testkey

import "bytes"

// Key is the AES-256 key of test runs. It protects nothing real.
var Key = bytes.Repeat([]byte{0x5a}, 32)
