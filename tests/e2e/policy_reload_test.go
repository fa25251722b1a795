package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/policies"
)

// secDenyRule makes account/limits a denied route (an operator's edit).
const secDenyRule = `

# METADATA
# description: e2e edit - account/limits is switched off by the operator.
deny contains errors.deny(10, 403, 307, "disabled by the operator", "route_disabled") if {
	input.request.route == "account/limits"
}
`

// secBrokenRego does not compile.
const secBrokenRego = "package facegate.routes\n\ndeny contains x if {\n"

// TestPolicyReload runs the binary with its policies written out to a
// policies_dir, edits the Rego files while it serves, and checks that good
// edits take effect without a restart and broken ones leave the last good
// version serving, with the file watcher and with POST /admin/policies/reload.
func TestPolicyReload(t *testing.T) {
	start := func(t *testing.T, poll string) (*server, string) {
		dir := t.TempDir()
		pdir := filepath.Join(dir, "policies")
		if err := os.CopyFS(pdir, policies.EmbeddedFS()); err != nil {
			t.Fatal(err)
		}
		s := secStartConfig(t, filepath.Join(dir, "data"), func(*server) string {
			return secCaddyfile("\t\tpolicies_dir " + pdir + "\n\t\tpolicy_poll " + poll)
		})
		return s, filepath.Join(pdir, "facegate", "routes", "routes.rego")
	}
	// limitsAllowed reports whether account/limits is allowed; it fails
	// the test on any answer other than success or the operator's denial.
	limitsAllowed := func(t *testing.T, s *server, c *http.Client) bool {
		t.Helper()
		if r := secCall(t, c, s, "account/authenticate", s.creds.APIKey, s.creds.APISecret, nil); !r.ok() {
			t.Fatalf("account/authenticate: %s", r)
		}
		r := secCall(t, c, s, "account/limits", s.creds.APIKey, s.creds.APISecret, nil)
		switch {
		case r.ok():
			return true
		case r.Status == http.StatusForbidden && r.code() == 307 && strings.Contains(r.str("error_message"), "disabled by the operator"):
			return false
		}
		t.Fatalf("account/limits: %s", r)
		return false
	}
	waitFor := func(t *testing.T, s *server, c *http.Client, want bool, what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for limitsAllowed(t, s, c) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not in effect after 15 s\n%s", what, secLogText(s))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	t.Run("file watcher", func(t *testing.T) {
		s, routes := start(t, "1s")
		c := secClient(t, s)
		orig, err := os.ReadFile(routes)
		if err != nil {
			t.Fatal(err)
		}
		if !limitsAllowed(t, s, c) {
			t.Fatal("account/limits refused by the unedited policies")
		}
		if err := os.WriteFile(routes, append(append([]byte{}, orig...), secDenyRule...), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s, c, false, "the deny rule")

		// A broken file: the last good version (with the deny rule) keeps serving.
		broken := filepath.Join(filepath.Dir(routes), "broken.rego")
		if err := os.WriteFile(broken, []byte(secBrokenRego), 0o600); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(secLogText(s), "POLICY RELOAD FAILED") {
			if time.Now().After(deadline) {
				t.Fatalf("no loud log line about the broken policy:\n%s", secLogText(s))
			}
			time.Sleep(250 * time.Millisecond)
		}
		if limitsAllowed(t, s, c) {
			t.Error("a broken policy file dropped the last good version's deny rule")
		}
		logs := secLogText(s)
		i := strings.Index(logs, "POLICY RELOAD FAILED")
		if line := logs[i:min(len(logs), i+2000)]; !strings.Contains(line, "broken.rego") || !strings.Contains(line, `"level":"error"`) && !strings.Contains(logs[max(0, i-300):i], "error") {
			t.Errorf("the reload failure log does not name the file at error level: %.600s", line)
		}

		// Fixed: remove the broken file and the edit; the original serves again.
		if err := os.Remove(broken); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(routes, orig, 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s, c, true, "the restored policies")
	})

	t.Run("admin reload endpoint", func(t *testing.T) {
		s, routes := start(t, "1h") // the watcher does not get in the way
		c := secClient(t, s)
		adm := newSecAdmin(t, s)
		orig, err := os.ReadFile(routes)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(routes, append(append([]byte{}, orig...), secDenyRule...), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if !limitsAllowed(t, s, c) {
			t.Fatal("the edit took effect before any reload (policy_poll 1h)")
		}
		if r := adm.do(http.MethodPost, "/policies/reload", nil); r.Status != http.StatusOK || r.JSON["reloaded"] != true {
			t.Fatalf("reload: %s", r)
		}
		if limitsAllowed(t, s, c) {
			t.Error("the deny rule is not in effect after POST /admin/policies/reload")
		}
		if err := os.WriteFile(routes, []byte(secBrokenRego), 0o600); err != nil {
			t.Fatal(err)
		}
		r := adm.do(http.MethodPost, "/policies/reload", nil)
		if r.Status != http.StatusUnprocessableEntity || r.str("error") != "policy_reload_failed" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("reload of a broken policy: %s, want 422 problem policy_reload_failed", r)
		}
		if limitsAllowed(t, s, c) {
			t.Error("a failed reload dropped the last good version")
		}
		if err := os.WriteFile(routes, orig, 0o600); err != nil {
			t.Fatal(err)
		}
		if r := adm.do(http.MethodPost, "/policies/reload", nil); r.Status != http.StatusOK {
			t.Fatalf("reload of the restored policies: %s", r)
		}
		if !limitsAllowed(t, s, c) {
			t.Error("account/limits still refused after restoring the policies")
		}
	})
}
