package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Errors reported by VerifyDigest.
var (
	// ErrMissingDigest means a request with a body has no Content-Digest.
	ErrMissingDigest = errors.New("httpsig: content-digest missing")
	// ErrDigestMismatch means Content-Digest does not match the body read.
	ErrDigestMismatch = errors.New("httpsig: content-digest does not match body")
	// ErrDigestMalformed means Content-Digest cannot be parsed or has no sha-256.
	ErrDigestMalformed = errors.New("httpsig: content-digest malformed")
)

// ContentDigest returns the RFC 9530 Content-Digest field value for body,
// using sha-256: `sha-256=:<base64>:`.
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	var b strings.Builder
	b.WriteString("sha-256=")
	serializeItem(&b, sfItem{kind: kindBytes, b: sum[:]})
	return b.String()
}

// VerifyDigest recomputes the digest of body and compares it with the
// Content-Digest field of h. The field must carry a sha-256 member; a
// sha-512 member, when present, is checked too; other algorithms are
// ignored (RFC 9530 §2). A missing field is accepted only for an empty body.
func VerifyDigest(h http.Header, body []byte) error {
	values := h.Values("Content-Digest")
	if len(values) == 0 {
		if len(body) == 0 {
			return nil
		}
		return ErrMissingDigest
	}
	dict, err := parseDictionary(strings.Join(values, ", "))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDigestMalformed, err)
	}
	var haveSHA256 bool
	for _, e := range dict {
		var want []byte
		switch e.key {
		case "sha-256":
			s := sha256.Sum256(body)
			want = s[:]
			haveSHA256 = true
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		if e.val.isList || e.val.item.kind != kindBytes {
			return fmt.Errorf("%w: %s is not a byte sequence", ErrDigestMalformed, e.key)
		}
		if subtle.ConstantTimeCompare(e.val.item.b, want) != 1 {
			return ErrDigestMismatch
		}
	}
	if !haveSHA256 {
		return fmt.Errorf("%w: no sha-256 member", ErrDigestMalformed)
	}
	return nil
}
