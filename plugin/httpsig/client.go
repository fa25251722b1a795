package httpsig

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultContentType is set by SignRequest on a request without a body and
// without a Content-Type, because the profile covers content-type and a
// covered field must be present.
const DefaultContentType = "application/x-www-form-urlencoded"

// newParsed builds a signature description for signing.
func newParsed(label string, comps []component, params []sfParam) *Parsed {
	p := &Parsed{Label: label, components: comps, params: params}
	for _, c := range comps {
		p.Covered = append(p.Covered, c.String())
	}
	return p
}

func plain(names ...string) []component {
	out := make([]component, len(names))
	for i, n := range names {
		out[i] = component{name: n}
	}
	return out
}

func intP(k string, v int64) sfParam { return sfParam{k, sfItem{kind: kindInteger, i: v}} }
func strP(k, v string) sfParam       { return sfParam{k, sfItem{kind: kindString, s: v}} }
func setSignature(h http.Header, p *Parsed, sig []byte) {
	var buf [512]byte
	in := append(buf[:0], p.Label...)
	in = append(in, '=')
	in = p.appendParams(in)
	h.Set("Signature-Input", string(in))
	sv := append(buf[:0], p.Label...)
	sv = append(sv, '=')
	sv = appendBytes(sv, sig)
	h.Set("Signature", string(sv))
}

// NewNonce returns 128 random bits, base64url without padding.
func NewNonce() (string, error) {
	var b [MinNonceBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading random nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// SignRequest signs r for the facegate profile: it sets Content-Digest
// (sha-256 of body, which must be exactly what r will send), a default
// Content-Type when r has no body and none, and Signature-Input and
// Signature with label sig1, created=now, expires=now+MaxAge and a fresh
// random nonce. A request with a body but no Content-Type is an error.
func SignRequest(r *http.Request, body []byte, keyID string, secret []byte, now time.Time) error {
	if r == nil || r.URL == nil {
		return errors.New("signing request: nil request or URL")
	}
	if keyID == "" || !isValidString(keyID) {
		return errors.New("signing request: key id empty or not printable ASCII")
	}
	if len(secret) == 0 {
		return errors.New("signing request: empty secret")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	nonce, err := NewNonce()
	if err != nil {
		return fmt.Errorf("signing request: %w", err)
	}
	return signRequest(r, body, keyID, secret, now, nonce)
}

// signRequest signs with a given nonce; r is already checked.
func signRequest(r *http.Request, body []byte, keyID string, secret []byte, now time.Time, nonce string) error {
	if r.Header.Get("Content-Type") == "" {
		if len(body) > 0 {
			return errors.New("signing request: a body needs a Content-Type")
		}
		r.Header.Set("Content-Type", DefaultContentType)
	}
	r.Header.Set("Content-Digest", ContentDigest(body))
	created := now.Unix()
	p := newParsed(Label, plain(RequiredComponents...), []sfParam{
		intP("created", created),
		intP("expires", created+int64(MaxAge/time.Second)),
		strP("nonce", nonce),
		strP("keyid", keyID),
		strP("alg", Alg),
		strP("tag", Tag),
	})
	base, err := Base(r, p)
	if err != nil {
		return fmt.Errorf("signing request: %w", err)
	}
	setSignature(r.Header, p, mac(secret, base))
	return nil
}

// Transport is an http.RoundTripper that signs every request with
// SignRequest before passing it to Base (http.DefaultTransport if nil).
// The request body is read into memory to compute its digest.
type Transport struct {
	Base   http.RoundTripper
	KeyID  string
	Secret []byte
	// Now returns the signing time; time.Now if nil.
	Now func() time.Time
}

// RoundTrip signs a copy of req and sends it; req itself is not modified.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading request body to sign: %w", err)
		}
		body = b
	}
	out := req.Clone(req.Context())
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else {
		out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
	out.ContentLength = int64(len(body))
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	if err := SignRequest(out, body, t.KeyID, t.Secret, now()); err != nil {
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}

var _ http.RoundTripper = (*Transport)(nil)
