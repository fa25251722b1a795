package httpsig

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testNow = time.Unix(1_700_000_000, 0)

// toServer turns a client request into the request a server would see.
func toServer(c *http.Request, body []byte) *http.Request {
	s := httptest.NewRequest(c.Method, c.URL.RequestURI(), bytes.NewReader(body))
	s.Host = c.URL.Host
	if c.Host != "" {
		s.Host = c.Host
	}
	s.Header = c.Header.Clone()
	return s
}

// signedServerRequest signs a POST with the client and returns the server view.
func signedServerRequest(t *testing.T, body string) *http.Request {
	t.Helper()
	c, err := http.NewRequest("POST", "https://api.facegate.test/fc/faces/detect.json?attributes=all", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := SignRequest(c, []byte(body), vecKeyID, []byte(vecSecret), testNow); err != nil {
		t.Fatal(err)
	}
	return toServer(c, []byte(body))
}

// signWith sets Signature-Input to label=input and a correct hmac-sha256
// Signature over r, whatever the profile says. It returns the parse error.
func signWith(t *testing.T, r *http.Request, label, input string) {
	t.Helper()
	r.Header.Set("Signature-Input", label+"="+input)
	r.Header.Set("Signature", label+"=:AAAA:")
	p, err := ParseLabel(r.Header, label)
	if err != nil {
		t.Fatalf("test input does not parse: %v", err)
	}
	base, err := Base(r, p)
	if err != nil {
		t.Fatalf("test input has no base: %v", err)
	}
	var b strings.Builder
	b.WriteString(label + "=")
	serializeItem(&b, sfItem{kind: kindBytes, b: SignBase([]byte(vecSecret), base)})
	r.Header.Set("Signature", b.String())
}

// parseDictionary parses a whole dictionary field value.
func parseDictionary(v string) ([]sfEntry, error) {
	var buf [4]sfEntry
	d, err := appendDictionary(buf[:0], v)
	if err != nil {
		return nil, err
	}
	return exact(d), nil
}

// serializeMember writes a dictionary member value (without its key).
func serializeMember(b *strings.Builder, m sfMember) {
	var buf [256]byte
	b.Write(appendMember(buf[:0], m))
}
