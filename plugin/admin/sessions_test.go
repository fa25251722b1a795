package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/keyring"
)

// openTestSession opens a session with a fresh code and returns its secret
// and id.
func (e *env) openTestSession(body string) (string, string) {
	e.t.Helper()
	out := e.callJSON(http.MethodPost, "/admin/sessions", body, http.StatusCreated)
	secret, _ := out["session"].(string)
	info, _ := out["info"].(map[string]any)
	id, _ := info["id"].(string)
	if !strings.HasPrefix(secret, keyring.SessionPrefix) || id == "" {
		e.t.Fatalf("POST /sessions = %v", out)
	}
	return secret, id
}

// withSession sends a request with the admin token and a session.
func (e *env) withSession(method, path, body, token, session string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := req(method, path, body)
	r.Header.Set("Authorization", "Bearer "+token+"."+session)
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, r)
	return w
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	secret, id := e.openTestSession("")

	t.Run("one code, many calls", func(t *testing.T) {
		for i := range 6 {
			path := []string{"/admin/keys", "/admin/namespaces", "/admin/admins", "/admin/audit", "/admin/sessions", "/admin/keys"}[i]
			if w := e.withSession(http.MethodGet, path, "", e.token, secret); w.Code != http.StatusOK {
				t.Fatalf("call %d (%s) with the session = %d: %s", i, path, w.Code, w.Body)
			}
		}
		if w := e.withSession(http.MethodPost, "/admin/namespaces", `{"name":"docs","owner":"acme"}`, e.token, secret); w.Code != http.StatusCreated {
			t.Fatalf("a change with the session = %d: %s", w.Code, w.Body)
		}
	})

	tests := []struct {
		name, method, path, body, token, session string
		status                                   int
		errCode                                  string
	}{
		{"session without the token", http.MethodGet, "/admin/keys", "", "", secret, 401, errAuth},
		{"session with a wrong token", http.MethodGet, "/admin/keys", "", e.token + "x", secret, 401, errAuth},
		{"unknown session", http.MethodGet, "/admin/keys", "", e.token, keyring.SessionPrefix + strings.Repeat("a", 52), 401, errAuth},
		{"a session cannot open another", http.MethodPost, "/admin/sessions", "", e.token, secret, 403, errSessionNeedsCode},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(tt.method, tt.path, tt.body)
			r.RemoteAddr = "198.51.100." + string(rune('1'+i)) + ":1"
			r.Header.Set("Authorization", "Bearer "+tt.token+"."+tt.session)
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, r)
			if w.Code != tt.status || problem(t, w).Error != tt.errCode {
				t.Fatalf("= %d %s, want %d %s", w.Code, w.Body, tt.status, tt.errCode)
			}
		})
	}

	t.Run("ttl_s", func(t *testing.T) {
		for _, body := range []string{`{"ttl_s": 601}`, `{"ttl_s": -1}`, `{"ttl": 5}`} {
			if w := e.call(http.MethodPost, "/admin/sessions", body); w.Code != http.StatusBadRequest {
				t.Errorf("POST /sessions %s = %d, want 400", body, w.Code)
			}
		}
		out := e.callJSON(http.MethodPost, "/admin/sessions", `{"ttl_s": 60}`, http.StatusCreated)
		if out["ttl_s"] != 60.0 {
			t.Errorf("ttl_s = %v", out["ttl_s"])
		}
	})

	t.Run("list shows no secret", func(t *testing.T) {
		w := e.withSession(http.MethodGet, "/admin/sessions", "", e.token, secret)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), id) || strings.Contains(w.Body.String(), secret) {
			t.Fatalf("GET /sessions = %d %s", w.Code, w.Body)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		short, _ := e.openTestSession(`{"ttl_s": 60}`)
		e.clk.Advance(61 * time.Second)
		w := e.withSession(http.MethodGet, "/admin/keys", "", e.token, short)
		if w.Code != http.StatusUnauthorized || problem(t, w).Error != errSessionExpired {
			t.Fatalf("expired session = %d %s", w.Code, w.Body)
		}
	})

	t.Run("close the current session", func(t *testing.T) {
		if w := e.call(http.MethodDelete, "/admin/sessions/current", ""); w.Code != http.StatusBadRequest {
			t.Errorf("DELETE /sessions/current with a TOTP code = %d, want 400", w.Code)
		}
		sec, sid := e.openTestSession("")
		w := e.withSession(http.MethodDelete, "/admin/sessions/current", "", e.token, sec)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != http.StatusOK || out["closed"] != sid {
			t.Fatalf("DELETE /sessions/current = %d %s", w.Code, w.Body)
		}
		if w := e.withSession(http.MethodGet, "/admin/keys", "", e.token, sec); w.Code != http.StatusUnauthorized || problem(t, w).Error != errSessionExpired {
			t.Fatalf("closed session = %d %s", w.Code, w.Body)
		}
	})

	t.Run("close another session by id", func(t *testing.T) {
		if w := e.withSession(http.MethodDelete, "/admin/sessions/"+id, "", e.token, secret); w.Code != http.StatusOK {
			t.Fatalf("DELETE /sessions/{id} = %d %s", w.Code, w.Body)
		}
		if w := e.call(http.MethodDelete, "/admin/sessions/nope", ""); w.Code != http.StatusNotFound {
			t.Errorf("DELETE /sessions/nope = %d, want 404", w.Code)
		}
	})

	t.Run("audited without the secret", func(t *testing.T) {
		out := e.callJSON(http.MethodGet, "/admin/audit?limit=1000", "", http.StatusOK)
		raw, _ := json.Marshal(out)
		for _, action := range []string{"admin.session.open", "admin.session.close", "admin.session.expire"} {
			if !strings.Contains(string(raw), `"`+action+`"`) {
				t.Errorf("no %s in the audit log", action)
			}
		}
		if strings.Contains(string(raw), secret[len(keyring.SessionPrefix):]) {
			t.Error("the audit log holds a session secret")
		}
		if !strings.Contains(string(raw), "session "+id) {
			t.Error("calls made with a session do not name it in the audit log")
		}
	})
}
