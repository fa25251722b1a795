package admin

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// runSession runs a CLI command with a session cache in dir, without
// moving the clock; waiting for a TOTP step fails the test.
func (c *cliEnv) runSession(dir string, args ...string) (string, string, error) {
	c.t.Helper()
	deps := cliDeps{now: c.clk.Now, sessionDir: dir, sleep: func(d time.Duration) {
		c.t.Errorf("the CLI waited %s for a TOTP code", d)
		c.clk.Advance(d)
	}}
	root := &cobra.Command{Use: args[0], SilenceUsage: true, SilenceErrors: true}
	switch args[0] {
	case "key":
		buildKeyCommand(root, deps)
	case "namespace":
		buildNamespaceCommand(root, deps)
	case "admin":
		buildAdminCommand(root, deps)
	}
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(append(args[1:], c.flags...))
	err := root.Execute()
	return stdout.String(), stderr.String(), err
}

func TestCLISession(t *testing.T) {
	c := newCLIEnv(t)
	dir := filepath.Join(t.TempDir(), "sessions")
	c.clk.Advance(30 * time.Second)
	commands := [][]string{
		{"namespace", "create", "docs", "--owner", "acme"},
		{"key", "create", "--owner", "acme", "--namespaces", "docs", "--scopes", "faces/*"},
		{"key", "list"},
		{"namespace", "list"},
		{"admin", "list"},
		{"admin", "audit"},
	}
	var outputs strings.Builder
	for _, args := range commands {
		out, errOut, err := c.runSession(dir, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		outputs.WriteString(out + errOut)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "admin-session-*.json"))
	if len(files) != 1 {
		t.Fatalf("session cache files %v, want one", files)
	}
	fi, _ := os.Stat(files[0])
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("cache file mode %v, dir %v; want 0600 and 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
	var cached cachedSession
	raw, _ := os.ReadFile(files[0])
	_ = json.Unmarshal(raw, &cached)
	if cached.Session == "" || strings.Contains(outputs.String(), cached.Session) || strings.Contains(outputs.String(), c.token) {
		t.Error("a session or token was printed (or none was cached)")
	}

	audit, _ := c.kr.ListAudit(time.Time{}, 1000)
	opens, failures := 0, 0
	for _, e := range audit {
		switch {
		case e.Action == "admin.session.open":
			opens++
		case e.Action == "admin.api.auth" && !e.OK:
			failures++
		}
	}
	if opens != 1 || failures != 0 {
		t.Errorf("six commands: %d sessions opened, %d failed authentications; want 1 and 0", opens, failures)
	}

	t.Run("an expired session is replaced with a new code", func(t *testing.T) {
		c.clk.Advance(11 * time.Minute)
		if _, errOut, err := c.runSession(dir, "key", "list"); err != nil {
			t.Fatalf("after expiry: %v\n%s", err, errOut)
		}
	})

	t.Run("a cache file readable by others is ignored", func(t *testing.T) {
		if err := os.Chmod(files[0], 0o644); err != nil {
			t.Fatal(err)
		}
		c.clk.Advance(30 * time.Second)
		if _, errOut, err := c.runSession(dir, "key", "list"); err != nil || !strings.Contains(errOut, "admin session open") {
			t.Fatalf("with a 0644 cache: %v, stderr %q (want a new session)", err, errOut)
		}
		if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
			t.Errorf("cache rewritten with mode %v", fi.Mode().Perm())
		}
	})

	t.Run("a session closed on the server is replaced", func(t *testing.T) {
		raw, _ := os.ReadFile(files[0])
		_ = json.Unmarshal(raw, &cached)
		if err := c.kr.CloseAdminSession(cached.ID, "root", ""); err != nil {
			t.Fatal(err)
		}
		c.clk.Advance(30 * time.Second)
		if _, errOut, err := c.runSession(dir, "key", "list"); err != nil || !strings.Contains(errOut, "admin session open") {
			t.Fatalf("after the server closed the session: %v, stderr %q", err, errOut)
		}
	})

	t.Run("logout closes it", func(t *testing.T) {
		raw, _ := os.ReadFile(files[0])
		_ = json.Unmarshal(raw, &cached)
		if _, errOut, err := c.runSession(dir, "admin", "logout"); err != nil || !strings.Contains(errOut, "closed") {
			t.Fatalf("logout: %v %q", err, errOut)
		}
		if _, err := os.Stat(files[0]); err == nil {
			t.Error("cache file kept after logout")
		}
		open, _ := c.kr.ListAdminSessions()
		for _, s := range open {
			if s.ID == cached.ID {
				t.Error("the session is still open on the server")
			}
		}
		if _, errOut, _ := c.runSession(dir, "admin", "logout"); !strings.Contains(errOut, "no admin session") {
			t.Errorf("second logout: %q", errOut)
		}
	})
}
