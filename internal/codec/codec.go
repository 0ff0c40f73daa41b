// Package codec encrypts Temporal payloads with AES-256-GCM so patient data in
// workflow inputs, results and state is never stored in plaintext in histories.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Metadata keys and values on encrypted payloads.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	EncodingAESGCM   = "binary/encrypted-aes256gcm"
)

// AESGCM is a converter.PayloadCodec that seals each payload whole (metadata and
// data) with AES-256-GCM. The key id, a hash prefix of the key, travels in the
// metadata so a wrong key is reported as such.
type AESGCM struct {
	aead  cipher.AEAD
	keyID string
}

// New returns a codec for a 32-byte key.
func New(key []byte) (*AESGCM, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("codec: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &AESGCM{aead: aead, keyID: hex.EncodeToString(sum[:4])}, nil
}

// KeyID identifies the key without revealing it.
func (c *AESGCM) KeyID() string { return c.keyID }

// Encode encrypts payloads.
func (c *AESGCM) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := p.Marshal()
		if err != nil {
			return nil, fmt.Errorf("codec: marshal payload: %w", err)
		}
		nonce := make([]byte, c.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingAESGCM),
				MetadataKeyID:    []byte(c.keyID),
			},
			Data: c.aead.Seal(nonce, nonce, plain, []byte(c.keyID)),
		}
	}
	return out, nil
}

// Decode decrypts payloads this codec encrypted and passes others through.
func (c *AESGCM) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingAESGCM {
			out[i] = p
			continue
		}
		if id := string(p.GetMetadata()[MetadataKeyID]); id != c.keyID {
			return nil, fmt.Errorf("codec: payload was encrypted with key %s, this process has key %s (check ENCRYPTION_KEY)", id, c.keyID)
		}
		n := c.aead.NonceSize()
		if len(p.Data) < n {
			return nil, fmt.Errorf("codec: encrypted payload too short")
		}
		plain, err := c.aead.Open(nil, p.Data[:n], p.Data[n:], []byte(c.keyID))
		if err != nil {
			return nil, fmt.Errorf("codec: decrypt payload: %w", err)
		}
		var dp commonpb.Payload
		if err := dp.Unmarshal(plain); err != nil {
			return nil, fmt.Errorf("codec: unmarshal payload: %w", err)
		}
		out[i] = &dp
	}
	return out, nil
}

// DataConverter returns the default data converter wrapped with encryption.
func DataConverter(key []byte) (converter.DataConverter, error) {
	c, err := New(key)
	if err != nil {
		return nil, err
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c), nil
}

// FailureConverter encodes failure messages and stack traces with dc, so error
// text (which may quote input) is encrypted in histories like any payload.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: true,
	})
}
