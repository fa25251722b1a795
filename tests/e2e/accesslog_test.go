package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestAccessLogFilterOfOperationsGuide runs the access-log filter that
// docs/operations.md recommends, as written, in the real binary: a request
// carrying api_secret in its query and X-Api-Secret and X-TOTP-Code headers
// is logged without any of them.
func TestAccessLogFilterOfOperationsGuide(t *testing.T) {
	block := operationsBlock(t, "log {")
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

// TestDecisionLogSamplingOfOperationsGuide runs the global log block that
// docs/operations.md gives to bound the guard's decision lines, as written,
// in the real binary: a flood of denials (a valid key naming foreign
// namespaces, 403 with error 404) leaves far fewer decision lines than
// requests, none of them twice, and the server's other lines are still
// logged.
func TestDecisionLogSamplingOfOperationsGuide(t *testing.T) {
	block := operationsBlock(t, "log guard {")
	global := "\t" + strings.ReplaceAll(strings.TrimSuffix(block, "\n"), "\n", "\n\t") + "\n"
	s := secStartConfig(t, t.TempDir(), func(*server) string {
		return strings.Replace(secCaddyfile(""), "\tfacegate {\n", global+"\tfacegate {\n", 1)
	})
	key, secret := newSecAdmin(t, s).secOwner("sampled", "owned")
	c := secClient(t, s)
	const n = 1500
	var wg sync.WaitGroup
	var denied atomic.Int64
	start := time.Now()
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 6 {
				resp, err := c.Do(secForm(s, "tags/get", url.Values{"api_key": {key}, "api_secret": {secret},
					"namespace": {fmt.Sprintf("foreign%d", i)}, "uids": {"a"}}))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusForbidden { // 404 UNAUTHORIZED_USER_NAMESPACE
					denied.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if denied.Load() != n {
		t.Fatalf("%d of %d calls naming foreign namespaces denied with HTTP 403", denied.Load(), n)
	}
	deadline := time.Now().Add(5 * time.Second)
	count := func() (lines int, seen map[string]int) {
		seen = map[string]int{}
		for _, line := range strings.Split(secLogText(s), "\n") {
			if strings.Contains(line, `"msg":"decision"`) {
				lines++
				seen[line]++
			}
		}
		return lines, seen
	}
	lines, seen := count()
	for lines == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		lines, seen = count()
	}
	// per second, the first 100 and one in 100 of the rest
	if bound := 100*(int(elapsed.Seconds())+2) + n/100; lines == 0 || lines >= n || lines > bound {
		t.Fatalf("%d decision lines for %d denials in %v, want some and at most %d", lines, n, elapsed, bound)
	}
	for line, k := range seen {
		if k > 1 {
			t.Fatalf("a decision line logged %d times (by the default log and the guard's):\n%s", k, line)
		}
	}
	if !strings.Contains(secLogText(s), "serving initial configuration") {
		t.Errorf("the default log lost Caddy's own lines:\n%s", secTail([]byte(secLogText(s)), 2000))
	}
	t.Logf("%d decision lines for %d denials", lines, n)
}

// operationsBlock is the ```caddyfile block of docs/operations.md that
// starts with prefix.
func operationsBlock(t *testing.T, prefix string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(string(raw), "```caddyfile\n")[1:] {
		if body, _, _ := strings.Cut(part, "```"); strings.HasPrefix(body, prefix) {
			return body
		}
	}
	t.Fatalf("docs/operations.md has no ```caddyfile block starting with %s", prefix)
	return ""
}
