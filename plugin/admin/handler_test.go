package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// nextFunc adapts a function to caddyhttp.Handler.
type nextFunc func(http.ResponseWriter, *http.Request) error

func (f nextFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) error { return f(w, r) }

// TestHandlerServeHTTP runs the facegate_admin module's ServeHTTP in process:
// paths under the prefix reach the admin API, disguised spellings of the
// prefix get its 404 problem, anything else goes to the next handler.
func TestHandlerServeHTTP(t *testing.T) {
	e := newEnv(t)
	h := &Handler{Prefix: "/admin", api: New(e.backend, Options{Prefix: "/admin"})}
	tests := []struct {
		name     string
		path     string
		bearer   bool
		wantNext bool
		status   int
		errCode  string
	}{
		{"admin route", "/admin/keys", true, false, http.StatusOK, ""},
		{"admin route without credentials", "/admin/keys", false, false, http.StatusUnauthorized, errAuth},
		{"upper case prefix", "/ADMIN/keys", true, false, http.StatusNotFound, errNotFound},
		{"dot segments", "/fc/../admin/keys", true, false, http.StatusNotFound, errNotFound},
		{"other path", "/fc/faces/detect", true, true, http.StatusTeapot, ""},
		{"prefix lookalike", "/administrator", true, true, http.StatusTeapot, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req("GET", "/", "")
			r.URL.Path = tt.path
			if tt.bearer {
				r.Header.Set("Authorization", "Bearer "+e.token)
				r.Header.Set("X-TOTP-Code", e.code())
			}
			called := false
			next := nextFunc(func(w http.ResponseWriter, _ *http.Request) error {
				called = true
				w.WriteHeader(http.StatusTeapot)
				return nil
			})
			w := httptest.NewRecorder()
			if err := h.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}
			if called != tt.wantNext || w.Code != tt.status {
				t.Fatalf("next called %t, HTTP %d %s; want next %t, HTTP %d", called, w.Code, w.Body, tt.wantNext, tt.status)
			}
			if tt.errCode == "" {
				return
			}
			var p struct {
				Code string `json:"error"`
			}
			if w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Code != tt.errCode {
				t.Errorf("%s %s, want problem %s", w.Header().Get("Content-Type"), w.Body, tt.errCode)
			}
		})
	}
}

func TestHandlerValidate(t *testing.T) {
	for name, h := range map[string]Handler{
		"relative prefix":  {Prefix: "admin"},
		"negative ttl":     {SessionTTL: caddy.Duration(-time.Second)},
		"ttl over maximum": {SessionTTL: caddy.Duration(2 * time.Hour)},
	} {
		if err := h.Validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if err := (&Handler{Prefix: "/ops", SessionTTL: caddy.Duration(time.Minute)}).Validate(); err != nil {
		t.Errorf("valid handler refused: %v", err)
	}
}
