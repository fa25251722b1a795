package httpsig

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"net/http"
	"sync"
	"time"
)

// Key is a signing secret prepared for HMAC-SHA256 once: it keeps keyed HMAC states for
// reuse, so that a server checking many signatures under one secret does not key a new HMAC
// (six allocations and two hash blocks for the padded key) for each: crypto/hmac's Reset
// restores the precomputed inner and outer states (FIPS 198-1 §6). The states are as
// sensitive as the secret: whoever holds the secret holds its Key and drops both together
// (facegate's keyring keeps them in its cache of unsealed secrets). httpsig itself keeps no
// secret from one call to the next; the functions that take a secret key a new HMAC each time.
type Key struct {
	states sync.Pool
	empty  bool
}

// NewKey prepares secret (copied) for signing and verifying.
func NewKey(secret []byte) *Key {
	s := bytes.Clone(secret)
	k := &Key{empty: len(s) == 0}
	k.states.New = func() any {
		h := hmac.New(sha256.New, s)
		h.Reset() // records the keyed states for the following Resets
		return h
	}
	return k
}

// sum is HMAC-SHA256 of base under the key.
func (k *Key) sum(base []byte) []byte {
	h := k.states.Get().(hash.Hash)
	h.Reset()
	h.Write(base)
	out := h.Sum(make([]byte, 0, sha256.Size))
	k.states.Put(h)
	return out
}

// mac is HMAC-SHA256 of base under secret, keyed for this one call.
func mac(secret, base []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(base)
	return h.Sum(make([]byte, 0, sha256.Size))
}

// Verify is the package's Verify under a prepared key.
func (k *Key) Verify(r *http.Request, body []byte, p *Parsed, now time.Time) (Result, error) {
	return check(r, body, true, p, k, now)
}

// VerifyHeaders is Verify without the body: it checks the profile, the time window and the
// signature, whose content-digest is the header's value, not yet compared with a body. A
// server uses it to decide whether a request is worth reading in full; Verify must still run
// on the body that was read.
func (k *Key) VerifyHeaders(r *http.Request, p *Parsed, now time.Time) (Result, error) {
	return check(r, nil, false, p, k, now)
}

// SignResponse is the package's SignResponse under a prepared key.
func (k *Key) SignResponse(w http.Header, status int, body []byte, reqSig *Parsed, now time.Time) error {
	return signResponse(w, status, body, reqSig, k, now)
}
