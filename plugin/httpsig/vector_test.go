package httpsig

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// rfcSharedSecret is the RFC 9421 Appendix B.1.5 key "test-shared-secret".
const rfcSharedSecret = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="

// rfcRequest is the RFC 9421 Appendix B.2 test request, as a server sees it.
func rfcRequest() *http.Request {
	r := httptest.NewRequest("POST", "/foo?param=Value&Pet=dog", strings.NewReader(`{"hello": "world"}`))
	r.Host = "example.com"
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	r.Header.Set("Content-Length", "18")
	return r
}

// TestRFC9421B25 pins Appendix B.2.5 (hmac-sha256): the signature base and
// the signature value published in the RFC.
func TestRFC9421B25(t *testing.T) {
	key, err := base64.StdEncoding.DecodeString(rfcSharedSecret)
	if err != nil {
		t.Fatal(err)
	}
	r := rfcRequest()
	r.Header.Set("Signature-Input", `sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`)
	r.Header.Set("Signature", `sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:`)

	p, err := ParseLabel(r.Header, "sig-b25")
	if err != nil {
		t.Fatalf("ParseLabel: %v", err)
	}
	wantBase := `"date": Tue, 20 Apr 2021 02:07:55 GMT` + "\n" +
		`"@authority": example.com` + "\n" +
		`"content-type": application/json` + "\n" +
		`"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`
	base, err := Base(r, p)
	if err != nil {
		t.Fatalf("Base: %v", err)
	}
	if string(base) != wantBase {
		t.Fatalf("base mismatch:\n got %q\nwant %q", base, wantBase)
	}
	sig := SignBase(key, base)
	if got := base64.StdEncoding.EncodeToString(sig); got != "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=" {
		t.Fatalf("signature = %s", got)
	}
	if string(sig) != string(p.Sig) {
		t.Fatal("parsed signature differs from computed one")
	}
	// The same vector under the facegate profile is rejected for its label.
	if _, err := Verify(r, nil, p, key, testNow); err == nil {
		t.Fatal("B.2.5 passed the facegate profile")
	}
}
