package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestAssessDefaultConfig runs the outside assessment (tests/assess, what
// `make assess` runs) against the real binary on the default config: the
// command must exit 0 and its JSON report must hold no failed case. --quick
// leaves testssl.sh to TestTestssl and caps the fuzz corpus replay, to keep
// the run near half a minute.
func TestAssessDefaultConfig(t *testing.T) {
	faces := facesDir(t)
	tmp := t.TempDir()
	assess := filepath.Join(tmp, "assess")
	build := exec.Command("go", "build", "-o", assess, "./tests/assess")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building tests/assess: %v\n%s", err, out)
	}
	dataDir := filepath.Join(tmp, "data")
	s := startServer(t, dataDir)
	out := filepath.Join(tmp, "report")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, assess,
		"--url", fmt.Sprintf("https://localhost:%d", s.httpsPort),
		"--http-url", fmt.Sprintf("http://localhost:%d", s.httpPort),
		"--ca", s.rootCA(),
		"--credentials", filepath.Join(dataDir, "initial-credentials.json"),
		"--out", out, "--bin", binPath, "--faces", faces,
		"--pid", strconv.Itoa(s.cmd.Process.Pid),
		"--quick", "--budget", "150s")
	cmd.Dir = repoRoot
	start := time.Now()
	text, err := cmd.CombinedOutput()
	t.Logf("assess ran %v:\n%s", time.Since(start).Round(time.Second), secTail(text, 4000))
	if err != nil {
		t.Errorf("assess exited with %v", err)
	}

	raw, rerr := os.ReadFile(filepath.Join(out, "latest.json"))
	if rerr != nil {
		t.Fatalf("no JSON report: %v", rerr)
	}
	var rep struct {
		Summary map[string]int `json:"summary"`
		Cases   []struct {
			ID, Class, Title, Expected, Observed, Verdict string
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	classes := map[string]int{}
	for _, c := range rep.Cases {
		if c.Verdict == "fail" {
			t.Errorf("%s %s: expected %s; observed %s", c.ID, c.Title, c.Expected, c.Observed)
		}
		if c.Verdict == "pass" {
			classes[c.Class]++
		}
	}
	// The run reached the instance: every class has passing cases.
	if len(classes) < 10 || rep.Summary["pass"] < 150 {
		t.Errorf("only %d passing cases in %d classes: %v", rep.Summary["pass"], len(classes), classes)
	}
	for _, secret := range []string{s.creds.APISecret, s.creds.AdminToken, s.creds.AdminTOTPURI} {
		if secret != "" && (bytes.Contains(raw, []byte(secret)) || bytes.Contains(text, []byte(secret))) {
			t.Errorf("the report or the command's output carries a secret of the instance")
		}
	}
}
