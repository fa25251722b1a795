package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
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
	var buf [len(sha256Prefix) + sha256B64Len + 1]byte
	return string(appendBytes(append(buf[:0], "sha-256="...), sum[:]))
}

// sha256Prefix starts the usual Content-Digest value, and sha256B64Len is
// the length of a sha-256 digest in padded base64.
const (
	sha256Prefix = "sha-256=:"
	sha256B64Len = (sha256.Size + 2) / 3 * 4
)

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
	if len(values) == 1 {
		if handled, err := verifySHA256Only(values[0], body); handled {
			return err
		}
	}
	return verifyDigestDict(joinLines(values), body)
}

// verifyDigestDict is VerifyDigest for a present field with value v,
// through the general dictionary parser.
func verifyDigestDict(v string, body []byte) error {
	var buf [2]sfEntry
	dict, err := appendDictionary(buf[:0], v)
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

// verifySHA256Only is the fast path of VerifyDigest for the usual field
// value, a lone `sha-256=:<base64>:` member exactly as ContentDigest writes
// it. handled is false when v has any other form; the general parser then
// decides. When handled, err is what the general path would return: for such a
// value it parses one sha-256 byte sequence, whose base64 is checked here
// with the same character set and strict decoding.
func verifySHA256Only(v string, body []byte) (handled bool, err error) {
	if len(v) != len(sha256Prefix)+sha256B64Len+1 || v[:len(sha256Prefix)] != sha256Prefix || v[len(v)-1] != ':' {
		return false, nil
	}
	raw := v[len(sha256Prefix) : len(v)-1]
	var src [sha256B64Len]byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return false, nil
		}
		src[i] = c
	}
	var got [sha256B64Len]byte // decodes to at most 33 bytes
	n, derr := base64.StdEncoding.Strict().Decode(got[:], src[:])
	if derr != nil {
		return false, nil
	}
	want := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(got[:n], want[:]) != 1 {
		return true, ErrDigestMismatch
	}
	return true, nil
}
