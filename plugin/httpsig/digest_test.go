package httpsig

import (
	"errors"
	"net/http"
	"testing"
)

func TestVerifyDigest(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	// RFC 9530 Appendix B.1 / RFC 9421 B.2 values for {"hello": "world"}.
	const sha256v = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
	const sha512v = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
	tests := []struct {
		name   string
		values []string
		body   []byte
		want   error
	}{
		{name: "sha-256", values: []string{sha256v}, body: body},
		{name: "sha-256 and sha-512", values: []string{sha256v + ", " + sha512v}, body: body},
		{name: "two field lines", values: []string{sha512v, sha256v}, body: body},
		{name: "unknown algorithm ignored", values: []string{"md5=:AAAA:, " + sha256v}, body: body},
		{name: "only sha-512", values: []string{sha512v}, body: body, want: ErrDigestMalformed},
		{name: "bad sha-512 next to good sha-256", values: []string{sha256v + ", sha-512=:AAAA:"}, body: body, want: ErrDigestMismatch},
		{name: "mismatch", values: []string{sha256v}, body: []byte("other"), want: ErrDigestMismatch},
		{name: "missing with body", body: body, want: ErrMissingDigest},
		{name: "missing without body", body: nil},
		{name: "not a byte sequence", values: []string{`sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="`}, body: body, want: ErrDigestMalformed},
		{name: "garbage", values: []string{"sha-256=:::"}, body: body, want: ErrDigestMalformed},
		{name: "duplicate sha-256", values: []string{sha256v + ", sha-256=:AAAA:"}, body: body, want: ErrDigestMalformed},
		{name: "empty body digest", values: []string{ContentDigest(nil)}, body: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Content-Digest", v)
			}
			err := VerifyDigest(h, tt.body)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if got := ContentDigest(body); got != sha256v {
		t.Fatalf("ContentDigest = %s", got)
	}
}
