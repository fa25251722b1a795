package httpsig

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// verifyingHandler verifies every request as the guard would and answers
// with a signed response echoing the verification result.
func verifyingHandler(t *testing.T, nonces *NonceCache) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading body: %v", err)
		}
		p, err := ParseRequest(r.Header)
		if err != nil {
			http.Error(w, "no signature", http.StatusUnauthorized)
			return
		}
		res, err := VerifyFresh(r, body, p, []byte(vecSecret), time.Now(), nonces)
		if err != nil {
			http.Error(w, res.Reason, http.StatusUnauthorized)
			return
		}
		out := []byte("ok " + r.Method + " " + string(body))
		if err := SignResponse(w.Header(), http.StatusOK, out, p, []byte(vecSecret), time.Now()); err != nil {
			t.Errorf("SignResponse: %v", err)
		}
		w.Write(out)
	}
}

func TestTransportEndToEnd(t *testing.T) {
	srv := httptest.NewTLSServer(verifyingHandler(t, NewNonceCache(1000, 0)))
	defer srv.Close()
	base := srv.Client().Transport
	client := &http.Client{Transport: &Transport{Base: base, KeyID: vecKeyID, Secret: []byte(vecSecret)}}

	tests := []struct {
		name, method, path, ctype, body string
	}{
		{name: "get with query", method: "GET", path: "/fc/account/users.json?namespaces=a,b"},
		{name: "get without query", method: "GET", path: "/fc/account/limits.json"},
		{name: "form post", method: "POST", path: "/fc/faces/detect.json", ctype: "application/x-www-form-urlencoded",
			body: url.Values{"urls": {"https://example.com/a.jpg"}}.Encode()},
		{name: "escaped path", method: "POST", path: "/fc/tags/a%2Fb.json?x=%20", ctype: "text/plain", body: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(got) != "ok "+tt.method+" "+tt.body {
				t.Fatalf("status %d body %q", resp.StatusCode, got)
			}
			if req.Header.Get("Signature") != "" {
				t.Fatal("Transport modified the caller's request")
			}
			if err := VerifyResponse(resp, got, []byte(vecSecret), time.Now()); err != nil {
				t.Fatalf("VerifyResponse: %v", err)
			}
		})
	}
}

func TestTransportReplayRejected(t *testing.T) {
	srv := httptest.NewTLSServer(verifyingHandler(t, NewNonceCache(1000, 0)))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/fc/account/users.json", nil)
	if err := SignRequest(req, nil, vecKeyID, []byte(vecSecret), time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{200, 401} {
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: status %d (%s), want %d", i, resp.StatusCode, msg, want)
		}
	}
}

func TestSignRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		keyID  string
		secret string
	}{
		{name: "body without content type", body: "x", keyID: "k", secret: "s"},
		{name: "empty key id", keyID: "", secret: "s"},
		{name: "key id with newline", keyID: "k\n", secret: "s"},
		{name: "empty secret", keyID: "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "https://h/p", strings.NewReader(tt.body))
			if err := SignRequest(req, []byte(tt.body), tt.keyID, []byte(tt.secret), testNow); err == nil {
				t.Fatal("no error")
			}
			if req.Header.Get("Signature") != "" {
				t.Fatal("request signed despite the error")
			}
		})
	}
}
