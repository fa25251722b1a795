package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cliResult is what one run of the binary printed and how it exited.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary with args and env (nil: the test's environment)
// and waits at most 90 s.
func runCLI(t testing.TB, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("facegate %v: %v", args, err)
	}
	return res
}

// TestCLIHelp checks that the binary presents itself as facegate: its
// help, the help of its commands and its version.
func TestCLIHelp(t *testing.T) {
	env := append(os.Environ(), "FACEGATE_DATA_DIR="+t.TempDir())
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{args: []string{"help"},
			want: []string{"facegate is a self-hosted face detection", "facegate commands:", "  serve ", "  key ",
				"  namespace ", "  admin ", "  sign ", "  version ", "Caddy's own commands"},
			notWant: []string{"Caddy is an extensible", "caddy run", "caddy key", "$ caddy"}},
		{args: []string{"--help"}, want: []string{"facegate [command]", "  serve "}, notWant: []string{"Caddy is an extensible"}},
		{args: []string{"serve", "--help"}, want: []string{"embedded default Caddyfile", "facegate serve", "--watch"},
			notWant: []string{"Starts the Caddy process", "-c, --config", "caddyserver.com"}},
		{args: []string{"key", "create", "--help"}, want: []string{"facegate key create --owner"}, notWant: []string{"caddy key", "caddyserver.com"}},
		{args: []string{"admin", "--help"}, want: []string{"facegate admin", "FACEGATE_HTTPS_PORT"}, notWant: []string{"caddyserver.com"}},
		{args: []string{"sign", "--help"}, want: []string{"facegate sign", "Exit status"}, notWant: []string{"caddyserver.com"}},
		{args: []string{"run", "--help"}, want: []string{"facegate run", "This is Caddy's own command"}},
		{args: []string{"healthcheck", "--help"}, want: []string{"facegate healthcheck", "exits 0"}, notWant: []string{"caddyserver.com"}},
		{args: []string{"version"}, want: []string{"facegate ", "\nCaddy    v2.", "\nOPA      1.", "\nGo       go1.",
			"face-api 1.7.15 (sha256 ", "esimov/pigo v1.4.6 (sha256 "}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, env, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.stdout, w) {
					t.Errorf("output has %q:\n%s", w, r.stdout)
				}
			}
		})
	}
	t.Run("serve refuses another config", func(t *testing.T) {
		r := runCLI(t, env, "serve", "--config", "/dev/null")
		if r.code == 0 || !strings.Contains(r.stderr, "facegate run --config") {
			t.Errorf("serve --config: exit %d\n%s", r.code, r.stderr)
		}
	})
}

// TestCLIDefaults runs the client commands with no connection flags: they
// find the server, its CA and the credentials through FACEGATE_HTTPS_PORT
// and FACEGATE_DATA_DIR, like the server.
func TestCLIDefaults(t *testing.T) {
	s := startServer(t, t.TempDir())
	env := s.env()
	if r := runCLI(t, env, "namespace", "list"); r.code != 0 || !strings.Contains(r.stdout, `"namespaces"`) {
		t.Fatalf("namespace list with the server's environment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Run("invalid port is an error", func(t *testing.T) {
		r := runCLI(t, append(env, "FACEGATE_HTTPS_PORT=https"), "key", "list")
		if r.code == 0 || !strings.Contains(r.stderr, `FACEGATE_HTTPS_PORT="https" is not a port number`) {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})

	t.Run("admin totp prints a code the API accepts", func(t *testing.T) {
		adm := newSecAdmin(t, s)
		cur := time.Now().Unix() / 30
		adm.ids[0].used[cur-1], adm.ids[0].used[cur] = true, true
		r := adm.do(http.MethodPost, "/admins", map[string]string{"name": "ops"})
		if r.Status != http.StatusCreated {
			t.Fatalf("creating admin ops: %s", r)
		}
		creds := filepath.Join(t.TempDir(), "ops.json")
		raw, _ := json.Marshal(map[string]string{"admin_token": r.str("admin_token"), "admin_totp_uri": r.str("admin_totp_uri")})
		if err := os.WriteFile(creds, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		out := runCLI(t, env, "admin", "totp", "--credentials", creds)
		if out.code != 0 || !regexp.MustCompile(`^[0-9]{6}\n$`).MatchString(out.stdout) {
			t.Fatalf("admin totp: exit %d, stdout %q", out.code, out.stdout)
		}
		got := secAdminCall(t, secClient(t, s), s, http.MethodGet, "/keys", r.str("admin_token"), strings.TrimSpace(out.stdout), nil)
		if got.Status != http.StatusOK {
			t.Errorf("the printed code: %s", got)
		}
		js := runCLI(t, env, "admin", "totp", "--json", "--credentials", creds)
		var m map[string]any
		if js.code != 0 || json.Unmarshal([]byte(js.stdout), &m) != nil || m["code"] == nil {
			t.Errorf("admin totp --json: %q", js.stdout)
		}
	})

	t.Run("healthcheck", func(t *testing.T) {
		if r := runCLI(t, env, "healthcheck"); r.code != 0 || r.stdout != "ok\n" {
			t.Errorf("healthcheck of a running server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		// The plain HTTP port answers with a redirect, not facegate's envelope.
		plain := fmt.Sprintf("http://localhost:%d/fc/account/authenticate.json", s.httpPort)
		if r := runCLI(t, env, "healthcheck", "--url", plain); r.code == 0 {
			t.Errorf("healthcheck of the plain HTTP port passed:\n%s", r.stdout)
		}
	})

	t.Run("sign", func(t *testing.T) {
		dir := t.TempDir()
		good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
		_ = os.WriteFile(good, []byte(s.creds.APISecret), 0o600)
		_ = os.WriteFile(bad, []byte("not-the-secret"), 0o600)
		for _, tc := range []struct {
			name, secretFile string
			wantCode         int
			wantOut          string
		}{
			{"success, data dir CA by default", good, 0, `"status":"success"`},
			{"wrong secret exits 3", bad, 3, `"status":"failure"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := runCLI(t, env, "sign", "--key", s.creds.APIKey, "--secret-file", tc.secretFile, s.url("/fc/account/authenticate.json"))
				if r.code != tc.wantCode || !strings.Contains(r.stdout, tc.wantOut) {
					t.Errorf("exit %d (want %d)\nstdout %.300s\nstderr %.300s", r.code, tc.wantCode, r.stdout, r.stderr)
				}
				if strings.Contains(r.stdout+r.stderr, s.creds.APISecret) {
					t.Error("the secret was printed")
				}
			})
		}
	})

	t.Run("healthcheck of a stopped server fails", func(t *testing.T) {
		s.stop()
		if r := runCLI(t, env, "healthcheck", "--timeout", "3s"); r.code == 0 {
			t.Errorf("healthcheck passed with the server stopped:\n%s", r.stdout)
		}
	})
}
