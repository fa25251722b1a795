package e2e

import (
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

// TestAccessLogFilterOfOperationsGuide runs the access-log filter that
// docs/operations.md recommends, as written, in the real binary: a request
// carrying api_secret in its query and X-Api-Secret and X-TOTP-Code headers
// is logged without any of them.
func TestAccessLogFilterOfOperationsGuide(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	var block string
	for _, part := range strings.Split(string(raw), "```caddyfile\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		if strings.HasPrefix(body, "log {") {
			block = body
		}
	}
	if block == "" {
		t.Fatal("docs/operations.md has no ```caddyfile block starting with log {")
	}
	dir := t.TempDir()
	port := freePort(t)
	cfg := fmt.Sprintf("{\n\tadmin off\n\tstorage file_system %s\n}\nhttp://localhost:%d {\n%s\trespond \"ok\"\n}\n",
		filepath.Join(dir, "caddy"), port, block)
	if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "run", "--config", filepath.Join(dir, "Caddyfile"), "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "cfg"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
	logs := new(logBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	url := fmt.Sprintf("http://localhost:%d/fc/faces/detect.json?api_key=k1&api_secret=QUERYSECRET", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Api-Secret", "HEADERSECRET")
		req.Header.Set("X-TOTP-Code", "TOTPCODE")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) || processExited(cmd.Process.Pid) {
			t.Fatalf("the server with the documented log block did not answer: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "handled request") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	out := logs.String()
	if !strings.Contains(out, `"uri":"/fc/faces/detect.json?api_key=k1"`) {
		t.Fatalf("no access log line with the filtered uri:\n%s", out)
	}
	for _, secret := range []string{"QUERYSECRET", "HEADERSECRET", "TOTPCODE"} {
		if strings.Contains(out, secret) {
			t.Errorf("the access log holds %s despite the documented filter:\n%s", secret, out)
		}
	}
}
