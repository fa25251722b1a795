package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeSections says what TestREADMECommands does with the ```sh blocks
// under each "## " heading of README.md: "run" runs the whole block,
// "facegate lines" only its lines that start with bin/facegate, and any
// other value is the reason the block is not run here. A block under a
// heading missing from this table fails the test, so that a new example
// cannot go untested by accident.
var readmeSections = map[string]string{
	"facegate":                           "make run is `go build` plus `bin/facegate serve`, which the test starts itself (as make run does); make test is this suite",
	"Detect faces with curl":             "run",
	"Signed requests":                    "run",
	"Keys, namespaces and the admin API": "run",
	"Security assessment":                "make assess is run against the default config by TestAssessDefaultConfig",
	"Building":                           "facegate lines", // the binary under test is built with go build ./xcaddy; xcaddy is not installed here
}

// readmeBlock is one ```sh block of README.md.
type readmeBlock struct {
	section string
	script  string
}

// readmeBlocks returns README.md's shell blocks with their section.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []readmeBlock
		section string
		cur     *strings.Builder
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur != nil && line == "```":
			out = append(out, readmeBlock{section, cur.String()})
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		case line == "```sh":
			cur = new(strings.Builder)
		case strings.HasPrefix(line, "# "):
			section = strings.TrimPrefix(line, "# ")
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestREADMECommands follows the README on a fresh checkout: it starts
// `bin/facegate serve` the way `make run` does, in a temporary copy of the
// repository layout (bin/facegate, ./data, ../shared), on free ports given
// through the FACEGATE_* variables the README documents, then runs the
// README's shell blocks literally, in order, in one bash with -euo pipefail,
// and checks what each printed.
func TestREADMECommands(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it)", tool)
		}
	}
	shared := filepath.Join(repoRoot, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "data", "faces")); err != nil {
		t.Skipf("shared face data not found at %s", shared)
	}
	top := t.TempDir()
	repo := filepath.Join(top, "repo")
	for _, dir := range []string{filepath.Join(repo, "bin"), filepath.Join(top, "home"), filepath.Join(top, "run")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(binPath, filepath.Join(repo, "bin", "facegate")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shared, filepath.Join(top, "shared")); err != nil {
		t.Fatal(err)
	}
	httpsPort, httpPort := freePort(t), freePort(t)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(top, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(top, "home", ".config"),
		"XDG_DATA_HOME=" + filepath.Join(top, "home", ".local"),
		"XDG_RUNTIME_DIR=" + filepath.Join(top, "run"),
		fmt.Sprintf("FACEGATE_HTTPS_PORT=%d", httpsPort),
		fmt.Sprintf("FACEGATE_HTTP_PORT=%d", httpPort),
	}

	// make run: FACEGATE_DATA_DIR=./data bin/facegate serve
	srv := exec.Command("bin/facegate", "serve")
	srv.Dir = repo
	srv.Env = append(env, "FACEGATE_DATA_DIR=./data")
	logs := new(logBuffer)
	srv.Stdout, srv.Stderr = logs, logs
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	waitHTTPS(t, srv, logs, filepath.Join(repo, "data"), httpsPort)

	// First start: the files the README names, 0600.
	for _, name := range []string{"initial-credentials.json", "encryption.key", "keyring.key", "Caddyfile.default", "caddy-admin.sock"} {
		fi, err := os.Stat(filepath.Join(repo, "data", name))
		if err != nil {
			t.Errorf("README: the first start writes data/%s: %v", name, err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("data/%s has mode %v, the README says 0600", name, fi.Mode().Perm())
		}
	}

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	var run []readmeBlock
	for _, b := range readmeBlocks(t) {
		what, ok := readmeSections[b.section]
		switch {
		case !ok:
			t.Errorf("README.md has a shell block under %q, which TestREADMECommands neither runs nor explains (readmeSections):\n%s", b.section, b.script)
			continue
		case what == "facegate lines":
			var lines []string
			for _, l := range strings.Split(b.script, "\n") {
				if strings.HasPrefix(l, "bin/facegate ") {
					lines = append(lines, l)
				}
			}
			b.script = strings.Join(lines, "\n") + "\n"
		case what != "run":
			t.Logf("not run (%s): %s", b.section, what)
			continue
		}
		fmt.Fprintf(&script, "echo '@@block %d'\necho '@@block %d' >&2\n%s", len(run), len(run), b.script)
		run = append(run, b)
	}
	if len(run) < 5 {
		t.Fatalf("only %d README blocks to run: the README's layout changed under the test", len(run))
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = repo
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	outs := splitBlocks(stdout.String(), len(run))
	errs := splitBlocks(stderr.String(), len(run))
	if err != nil {
		last := 0
		for i := range run {
			if strings.Contains(stdout.String(), fmt.Sprintf("@@block %d\n", i)) {
				last = i
			}
		}
		t.Fatalf("README block %d (%s) failed: %v\n--- block:\n%s--- stdout:\n%s\n--- stderr:\n%s\n--- server:\n%s",
			last, run[last].section, err, run[last].script, outs[last], errs[last], tail(logs.String(), 4000))
	}

	for i, b := range run {
		out := outs[i]
		switch {
		case b.section == "Detect faces with curl", b.section == "Signed requests":
			var ans struct {
				Status string `json:"status"`
				Photos []struct {
					Tags []json.RawMessage `json:"tags"`
				} `json:"photos"`
			}
			if err := json.Unmarshal([]byte(out), &ans); err != nil || ans.Status != "success" || len(ans.Photos) != 1 || len(ans.Photos[0].Tags) == 0 {
				t.Errorf("%s: want a successful detection with faces, got (%v):\n%s", b.section, err, out)
			}
		case strings.Contains(b.script, "bin/facegate namespace create"):
			for _, want := range []string{`"acme-faces"`, `"revoked"`, `"key.revoke"`, `"key.rotate"`} {
				if !strings.Contains(out, want) {
					t.Errorf("admin CLI block: output lacks %s:\n%s", want, out)
				}
			}
		case strings.Contains(b.script, "/admin/sessions"):
			if !strings.Contains(out, `"keys"`) || !strings.Contains(out, `"acme"`) {
				t.Errorf("admin HTTP block: want the key list with acme's key, got:\n%s", out)
			}
		case b.section == "Building":
			for _, want := range []string{"http.handlers.facegate_guard", "http.handlers.facegate_api", "http.handlers.facegate_admin", "http.handlers.facegate_openapi"} {
				if !strings.Contains(out, want) {
					t.Errorf("list-modules lacks %s:\n%s", want, out)
				}
			}
		}
	}
	// The acme key is revoked: its secret (from acme-key.json) is refused.
	var acme struct {
		Key    string `json:"api_key"`
		Secret string `json:"api_secret"`
	}
	raw, err := os.ReadFile(filepath.Join(repo, "acme-key.json"))
	if err == nil {
		err = json.Unmarshal(raw, &acme)
	}
	if err != nil || acme.Key == "" {
		t.Fatalf("acme-key.json from the README's key create: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(repo, "acme-key.json")); fi != nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("acme-key.json has mode %v, want 0600 (it holds a secret)", fi.Mode().Perm())
	}
}

// waitHTTPS waits until the server started in dataDir answers over HTTPS.
func waitHTTPS(t *testing.T, srv *exec.Cmd, logs *logBuffer, dataDir string, port int) {
	t.Helper()
	root := filepath.Join(dataDir, "caddy", "pki", "authorities", "local", "root.crt")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if processExited(srv.Process.Pid) {
			t.Fatalf("facegate exited early:\n%s", logs)
		}
		if pem, err := os.ReadFile(root); err == nil {
			pool := x509.NewCertPool()
			if pool.AppendCertsFromPEM(pem) {
				c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
				resp, err := c.Get(fmt.Sprintf("https://localhost:%d/fc/account/authenticate", port))
				if err == nil {
					resp.Body.Close()
					if _, err := os.Stat(filepath.Join(dataDir, "initial-credentials.json")); err == nil {
						return
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("facegate did not answer over HTTPS within 90s:\n%s", logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// splitBlocks cuts a script's output at its "@@block N" markers.
func splitBlocks(s string, n int) []string {
	out := make([]string, n)
	cur := -1
	for _, line := range strings.SplitAfter(s, "\n") {
		var i int
		if _, err := fmt.Sscanf(line, "@@block %d\n", &i); err == nil && i >= 0 && i < n {
			cur = i
			continue
		}
		if cur >= 0 {
			out[cur] += line
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
