package admin

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// cliEnv runs the real handler behind an httptest TLS server and the CLI
// against it, with the CLI and keyring sharing a fake clock.
type cliEnv struct {
	*env
	srv   *httptest.Server
	flags []string
	dir   string
}

func newCLIEnv(t *testing.T) *cliEnv {
	e := newEnv(t)
	srv := httptest.NewTLSServer(e.api)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "root.crt")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	creds, _ := json.Marshal(map[string]string{"api_key": "x", "admin_token": e.token, "admin_totp_uri": e.uri})
	credPath := filepath.Join(dir, "initial-credentials.json")
	if err := os.WriteFile(credPath, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliEnv{env: e, srv: srv, dir: dir,
		flags: []string{"--server", srv.URL, "--credentials", credPath, "--cacert", ca}}
}

// run executes `<group> args...` and returns stdout, stderr and the error.
func (c *cliEnv) run(group string, args ...string) (string, string, error) {
	c.t.Helper()
	c.clk.Advance(30 * time.Second) // a fresh code for every command
	deps := cliDeps{now: c.clk.Now, sleep: c.clk.Advance}
	root := &cobra.Command{Use: group, SilenceUsage: true, SilenceErrors: true}
	switch group {
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
	root.SetArgs(append(args, c.flags...))
	err := root.Execute()
	return stdout.String(), stderr.String(), err
}

func (c *cliEnv) runJSON(group string, args ...string) map[string]any {
	c.t.Helper()
	out, errOut, err := c.run(group, args...)
	if err != nil {
		c.t.Fatalf("%s %v: %v\n%s", group, args, err, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		c.t.Fatalf("%s %v: output is not JSON: %q", group, args, out)
	}
	return m
}

func TestCLIKeyCommands(t *testing.T) {
	c := newCLIEnv(t)
	c.runJSON("namespace", "create", "docs", "--owner", "acme")
	if ns := c.runJSON("namespace", "list", "--owner", "acme")["namespaces"].([]any); len(ns) != 1 {
		t.Fatalf("namespace list = %v", ns)
	}
	created := c.runJSON("key", "create", "--owner", "acme", "--label", "ci", "--scopes", "faces/*,tags/get",
		"--namespaces", "docs", "--modes", "signature", "--expires", "720h", "--limits", `{"rate":3}`)
	id, secret := created["api_key"].(string), created["api_secret"].(string)
	key, err := c.kr.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if key.Owner != "acme" || key.Label != "ci" || len(key.Scopes) != 2 || key.Namespaces[0] != "docs" ||
		len(key.AuthModes) != 1 || key.AuthModes[0] != "signature" || key.Limits["rate"] != 3.0 ||
		key.ExpiresAt != c.clk.Now().Add(720*time.Hour).Unix() {
		t.Fatalf("key built from the flags = %+v", key)
	}
	if !c.kr.CheckSecret(id, secret) {
		t.Fatal("printed secret does not authenticate")
	}
	if keys := c.runJSON("key", "list", "--owner", "acme")["keys"].([]any); len(keys) != 1 {
		t.Fatalf("key list = %v", keys)
	}
	if shown := c.runJSON("key", "show", id)["key"].(map[string]any); shown["id"] != id {
		t.Fatalf("key show = %v", shown)
	}
	rot := c.runJSON("key", "rotate", id, "--grace", "1h")
	if rot["grace_s"] != 3600.0 || !c.kr.CheckSecret(id, secret) || !c.kr.CheckSecret(id, rot["api_secret"].(string)) {
		t.Fatalf("rotate = %v", rot)
	}
	for _, step := range []struct{ verb, status string }{{"suspend", "suspended"}, {"resume", "active"}, {"revoke", "revoked"}} {
		if k := c.runJSON("key", step.verb, id)["key"].(map[string]any); k["status"] != step.status {
			t.Errorf("key %s: status %v", step.verb, k["status"])
		}
	}
	if out := c.runJSON("key", "delete", id, "--erase"); out["erased"] != true || len(c.backend.erasedKey) != 1 {
		t.Fatalf("key delete --erase = %v (erase calls %v)", out, c.backend.erasedKey)
	}

	t.Run("server errors go to stderr", func(t *testing.T) {
		out, errOut, err := c.run("key", "show", id)
		if err == nil || out != "" || !strings.Contains(errOut, `"not_found"`) {
			t.Fatalf("show of a deleted key: err %v, stdout %q, stderr %q", err, out, errOut)
		}
	})
	t.Run("bad flags are refused locally", func(t *testing.T) {
		if _, _, err := c.run("key", "create", "--owner", "acme", "--limits", "[1"); err == nil {
			t.Error("invalid --limits accepted")
		}
		if _, _, err := c.run("key", "create", "--owner", "acme", "--expires", "soon"); err == nil {
			t.Error("invalid --expires accepted")
		}
		if _, _, err := c.run("key", "show"); err == nil {
			t.Error("show without an id accepted")
		}
	})
}

func TestCLIAdminCommands(t *testing.T) {
	c := newCLIEnv(t)
	// Just the code by default (for -H "X-TOTP-Code: $(facegate admin totp)"),
	// JSON with --json.
	out, _, err := c.run("admin", "totp")
	if want := totpCode(t, c.uri, c.clk.Now()) + "\n"; err != nil || out != want {
		t.Fatalf("admin totp printed %q, %v; want %q", out, err, want)
	}
	got := c.runJSON("admin", "totp", "--json")
	if got["code"] != totpCode(t, c.uri, c.clk.Now()) || got["valid_for_s"] == nil {
		t.Fatalf("admin totp --json printed %v", got)
	}
	qr := filepath.Join(c.dir, "ops.png")
	created := c.runJSON("admin", "create", "ops", "--qr", qr)
	if created["admin"] != "ops" || !strings.HasPrefix(created["admin_totp_uri"].(string), "otpauth://") {
		t.Fatalf("admin create = %v", created)
	}
	f, err := os.Open(qr)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("saved QR is not a PNG: %v", err)
	}
	if admins := c.runJSON("admin", "list")["admins"].([]any); len(admins) != 2 {
		t.Fatalf("admin list = %v", admins)
	}
	if re := c.runJSON("admin", "totp", "--reenroll", "ops"); re["admin"] != "ops" {
		t.Fatalf("re-enroll = %v", re)
	}
	if out := c.runJSON("admin", "reload-policies"); out["reloaded"] != true || c.backend.reloads != 1 {
		t.Fatalf("reload = %v", out)
	}
	if entries := c.runJSON("admin", "audit", "--limit", "3")["entries"].([]any); len(entries) != 3 {
		t.Fatalf("audit = %v", entries)
	}
	c.runJSON("admin", "delete", "ops")
}

// TestCLIWaitsForNextCode runs two commands within one TOTP step: the
// second must wait for the next step and succeed.
func TestCLIWaitsForNextCode(t *testing.T) {
	c := newCLIEnv(t)
	deps := cliDeps{now: c.clk.Now, sleep: c.clk.Advance}
	for i := range 2 {
		root := &cobra.Command{Use: "admin", SilenceUsage: true, SilenceErrors: true}
		buildAdminCommand(root, deps)
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(append([]string{"list"}, c.flags...))
		before := c.clk.Now()
		if err := root.Execute(); err != nil {
			t.Fatalf("command %d: %v\n%s", i, err, errOut.String())
		}
		waited := c.clk.Now().Sub(before)
		if i == 1 && (waited == 0 || !strings.Contains(errOut.String(), "waiting")) {
			t.Fatalf("second command did not wait for the next code (waited %s, stderr %q)", waited, errOut.String())
		}
		if i == 0 && waited != 0 {
			t.Fatalf("first command waited %s", waited)
		}
	}
}

func TestClientConfig(t *testing.T) {
	c := newCLIEnv(t)
	tokenFile := filepath.Join(c.dir, "token")
	_ = os.WriteFile(tokenFile, []byte(c.token+"\n"), 0o600)
	now := c.clk.Now
	tests := []struct {
		name    string
		cfg     ClientConfig
		wantErr string
	}{
		{"plain http refused", ClientConfig{Server: "http://localhost:8443", Credentials: c.flags[3]}, "https"},
		{"no credentials", ClientConfig{Server: c.srv.URL, Credentials: filepath.Join(c.dir, "none.json")}, "credentials"},
		{"bad cacert", ClientConfig{Server: c.srv.URL, Credentials: c.flags[3], CACert: tokenFile}, "PEM"},
		{"token file and fixed code", ClientConfig{Server: c.srv.URL, Credentials: filepath.Join(c.dir, "none.json"), TokenFile: tokenFile, TOTP: "123456"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.cfg, now, c.clk.Advance, os.Stderr)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("NewClient = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("NewClient = %v, want error about %s", err, tt.wantErr)
			}
		})
	}
	t.Run("fixed code is sent", func(t *testing.T) {
		c.clk.Advance(30 * time.Second)
		cfg := ClientConfig{Server: c.srv.URL, Prefix: "/admin", Credentials: "/nonexistent", TokenFile: tokenFile,
			TOTP: totpCode(t, c.uri, c.clk.Now()), CACert: c.flags[5]}
		cl, err := NewClient(cfg, now, c.clk.Advance, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{200, 401} { // the fixed code works once; no automatic retry
			ans, err := cl.Do("GET", "/admins", nil, nil)
			if err != nil || ans.Status != want {
				t.Fatalf("call %d = %d, %v; want %d", i, ans.Status, err, want)
			}
		}
	})
}

func TestParseExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"1900000000", 1_900_000_000, true},
		{"2030-01-01T00:00:00Z", 1_893_456_000, true}, {"24h", 1_800_086_400, true},
		{"-1h", 0, false}, {"tomorrow", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseExpiry(tt.in, now)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("parseExpiry(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
}
