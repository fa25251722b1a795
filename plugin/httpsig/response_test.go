package httpsig

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// signedExchange returns a signed client request and a signed response to it.
func signedExchange(t *testing.T, respBody string) (*http.Response, []byte) {
	t.Helper()
	c, err := http.NewRequest("POST", "https://api.facegate.test/fc/faces/detect.json", strings.NewReader(formBody))
	if err != nil {
		t.Fatal(err)
	}
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := SignRequest(c, []byte(formBody), vecKeyID, []byte(vecSecret), testNow); err != nil {
		t.Fatal(err)
	}
	srv := toServer(c, []byte(formBody))
	p, err := ParseRequest(srv.Header)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if err := SignResponse(h, 200, []byte(respBody), p, []byte(vecSecret), testNow.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	return &http.Response{StatusCode: 200, Header: h, Request: c}, []byte(respBody)
}

func TestResponseSignature(t *testing.T) {
	const body = `{"status":"success"}`
	tests := []struct {
		name   string
		tamper func(resp *http.Response) (body []byte, secret string)
		ok     bool
	}{
		{name: "untouched", ok: true, tamper: func(*http.Response) ([]byte, string) { return []byte(body), vecSecret }},
		{name: "status", tamper: func(r *http.Response) ([]byte, string) { r.StatusCode = 201; return []byte(body), vecSecret }},
		{name: "body", tamper: func(*http.Response) ([]byte, string) { return []byte(`{"status":"failure"}`), vecSecret }},
		{name: "body and digest", tamper: func(r *http.Response) ([]byte, string) {
			b := []byte(`{"status":"failure"}`)
			r.Header.Set("Content-Digest", ContentDigest(b))
			return b, vecSecret
		}},
		{name: "digest removed", tamper: func(r *http.Response) ([]byte, string) {
			r.Header.Del("Content-Digest")
			return []byte(body), vecSecret
		}},
		{name: "answer to another request", tamper: func(r *http.Response) ([]byte, string) {
			other := r.Request.Clone(r.Request.Context())
			if err := SignRequest(other, []byte(formBody), vecKeyID, []byte(vecSecret), testNow); err != nil {
				panic(err)
			}
			r.Request = other
			return []byte(body), vecSecret
		}},
		{name: "wrong secret", tamper: func(*http.Response) ([]byte, string) { return []byte(body), "nope" }},
		{name: "unsigned", tamper: func(r *http.Response) ([]byte, string) {
			r.Header.Del("Signature")
			r.Header.Del("Signature-Input")
			return []byte(body), vecSecret
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := signedExchange(t, body)
			b, secret := tt.tamper(resp)
			err := VerifyResponse(resp, b, []byte(secret), testNow.Add(2*time.Second))
			if tt.ok && err != nil {
				t.Fatalf("valid response rejected: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrResponse) {
				t.Fatalf("tampered response accepted (err %v)", err)
			}
		})
	}
}

// TestResponseBase pins the response signature base layout.
func TestResponseBase(t *testing.T) {
	resp, body := signedExchange(t, "{}")
	p, err := ParseLabel(resp.Header, Label)
	if err != nil {
		t.Fatal(err)
	}
	reqSig := resp.Request.Header.Get("Signature")[len("sig1="):]
	m := &message{header: resp.Header, status: 200, parent: &message{header: resp.Request.Header}}
	base, err := buildBase(m, p.components, p)
	if err != nil {
		t.Fatal(err)
	}
	want := `"@status": 200` + "\n" +
		`"content-digest": ` + ContentDigest(body) + "\n" +
		`"signature";req;key="sig1": ` + reqSig + "\n" +
		`"@signature-params": ("@status" "content-digest" "signature";req;key="sig1");created=1700000001;keyid="fg_live_testkey";alg="hmac-sha256";tag="facegate/v1"`
	if string(base) != want {
		t.Fatalf("base:\n got %q\nwant %q", base, want)
	}
}
