package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/keyring"
)

func TestAuthFailures(t *testing.T) {
	e := newEnv(t)
	used := e.code()
	r := req("GET", "/admin/keys", "")
	r.Header.Set("Authorization", "Bearer "+e.token)
	r.Header.Set("X-TOTP-Code", used)
	first := httptest.NewRecorder()
	e.api.ServeHTTP(first, r)
	if first.Code != http.StatusOK {
		t.Fatalf("first use of a code = %d", first.Code)
	}
	tests := []struct {
		name, auth, code string
		plain            bool
		status           int
		errCode          string
	}{
		{"no token", "", "fresh", false, 401, errAuth},
		{"not bearer", "Basic " + e.token, "fresh", false, 401, errAuth},
		{"wrong token", "Bearer " + e.token + "x", "fresh", false, 401, errAuth},
		{"no code", "Bearer " + e.token, "", false, 401, errAuth},
		{"wrong code", "Bearer " + e.token, "000000", false, 401, errAuth},
		{"replayed code", "Bearer " + e.token, used, false, 401, errCodeReused},
		{"plain http", "Bearer " + e.token, "fresh", true, 403, errHTTPS},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req("GET", "/admin/keys", "")
			r.RemoteAddr = "198.51.100." + string(rune('1'+i)) + ":1" // separate lockout counters
			if tt.plain {
				r.TLS = nil
			}
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			code := tt.code
			if code == "fresh" {
				code = totpCode(t, e.uri, e.clk.Now().Add(30*time.Second))
			}
			if code != "" {
				r.Header.Set("X-TOTP-Code", code)
			}
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			p := problem(t, w)
			if p.Error != tt.errCode {
				t.Errorf("error = %q, want %q", p.Error, tt.errCode)
			}
			if strings.Contains(w.Body.String(), e.token) {
				t.Error("token echoed in the answer")
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	entries, _ := e.kr.ListAudit(time.Time{}, 100)
	failed := 0
	for _, en := range entries {
		if en.Action == "admin.api.auth" && !en.OK && en.RemoteAddr != "" {
			failed++
		}
	}
	if failed != 6 { // every refused call but the plain-HTTP one
		t.Errorf("%d failed authentications audited, want 6", failed)
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t)
	for i := range keyring.LockoutFailures {
		r := req("GET", "/admin/keys", "")
		r.Header.Set("Authorization", "Bearer nope")
		r.Header.Set("X-TOTP-Code", "123456")
		w := httptest.NewRecorder()
		e.api.ServeHTTP(w, r)
		if w.Code != 401 {
			t.Fatalf("failure %d = %d", i, w.Code)
		}
	}
	w := e.call("GET", "/admin/keys", "") // right credentials, same address
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("locked-out call = %d, want 429", w.Code)
	}
	if p := problem(t, w); p.Error != errLockedOut {
		t.Errorf("error = %q", p.Error)
	}
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	e.clk.Advance(keyring.LockoutDuration)
	if w := e.call("GET", "/admin/keys", ""); w.Code != http.StatusOK {
		t.Fatalf("after the lockout = %d: %s", w.Code, w.Body)
	}
}

func TestRoutingAndBodies(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		allow                    string
	}{
		{"unknown route", "GET", "/admin/nothing", "", 404, ""},
		{"outside prefix", "GET", "/administrator/keys", "", 404, ""},
		{"wrong method", "PATCH", "/admin/keys", "", 405, "GET, HEAD, POST"},
		{"unknown field", "POST", "/admin/keys", `{"owner":"a","secret":"x"}`, 400, ""},
		{"wrong type", "POST", "/admin/keys", `{"owner":5}`, 400, ""},
		{"malformed", "POST", "/admin/keys", `{"owner":`, 400, ""},
		{"trailing data", "POST", "/admin/keys", `{"owner":"a"} {}`, 400, ""},
		{"empty body", "POST", "/admin/keys", ``, 400, ""},
		{"too large", "POST", "/admin/keys", `{"label":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 400, ""},
		{"bad grace", "POST", "/admin/keys/fg_live_aaaaaaaaaaaaaaaaaaaaaaaa/rotate", `{"grace_s":-1}`, 400, ""},
		{"bad erase flag", "DELETE", "/admin/keys/fg_live_aaaaaaaaaaaaaaaaaaaaaaaa?erase=maybe", "", 400, ""},
		{"bad since", "GET", "/admin/audit?since=yesterday", "", 400, ""},
		{"bad limit", "GET", "/admin/audit?limit=0", "", 400, ""},
		{"unknown key", "GET", "/admin/keys/fg_live_aaaaaaaaaaaaaaaaaaaaaaaa", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.call(tt.method, tt.path, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			p := problem(t, w)
			if tt.status == 400 && !strings.Contains(p.Detail, "invalid") {
				t.Errorf("400 detail is not clear: %q", p.Detail)
			}
			if tt.allow != "" && w.Header().Get("Allow") != tt.allow {
				t.Errorf("Allow = %q, want %q", w.Header().Get("Allow"), tt.allow)
			}
		})
	}
}

// TestDataKeyCannotAdminister is OWASP API5: an API key's id or secret is
// not an admin credential, whatever TOTP code comes with it.
func TestDataKeyCannotAdminister(t *testing.T) {
	e := newEnv(t)
	if err := e.kr.CreateNamespace("docs", "acme", "t"); err != nil {
		t.Fatal(err)
	}
	key, secret, err := e.kr.Create(keyring.CreateParams{Owner: "acme", Namespaces: []string{"docs"}, Scopes: []string{"*"}}, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, cred := range []string{secret, key.ID, key.ID + ":" + secret} {
		r := req("POST", "/admin/keys", `{"owner":"acme"}`)
		r.Header.Set("Authorization", "Bearer "+cred)
		r.Header.Set("X-TOTP-Code", e.code())
		w := httptest.NewRecorder()
		e.api.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("data key credential on the admin API = %d, want 401", w.Code)
		}
	}
	if list, _ := e.kr.List("acme"); len(list) != 1 {
		t.Fatalf("a key was created with a data key's credentials (%d keys)", len(list))
	}
}
