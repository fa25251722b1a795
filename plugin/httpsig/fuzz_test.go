package httpsig

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/dunglas/httpsfv"
)

// Seed inputs live in testdata/fuzz/<FuzzName>/ too; run for example
//
//	go test ./plugin/httpsig -run '^$' -fuzz FuzzParseRequest -fuzztime 30s

func FuzzParseRequest(f *testing.F) {
	f.Add(`sig1=("@method" "@authority" "@path" "@query" "content-type" "content-digest");created=1700000000;expires=1700000300;nonce="AAECAwQFBgcICQoLDA0ODw";keyid="k";alg="hmac-sha256";tag="facegate/v1"`, `sig1=:AAECAwQFBgcICQoLDA0ODw==:`)
	f.Add(`sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`, `sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:`)
	f.Add(`sig1=("@status" "signature";req;key="sig1")`, `sig1=:AA==:`)
	f.Add(`sig1=();created=1;created=2`, `sig1=:AA==:`)
	f.Fuzz(func(t *testing.T, input, sig string) {
		h := http.Header{"Signature-Input": {input}, "Signature": {sig}}
		p, err := ParseRequest(h)
		if err != nil {
			return
		}
		// The serialized parameters must parse back to the same signature.
		h2 := http.Header{"Signature-Input": {p.Label + "=" + p.SignatureParams()}, "Signature": {sig}}
		p2, err := ParseLabel(h2, p.Label)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", p.SignatureParams(), err)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip changed the signature:\n%+v\n%+v", p, p2)
		}
		// Building a base and verifying never panics.
		r := httptest.NewRequest("POST", "/p?q", strings.NewReader("b"))
		r.Header = h.Clone()
		r.Header.Set("Content-Type", "text/plain")
		r.Header.Set("Content-Digest", ContentDigest([]byte("b")))
		_, _ = Base(r, p)
		if res, err := Verify(r, []byte("b"), p, []byte("secret"), testNow); err == nil || res.Valid {
			t.Fatal("a fuzzed signature verified")
		}
	})
}

func FuzzVerifyDigest(f *testing.F) {
	f.Add("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", []byte(`{"hello": "world"}`))
	f.Add("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:AAAA:", []byte("x"))
	f.Add("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", []byte{})
	f.Fuzz(func(t *testing.T, field string, body []byte) {
		h := http.Header{"Content-Digest": {field}}
		if err := VerifyDigest(h, body); err == nil {
			// Accepting means a sha-256 member matched this very body.
			if !strings.Contains(field, ContentDigest(body)[len("sha-256="):]) {
				t.Fatalf("accepted %q for a body whose digest is %s", field, ContentDigest(body))
			}
		}
		if err := VerifyDigest(http.Header{"Content-Digest": {ContentDigest(body)}}, body); err != nil {
			t.Fatalf("own digest rejected: %v", err)
		}
	})
}

// FuzzDictionary checks the strict parser against github.com/dunglas/httpsfv:
// everything we accept, httpsfv accepts too, and we serialize what we parse
// to a form that parses back identically.
// fifteenDigits matches an integer of exactly 15 digits.
var fifteenDigits = regexp.MustCompile(`(^|[^0-9.])-?[0-9]{15}([^0-9.]|$)`)

func FuzzDictionary(f *testing.F) {
	for _, s := range []string{
		`a=1, b="x\"y", c=tok, d=:AQID:, e=?0, f`,
		`sig1=("@method" "x";req;key="k");created=1`,
		`a=(1 2);p, b=();q=?1`,
		`a=1, a=2`,
		`a=1;x;x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := parseDictionary(v)
		if err != nil {
			return
		}
		if _, err := httpsfv.UnmarshalDictionary([]string{v}); err != nil &&
			!(errors.Is(err, httpsfv.ErrNumberOutOfRange) && fifteenDigits.MatchString(v)) {
			// httpsfv v1.1.1 rejects a 15-digit integer that is followed by
			// more input, where RFC 8941 §4.2.4 allows up to 15 digits (and
			// its own test suite has a valid 15-digit "long integer").
			t.Fatalf("we accepted %q, httpsfv rejects it: %v", v, err)
		}
		var b strings.Builder
		for i, e := range d {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e.key)
			if !e.val.isList && e.val.item.kind == kindBool && e.val.item.bo {
				serializeParams(&b, e.val.params)
				continue
			}
			b.WriteByte('=')
			serializeMember(&b, e.val)
		}
		d2, err := parseDictionary(b.String())
		if err != nil {
			t.Fatalf("serialization %q of %q does not parse: %v", b.String(), v, err)
		}
		if !reflect.DeepEqual(normalize(d), normalize(d2)) {
			t.Fatalf("round trip of %q changed it to %q", v, b.String())
		}
	})
}

// normalize makes empty and nil byte slices and lists compare equal.
func normalize(d []sfEntry) []sfEntry {
	out := make([]sfEntry, len(d))
	for i, e := range d {
		if e.val.item.kind == kindBytes && len(e.val.item.b) == 0 {
			e.val.item.b = nil
		}
		if len(e.val.list) == 0 {
			e.val.list = nil
		}
		out[i] = e
	}
	return out
}
