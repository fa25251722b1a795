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
	// start runs a server on a written-out policies dir and returns it with
	// routes.rego and an unlimited key (the bootstrap key's free tier would
	// rate-limit the polling below).
	start := func(t *testing.T, poll string) (*server, string, [2]string, *secAdmin) {
		dir := t.TempDir()
		pdir := filepath.Join(dir, "policies")
		if err := os.CopyFS(pdir, policies.EmbeddedFS()); err != nil {
			t.Fatal(err)
		}
		s := secStartConfig(t, filepath.Join(dir, "data"), func(*server) string {
			return secCaddyfile("\t\tpolicies_dir " + pdir + "\n\t\tpolicy_poll " + poll)
		})
		adm := newSecAdmin(t, s)
		id, sec := adm.createKey(map[string]any{"owner": "demo", "namespaces": []string{"demo"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret"}})
		return s, filepath.Join(pdir, "facegate", "routes", "routes.rego"), [2]string{id, sec}, adm
	}
	// limitsAllowed reports whether account/limits is allowed; it fails
	// the test on any answer other than success or the operator's denial.
	// Both edits below refuse it: the added deny rule with 403 error 307,
	// the removed table entry with 404 error 401 (unknown method).
	limitsAllowed := func(t *testing.T, s *server, c *http.Client, k [2]string) bool {
		t.Helper()
		if r := secCall(t, c, s, "account/authenticate", k[0], k[1], nil); !r.ok() {
			t.Fatalf("account/authenticate: %s", r)
		}
		r := secCall(t, c, s, "account/limits", k[0], k[1], nil)
		switch {
		case r.ok():
			return true
		case r.Status == http.StatusForbidden && r.code() == 307 && strings.Contains(r.str("error_message"), "disabled by the operator"),
			r.Status == http.StatusNotFound && r.code() == 401:
			return false
		}
		t.Fatalf("account/limits: %s", r)
		return false
	}
	waitFor := func(t *testing.T, s *server, c *http.Client, k [2]string, want bool, what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for limitsAllowed(t, s, c, k) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not in effect after 15 s; server log (decision lines left out):\n%s", what, secTail([]byte(secNoDecisions(secLogText(s))), 3000))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	t.Run("file watcher", func(t *testing.T) {
		s, routes, k, _ := start(t, "1s")
		c := secClient(t, s)
		orig, err := os.ReadFile(routes)
		if err != nil {
			t.Fatal(err)
		}
		if !limitsAllowed(t, s, c, k) {
			t.Fatal("account/limits refused by the unedited policies")
		}
		if err := os.WriteFile(routes, secWithoutLimitsRoute(t, orig), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s, c, k, false, "the route removed from the table")

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
		if limitsAllowed(t, s, c, k) {
			t.Error("a broken policy file dropped the last good version's edit")
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
		waitFor(t, s, c, k, true, "the restored policies")
	})

	t.Run("admin reload endpoint", func(t *testing.T) {
		s, routes, k, adm := start(t, "1h") // the watcher does not get in the way
		c := secClient(t, s)
		orig, err := os.ReadFile(routes)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(routes, secWithoutLimitsRoute(t, orig), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if !limitsAllowed(t, s, c, k) {
			t.Fatal("the edit took effect before any reload (policy_poll 1h)")
		}
		if r := adm.do(http.MethodPost, "/policies/reload", nil); r.Status != http.StatusOK || r.JSON["reloaded"] != true {
			t.Fatalf("reload: %s", r)
		}
		if limitsAllowed(t, s, c, k) {
			t.Error("the edit is not in effect after POST /admin/policies/reload")
		}
		if err := os.WriteFile(routes, []byte(secBrokenRego), 0o600); err != nil {
			t.Fatal(err)
		}
		r := adm.do(http.MethodPost, "/policies/reload", nil)
		if r.Status != http.StatusUnprocessableEntity || r.str("error") != "policy_reload_failed" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("reload of a broken policy: %s, want 422 problem policy_reload_failed", r)
		}
		if limitsAllowed(t, s, c, k) {
			t.Error("a failed reload dropped the last good version")
		}
		if err := os.WriteFile(routes, orig, 0o600); err != nil {
			t.Fatal(err)
		}
		if r := adm.do(http.MethodPost, "/policies/reload", nil); r.Status != http.StatusOK {
			t.Fatalf("reload of the restored policies: %s", r)
		}
		if !limitsAllowed(t, s, c, k) {
			t.Error("account/limits still refused after restoring the policies")
		}
	})

	t.Run("an added deny rule takes effect", func(t *testing.T) {
		// The most natural operator edit: one more deny rule in a package.
		s, routes, k, _ := start(t, "1s")
		c := secClient(t, s)
		orig, err := os.ReadFile(routes)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(routes, append(append([]byte{}, orig...), secDenyRule...), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s, c, k, false, "the added deny rule")
	})
}

// secWithoutLimitsRoute removes account/limits from the routes table.
func secWithoutLimitsRoute(t *testing.T, src []byte) []byte {
	t.Helper()
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.Contains(line, `"account/limits": {`) {
			out = append(out, line)
		}
	}
	if len(out) == strings.Count(string(src), "\n")+1 {
		t.Fatal("routes.rego has no account/limits entry to remove")
	}
	return []byte(strings.Join(out, "\n"))
}

// secNoDecisions drops the decision lines (one per denial; per request at
// DEBUG) from a server log.
func secNoDecisions(logs string) string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"msg":"decision"`) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
