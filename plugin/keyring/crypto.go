package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// ServerKeySize is the length in bytes of the server key given to New.
const ServerKeySize = 32

const (
	// KeyIDPrefix starts every API key id.
	KeyIDPrefix = "fg_live_"
	// keyIDRandomBytes is 120 bits of randomness (24 base32 characters).
	keyIDRandomBytes = 15
	// secretBytes is 256 bits of randomness (43 base64url characters).
	secretBytes = 32
	// adminTokenPrefix starts every administrator token.
	adminTokenPrefix = "fga_"
)

var (
	lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	errUnseal   = errors.New("cannot unseal secret (wrong server key or tampered record)")
)

// cryptoKeys are the sub-keys derived from the server key. The server key
// itself is not retained.
type cryptoKeys struct {
	secretPepper []byte      // HMAC key for API secret hashes
	tokenPepper  []byte      // HMAC key for admin token hashes
	aead         cipher.AEAD // AES-256-GCM for sealed secrets
	// secretMACs are HMACs keyed with secretPepper, reused: every request in
	// secret mode hashes its secret, and keying a new HMAC costs six
	// allocations and two hash blocks.
	secretMACs sync.Pool
}

// deriveKeys expands the server key into independent sub-keys with
// HMAC-SHA256 over distinct labels (HKDF-Expand with a single block).
func deriveKeys(serverKey []byte) (*cryptoKeys, error) {
	if len(serverKey) != ServerKeySize {
		return nil, fmt.Errorf("server key must be %d bytes, got %d", ServerKeySize, len(serverKey))
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, serverKey)
		m.Write([]byte(label))
		m.Write([]byte{1})
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("facegate/keyring/seal/v1"))
	if err != nil {
		return nil, fmt.Errorf("creating cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating gcm: %w", err)
	}
	c := &cryptoKeys{
		secretPepper: derive("facegate/keyring/secret-pepper/v1"),
		tokenPepper:  derive("facegate/keyring/admin-token-pepper/v1"),
		aead:         aead,
	}
	c.secretMACs.New = func() any {
		m := hmac.New(sha256.New, c.secretPepper)
		m.Reset() // records the keyed states for the following Resets
		return m
	}
	return c, nil
}

// hashSecret returns the peppered hash of an API secret, bound to its key id.
func (c *cryptoKeys) hashSecret(id, secret string) []byte {
	m := c.secretMACs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, id)
	m.Write([]byte{0})
	io.WriteString(m, secret)
	sum := m.Sum(make([]byte, 0, sha256.Size))
	c.secretMACs.Put(m)
	return sum
}

// hashToken returns the peppered hash of an administrator token.
func (c *cryptoKeys) hashToken(token string) []byte {
	m := hmac.New(sha256.New, c.tokenPepper)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// seal encrypts plaintext with AES-GCM under a random nonce; aad binds the
// result to its record. The output is nonce || ciphertext.
func (c *cryptoKeys) seal(plaintext []byte, aad string) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plaintext)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("reading random nonce: %w", err)
	}
	return c.aead.Seal(nonce, nonce, plaintext, []byte(aad)), nil
}

// unseal reverses seal.
func (c *cryptoKeys) unseal(sealed []byte, aad string) ([]byte, error) {
	ns := c.aead.NonceSize()
	if len(sealed) < ns+c.aead.Overhead() {
		return nil, errUnseal
	}
	out, err := c.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(aad))
	if err != nil {
		return nil, errUnseal
	}
	return out, nil
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	return b, nil
}

// newKeyID returns a fresh public key id: fg_live_ + 120 random bits.
func newKeyID() (string, error) {
	b, err := randomBytes(keyIDRandomBytes)
	if err != nil {
		return "", err
	}
	return KeyIDPrefix + lowerBase32.EncodeToString(b), nil
}

// newSecret returns a fresh API secret: 256 random bits, base64url text.
func newSecret() (string, error) {
	b, err := randomBytes(secretBytes)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newAdminToken returns a fresh administrator token: fga_ + 256 random bits.
func newAdminToken() (string, error) {
	b, err := randomBytes(secretBytes)
	if err != nil {
		return "", err
	}
	return adminTokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}
