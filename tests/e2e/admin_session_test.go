package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAdminSessionCLI runs the README's sequence of admin commands with the
// CLI's defaults: the first opens an admin session with one TOTP code, the
// others reuse it, so none waits for a code and none fails to authenticate.
func TestAdminSessionCLI(t *testing.T) {
	s := startServer(t, t.TempDir())
	runtimeDir := t.TempDir()
	env := append(s.env(), "XDG_RUNTIME_DIR="+runtimeDir)
	commands := [][]string{
		{"namespace", "create", "acme-faces", "--owner", "acme"},
		{"key", "create", "--owner", "acme", "--namespaces", "acme-faces", "--scopes", "faces/*,tags/*", "--modes", "signature", "--tier", "standard"},
		{"key", "list"},
		{"namespace", "list"},
		{"admin", "sessions"},
		{"admin", "audit"},
	}
	logBefore := len(secLogText(s))
	start := time.Now()
	var printed strings.Builder
	var keyID string
	for i, args := range commands {
		r := runCLI(t, env, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, "waiting") {
			t.Errorf("%v waited for a TOTP code: %s", args, r.stderr)
		}
		if i == 1 {
			var created struct {
				APIKey string `json:"api_key"`
			}
			_ = json.Unmarshal([]byte(r.stdout), &created)
			keyID = created.APIKey
		}
		printed.WriteString(r.stdout + r.stderr)
	}
	t.Logf("six admin CLI commands took %s", time.Since(start).Round(time.Millisecond))
	if keyID == "" || !strings.Contains(printed.String(), keyID) {
		t.Errorf("the key created by the CLI is not listed")
	}

	files, _ := filepath.Glob(filepath.Join(runtimeDir, "facegate", "admin-session-*.json"))
	if len(files) != 1 {
		t.Fatalf("session cache files: %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("session cache mode %v", fi.Mode().Perm())
	}
	var cached struct{ Session, ID string }
	raw, _ := os.ReadFile(files[0])
	_ = json.Unmarshal(raw, &cached)
	if cached.Session == "" {
		t.Fatal("no session cached")
	}
	logs := secLogText(s)[logBefore:]
	for _, secret := range []string{cached.Session, s.creds.AdminToken} {
		if strings.Contains(printed.String(), secret) || strings.Contains(secLogText(s), secret) {
			t.Error("a session or admin token was printed or logged")
		}
	}
	if strings.Contains(logs, "authentication failed") {
		t.Errorf("the commands logged failed authentications:\n%s", logs)
	}

	adm := newSecAdmin(t, s)
	cur := time.Now().Unix() / 30
	adm.ids[0].used[cur-1], adm.ids[0].used[cur] = true, true
	audit := adm.do(http.MethodGet, "/audit?limit=1000", nil)
	var out struct {
		Entries []struct{ Action, Target, Detail string }
	}
	_ = json.Unmarshal(audit.Body, &out)
	opens, failures, withSession := 0, 0, 0
	for _, e := range out.Entries {
		switch {
		case e.Action == "admin.session.open":
			opens++
		case e.Action == "admin.api.auth":
			failures++
		case e.Action == "admin.api" && strings.Contains(e.Detail, "session "+cached.ID):
			withSession++
		}
	}
	if opens != 1 || failures != 0 || withSession < 6 {
		t.Errorf("audit: %d sessions opened, %d failed authentications, %d calls with the session; want 1, 0, ≥6", opens, failures, withSession)
	}
	secNoSecrets(t, "audit log", audit.Body, cached.Session, s.creds.AdminToken)

	t.Run("a session alone is not enough", func(t *testing.T) {
		c := secClient(t, s)
		for _, bearer := range []string{"." + cached.Session, cached.Session, "fga_wrong." + cached.Session} {
			req, _ := http.NewRequest(http.MethodGet, s.url("/admin/keys"), nil)
			req.Header.Set("Authorization", "Bearer "+bearer)
			if r := secDo(t, c, req); r.Status != http.StatusUnauthorized {
				t.Errorf("bearer %.8s...: %s", bearer, r)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, s.url("/admin/keys"), nil)
		req.Header.Set("Authorization", "Bearer "+s.creds.AdminToken+"."+cached.Session)
		if r := secDo(t, c, req); r.Status != http.StatusOK {
			t.Errorf("token and session: %s", r)
		}
	})

	t.Run("logout closes the session", func(t *testing.T) {
		if r := runCLI(t, env, "admin", "logout"); r.code != 0 || !strings.Contains(r.stderr, "closed") {
			t.Fatalf("logout: exit %d %s", r.code, r.stderr)
		}
		req, _ := http.NewRequest(http.MethodGet, s.url("/admin/keys"), nil)
		req.Header.Set("Authorization", "Bearer "+s.creds.AdminToken+"."+cached.Session)
		r := secDo(t, secClient(t, s), req)
		if r.Status != http.StatusUnauthorized || r.str("error") != "admin_session_expired" {
			t.Errorf("closed session: %s", r)
		}
	})
}

// TestAdminLockoutSurvivesRestart locks an address out of the admin API,
// restarts the server on the same data dir, and finds it still locked out.
func TestAdminLockoutSurvivesRestart(t *testing.T) {
	s := startServer(t, t.TempDir())
	src := secNextIP()
	c := secClientFrom(t, s, src)
	locked := false
	for i := 0; i < 8 && !locked; i++ {
		r := secAdminCall(t, c, s, http.MethodGet, "/keys", "fga_wrong", "123456", nil)
		locked = r.Status == http.StatusTooManyRequests
	}
	if !locked {
		t.Fatal("no lockout after 8 failed authentications")
	}
	s.stop()
	s.start()
	c = secClientFrom(t, s, src)
	adm := newSecAdmin(t, s)
	id, code := adm.auth()
	r := secAdminCall(t, c, s, http.MethodGet, "/keys", id.token, code, nil)
	if r.Status != http.StatusTooManyRequests || r.str("error") != "locked_out" || r.Header.Get("Retry-After") == "" {
		t.Errorf("right credentials from the locked-out address after a restart: %s", r)
	}
	if ids := adm.keyIDs(); len(ids) == 0 {
		t.Error("another address is refused too")
	}
}
