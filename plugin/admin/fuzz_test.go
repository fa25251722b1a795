package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAdminRequest sends arbitrary methods, paths and bodies to the routes
// of an authenticated call (authentication itself is covered by the
// handler tests): nothing may panic, and every answer must be a JSON
// success or a problem document with a 4xx/501 status.
func FuzzAdminRequest(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/keys", `{"owner":"acme","namespaces":["docs"],"scopes":["faces/*"]}`},
		{"POST", "/keys", `{"owner":"acme","auth_modes":["domain"],"allowed_origins":["https://a.example"]}`},
		{"POST", "/keys", `{"owner":"a","limits":{"x":[1,2,{"y":null}]},"expires_at":99999999999}`},
		{"POST", "/keys", `{"owner":"a","client_cert_sha256":"ZZ"}`},
		{"POST", "/keys/fg_live_aaaaaaaaaaaaaaaaaaaaaaaa/rotate", `{"grace_s":1e30}`},
		{"PUT", "/keys/x", `{"owner":"` + strings.Repeat("é", 40) + `"}`},
		{"DELETE", "/keys/fg_live_aaaaaaaaaaaaaaaaaaaaaaaa?erase=1", ""},
		{"POST", "/namespaces", `{"name":"docs","owner":"acme"}`},
		{"DELETE", "/namespaces/%2e%2e", ""},
		{"GET", "/audit?since=-1&limit=99999", ""},
		{"POST", "/admins", `{"name":"` + strings.Repeat("a", 100) + `"}`},
		{"GET", "/admins/root/totp.png", ""},
		{"POST", "/policies/reload", `[]`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	e := newEnv(f)
	_ = e.kr.CreateNamespace("docs", "acme", "seed")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") {
			return
		}
		r, err := http.NewRequest(method, "https://localhost/admin"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		c := &call{kr: e.kr, admin: "root", remote: "192.0.2.1", api: e.api}
		e.api.dispatch(w, r.WithContext(withCall(r.Context(), c)))
		ct := w.Header().Get("Content-Type")
		switch {
		case w.Code < 300 && (ct == "application/json" || ct == "image/png"):
		case w.Code >= 400 && w.Code < 500 && ct == "application/problem+json":
		case w.Code == http.StatusNotImplemented && ct == "application/problem+json":
		default:
			t.Fatalf("%s %s -> %d %q: %s", method, path, w.Code, ct, w.Body)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS":
		return true
	}
	return false
}
