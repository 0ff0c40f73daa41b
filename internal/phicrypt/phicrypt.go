// Package phicrypt encrypts the most sensitive PHI columns at rest (member IDs,
// group numbers, insurer claim numbers, the patient identifiers of an 835, the
// EDI files kept whole) at the application level, so a database dump, a
// replica or a backup does not hold them in plain text.
//
// A value is sealed with AES-256-GCM under a random 96-bit nonce and stored as
//
//	phi1:<key id>:<base64url(nonce || ciphertext || tag)>
//
// The key id names which key of the Keyring sealed it, so several keys can be
// held at once: the current key seals, old keys only open (key rotation, see
// README "PHI at rest"). The prefix and key id are authenticated (GCM
// additional data), so a value cannot be relabelled to another key.
//
// Exact-match lookups (find a patient by member ID) use Lookup: an
// HMAC-SHA256 of the normalised value under a separate lookup key, never the
// encryption key, stored beside the ciphertext and indexed.
//
// Values without the prefix are legacy plain text written before encryption;
// they read as they are until `rcm phi rotate` seals them.
package phicrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"unicode"
)

// Prefix starts every sealed value; the version says how the rest is laid out.
const Prefix = "phi1:"

// KeySize is the size of every key: AES-256 and the HMAC lookup key.
const KeySize = 32

// ErrNoKeyring is returned when a sealed value is written or read before the
// process installed its keys (Install): the value is never written in plain
// text instead.
var ErrNoKeyring = errors.New("phicrypt: no PHI keyring installed (PHI_KEY / PHI_LOOKUP_KEY, see README \"PHI at rest\")")

// ErrUnknownKey is returned when a value was sealed under a key the keyring
// does not hold (an old key dropped from PHI_OLD_KEYS before `rcm phi rotate`
// finished, or another installation's key).
var ErrUnknownKey = errors.New("phicrypt: value sealed under a key this keyring does not hold")

// ErrTampered is returned when a sealed value does not authenticate: it was
// changed, truncated, or sealed under a different key with the same id.
var ErrTampered = errors.New("phicrypt: sealed value does not authenticate (tampered or wrong key)")

var keyIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Keyring holds the current key (seals and opens), old keys (open only) and
// the lookup key (keyed hashes). It is safe for concurrent use.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
	lookup  []byte
}

// Key is one encryption key and the id it is stored under.
type Key struct {
	ID  string
	Key []byte
}

// NewKeyring builds a keyring. current seals new values; old keys still open
// what they sealed; lookup keys the exact-match hash and must differ from every
// encryption key.
func NewKeyring(current Key, old []Key, lookup []byte) (*Keyring, error) {
	k := &Keyring{current: current.ID, aeads: map[string]cipher.AEAD{}}
	for i, key := range append([]Key{current}, old...) {
		if !keyIDRe.MatchString(key.ID) {
			return nil, fmt.Errorf("phicrypt: key id %q must be 1 to 32 letters, digits, '-' or '_'", key.ID)
		}
		if len(key.Key) != KeySize {
			return nil, fmt.Errorf("phicrypt: key %q must be %d bytes, got %d", key.ID, KeySize, len(key.Key))
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("phicrypt: key id %q given twice", key.ID)
		}
		if i > 0 && subtle.ConstantTimeCompare(key.Key, current.Key) == 1 {
			return nil, fmt.Errorf("phicrypt: old key %q is the current key under another id", key.ID)
		}
		if subtle.ConstantTimeCompare(key.Key, lookup) == 1 {
			return nil, fmt.Errorf("phicrypt: the lookup key must differ from encryption key %q", key.ID)
		}
		block, err := aes.NewCipher(key.Key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[key.ID] = aead
	}
	if len(lookup) != KeySize {
		return nil, fmt.Errorf("phicrypt: lookup key must be %d bytes, got %d", KeySize, len(lookup))
	}
	k.lookup = append([]byte(nil), lookup...)
	return k, nil
}

// CurrentID is the id of the key that seals new values.
func (k *Keyring) CurrentID() string { return k.current }

// KeyIDs lists the ids of every key held, current first, then old ones sorted.
func (k *Keyring) KeyIDs() []string {
	var old []string
	for id := range k.aeads {
		if id != k.current {
			old = append(old, id)
		}
	}
	sort.Strings(old)
	return append([]string{k.current}, old...)
}

func aad(id string) []byte { return []byte(Prefix + id) }

// Seal encrypts plain under the current key. The empty string stays empty (an
// absent group number is not a secret, and columns default to ”).
func (k *Keyring) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("phicrypt: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plain), aad(k.current))
	return Prefix + k.current + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value; legacy plain text (no prefix) is returned as it is.
func (k *Keyring) Open(v string) (string, error) {
	id, body, sealed := split(v)
	if !sealed {
		return v, nil
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", fmt.Errorf("%w (key id %q; held: %s)", ErrUnknownKey, id, strings.Join(k.KeyIDs(), ", "))
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrTampered
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad(id))
	if err != nil {
		return "", ErrTampered
	}
	return string(plain), nil
}

// Current reports whether v needs no rotation: it is empty or sealed under
// the current key. Legacy plain text and values under old keys are not.
func (k *Keyring) Current(v string) bool {
	if v == "" {
		return true
	}
	id, _, sealed := split(v)
	return sealed && id == k.current
}

// Reseal opens v (sealed under any held key, or legacy plain text) and seals
// it under the current key; a value already current is returned unchanged.
func (k *Keyring) Reseal(v string) (string, error) {
	if k.Current(v) {
		return v, nil
	}
	plain, err := k.Open(v)
	if err != nil {
		return "", err
	}
	return k.Seal(plain)
}

// Lookup is the keyed hash of v for exact-match lookups: hex HMAC-SHA256
// under the lookup key of v normalised (letters and digits only, upper case),
// so "xj-123 456" finds "XJ123456". Empty for an empty value.
func (k *Keyring) Lookup(v string) string {
	n := Normalize(v)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.lookup)
	m.Write([]byte(n))
	return hex.EncodeToString(m.Sum(nil))
}

// Normalize is what Lookup hashes: v's letters and digits, upper case.
func Normalize(v string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r):
			return unicode.ToUpper(r)
		case unicode.IsDigit(r):
			return r
		}
		return -1
	}, v)
}

// Sealed reports whether v is a sealed value (under any key) and its key id.
func Sealed(v string) (keyID string, ok bool) {
	id, _, ok := split(v)
	return id, ok
}

func split(v string) (id, body string, ok bool) {
	rest, found := strings.CutPrefix(v, Prefix)
	if !found {
		return "", "", false
	}
	id, body, found = strings.Cut(rest, ":")
	if !found || !keyIDRe.MatchString(id) {
		return "", "", false
	}
	return id, body, true
}

var active atomic.Pointer[Keyring]

// Install makes k the process's keyring, used by Text and the package-level
// functions. The process installs it once at start (main, test helpers).
func Install(k *Keyring) { active.Store(k) }

// Active returns the installed keyring, or nil.
func Active() *Keyring { return active.Load() }

func installed() (*Keyring, error) {
	k := active.Load()
	if k == nil {
		return nil, ErrNoKeyring
	}
	return k, nil
}

// Seal seals plain under the installed keyring's current key.
func Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	k, err := installed()
	if err != nil {
		return "", err
	}
	return k.Seal(plain)
}

// Open opens v with the installed keyring; legacy plain text passes through.
func Open(v string) (string, error) {
	if _, sealed := Sealed(v); !sealed {
		return v, nil
	}
	k, err := installed()
	if err != nil {
		return "", err
	}
	return k.Open(v)
}

// Lookup is the installed keyring's keyed hash of v (Keyring.Lookup).
func Lookup(v string) (string, error) {
	k, err := installed()
	if err != nil {
		return "", err
	}
	return k.Lookup(v), nil
}
