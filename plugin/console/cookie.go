package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// CookieName is the console's sign-in cookie. The __Secure- prefix makes
// browsers refuse it unless it is set Secure over HTTPS.
const CookieName = "__Secure-facegate-console"

// signIn is what the cookie carries, sealed: the admin token and session
// the console's admin calls are made with, and the CSRF token of this
// sign-in. It is never logged.
type signIn struct {
	Token   string `json:"t"`
	Session string `json:"s"`
	CSRF    string `json:"c"`
}

// sealer seals and opens cookie values with AES-256-GCM.
type sealer struct{ aead cipher.AEAD }

var (
	sealOnce sync.Once
	sealProc *sealer
	sealErr  error
)

// processSealer returns the process's sealer. Its key is random, made once
// per process and never written anywhere: it survives config reloads (so a
// reload does not sign anyone out), and a restart makes every console
// cookie worthless.
func processSealer() (*sealer, error) {
	sealOnce.Do(func() {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			sealErr = fmt.Errorf("console cookie key: %w", err)
			return
		}
		sealProc, sealErr = newSealer(key)
	})
	return sealProc, sealErr
}

func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("console cookie key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("console cookie key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// maxCookieLen bounds what open decodes.
const maxCookieLen = 1024

var errBadCookie = errors.New("console cookie is not valid")

// seal returns the cookie value of s.
func (x *sealer) seal(s signIn) (string, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, x.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := x.aead.Seal(nonce, nonce, plain, []byte(CookieName))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// open returns the sign-in sealed in a cookie value.
func (x *sealer) open(v string) (signIn, error) {
	var s signIn
	if len(v) > maxCookieLen {
		return s, errBadCookie
	}
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < x.aead.NonceSize() {
		return s, errBadCookie
	}
	n := x.aead.NonceSize()
	plain, err := x.aead.Open(nil, raw[:n], raw[n:], []byte(CookieName))
	if err != nil {
		return s, errBadCookie
	}
	if err := json.Unmarshal(plain, &s); err != nil || s.Token == "" || s.Session == "" || s.CSRF == "" {
		return signIn{}, errBadCookie
	}
	return s, nil
}
