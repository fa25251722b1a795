package httpsig

import (
	"encoding/base64"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The hot paths have shortcuts for the usual inputs; these tests check
// that each shortcut agrees with the general code it bypasses.

// fuzzCorpus returns the first string argument of each file of the seed
// corpus testdata/fuzz/<name>.
func fuzzCorpus(t *testing.T, name string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			if strings.HasPrefix(line, "string(") {
				s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "string("), ")"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out = append(out, s)
				break
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no seed corpus for %s", name)
	}
	return out
}

// mutations returns n variants of the seeds, each with a few bytes
// inserted, replaced or deleted, drawn from bytes that matter to the
// parsers.
func mutations(seeds []string, n int, seed int64) []string {
	const alphabet = "\"\\:;=,() \t*-_.?01aAzZ+/\x00\x7f\xc3\r\n"
	rng := rand.New(rand.NewSource(seed))
	out := make([]string, 0, n)
	for range n {
		b := []byte(seeds[rng.Intn(len(seeds))])
		for range 1 + rng.Intn(2) {
			switch op := rng.Intn(3); {
			case op == 0 && len(b) > 0:
				j := rng.Intn(len(b))
				b = append(b[:j], b[j+1:]...)
			case op == 1:
				j := rng.Intn(len(b) + 1)
				b = append(b[:j], append([]byte{alphabet[rng.Intn(len(alphabet))]}, b[j:]...)...)
			case len(b) > 0:
				b[rng.Intn(len(b))] = alphabet[rng.Intn(len(alphabet))]
			}
		}
		out = append(out, string(b))
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestVerifySHA256OnlyAgreesWithParser(t *testing.T) {
	bodies := [][]byte{nil, []byte("x"), []byte(`{"hello": "world"}`), benchBody}
	seeds := fuzzCorpus(t, "FuzzVerifyDigest")
	for _, b := range bodies {
		d := ContentDigest(b)
		seeds = append(seeds, d, " "+d, d+" ", d+";p", d+",", d+", sha-512=:AA==:",
			strings.Replace(d, "=:", "=:\n", 1), strings.Replace(d, "=:", "=:\r", 1),
			strings.Replace(d, "=:", "=:-", 1), strings.Replace(d, "=:", "=:_", 1),
			strings.Replace(d, "=:", "=:=", 1), strings.Replace(d, "=:", "=:\x00", 1),
			d[:len(d)-2]+"=:", d[:len(d)-2]+"B:", "SHA-256"+d[7:], "sha-256=("+d[8:]+")")
	}
	inputs := append(seeds, mutations(seeds, 20000, 1)...)
	handled := 0
	for _, v := range inputs {
		for _, b := range bodies {
			ok, fast := verifySHA256Only(v, b)
			if !ok {
				continue
			}
			handled++
			if slow := verifyDigestDict(v, b); errText(fast) != errText(slow) {
				t.Fatalf("Content-Digest %q: fast path says %v, parser says %v", v, fast, slow)
			}
		}
	}
	if handled < len(bodies) {
		t.Fatalf("fast path taken only %d times", handled)
	}
}

func TestValidNonceAgreesWithDecode(t *testing.T) {
	ref := func(n string) bool {
		b, err := base64.RawURLEncoding.Strict().DecodeString(n)
		return err == nil && len(b) >= MinNonceBytes && len(b) <= maxNonceBytes
	}
	var seeds []string
	for n := 0; n <= maxNonceBytes+2; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		e := base64.RawURLEncoding.EncodeToString(b)
		seeds = append(seeds, e, e+"A", e+"AA", e+"=", e+"\n", "\r"+e, base64.URLEncoding.EncodeToString(b), base64.StdEncoding.EncodeToString(b))
		if len(e) > 0 {
			seeds = append(seeds, e[:len(e)-1]+"B", e[:len(e)-1]+"_", e[:len(e)-1])
		}
	}
	for _, n := range append(seeds, mutations(seeds, 20000, 2)...) {
		if got, want := validNonce(n), ref(n); got != want {
			t.Fatalf("validNonce(%q) = %v, decoding says %v", n, got, want)
		}
	}
}

// TestStringItems checks the escape-free shortcut of parseString against
// the general loop, which the shortcut hands escapes and errors to.
func TestStringItems(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: `a=""`, want: ``},
		{in: `a="x y"`, want: `x y`},
		{in: `a="x\"y"`, want: `x"y`},
		{in: `a="x\\y"`, want: `x\y`},
		{in: `a="x\y"`, err: "offset 5: invalid escape"},
		{in: `a="x\`, err: "offset 5: unterminated escape"},
		{in: "a=\"x\x7fy\"", err: "offset 5: invalid character in string"},
		{in: "a=\"x\ty\"", err: "offset 5: invalid character in string"},
		{in: "a=\"é\"", err: "offset 4: invalid character in string"},
		{in: `a="xy`, err: "offset 5: unterminated string"},
		{in: `a="x\"`, err: "offset 6: unterminated string"},
		{in: `a="x";p="y\"z", b="q"`, want: `x`},
	}
	for _, tt := range tests {
		d, err := parseDictionary(tt.in)
		if tt.err != "" {
			if err == nil || !strings.HasSuffix(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want …%s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || d[0].val.item.kind != kindString || d[0].val.item.s != tt.want {
			t.Errorf("%q: got %+v, %v; want string %q", tt.in, d, err, tt.want)
		}
	}
	d, err := parseDictionary(`a="x";p="y\"z", b="q"`)
	if err != nil || d[0].val.params[0].val.s != `y"z` || d[1].val.item.s != "q" {
		t.Errorf("params and later members: %+v, %v", d, err)
	}
}

func TestFieldValuesCanonical(t *testing.T) {
	h := http.Header{}
	for _, name := range []string{"content-digest", "content-type", "signature", "date", "x-Odd_name"} {
		h.Add(name, "v-"+name)
		if got, want := fieldValues(h, name), h.Values(name); !slices.Equal(got, want) || len(got) != 1 {
			t.Errorf("fieldValues(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestSignResponseAgreesWithGeneral checks the directly written response
// base against the generic builder, which re-reads the request signature
// from a Signature field.
func TestSignResponseAgreesWithGeneral(t *testing.T) {
	labels := []string{"sig1", "sig-b25", "*x", "a.b_c-d*1", "z", "", "Sig1", "a b", "a,b", "1a", "a=", `a"b`, "é", strings.Repeat("k", maxFieldLen)}
	sigs := [][]byte{{1}, []byte("0123456789abcdef0123456789abcdef"), make([]byte, 6000), make([]byte, 6200)}
	keyIDs := []string{vecKeyID, "", `a"b\c`, "é\x00"}
	fast := 0
	for _, label := range labels {
		for _, sig := range sigs {
			for _, keyID := range keyIDs {
				for _, status := range []int{200, 204, 0, 99, 100, 999, 1000, -1} {
					reqSig := &Parsed{Label: label, Sig: sig, KeyID: keyID}
					if plainResponse(status, reqSig) {
						fast++
					}
					body := []byte(label + keyID)
					got := http.Header{"Content-Type": {"application/json"}}
					gotErr := SignResponse(got, status, body, reqSig, []byte(vecSecret), testNow)
					want := http.Header{"Content-Type": {"application/json"}}
					want.Set("Content-Digest", ContentDigest(body))
					wantErr := signResponseGeneral(want, status, reqSig, NewKey([]byte(vecSecret)), testNow)
					if errText(gotErr) != errText(wantErr) || !reflect.DeepEqual(got, want) {
						t.Fatalf("label %q keyid %q status %d sig %d bytes:\n got %v %q\nwant %v %q", label, keyID, status, len(sig), gotErr, got, wantErr, want)
					}
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("the direct path was never taken")
	}
}

// FuzzDigestFastPath compares the Content-Digest fast path with the
// dictionary parser on arbitrary field values.
func FuzzDigestFastPath(f *testing.F) {
	f.Add(ContentDigest(nil), []byte(nil))
	f.Add(ContentDigest([]byte("x")), []byte("x"))
	f.Add("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=:", []byte{})
	f.Fuzz(func(t *testing.T, v string, body []byte) {
		if handled, err := verifySHA256Only(v, body); handled {
			if slow := verifyDigestDict(v, body); errText(err) != errText(slow) {
				t.Fatalf("Content-Digest %q: fast path says %v, parser says %v", v, err, slow)
			}
		}
	})
}
