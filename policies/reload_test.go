package policies

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const limitsFile = "facegate/limits/limits.rego"

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(src), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func freeRate(t *testing.T, d *Decider) float64 {
	t.Helper()
	dec := d.Decide(context.Background(), realisticInput())
	for _, l := range dec.Limits {
		if l.Name == "key-rate" {
			return l.Rate
		}
	}
	t.Fatalf("no key-rate limit in %s", dec)
	return 0
}

func TestDirOverridesEmbedded(t *testing.T) {
	dir := copyEmbedded(t)
	editFile(t, filepath.Join(dir, limitsFile), `"rate": 5, "per_s": 1, "burst": 10`, `"rate": 7, "per_s": 1, "burst": 10`)
	d := newTestDecider(t, dir)
	if got := freeRate(t, d); got != 7 {
		t.Errorf("free key-rate = %v, want 7 from the override dir", got)
	}
	if d.Version() == newTestDecider(t, "").Version() {
		t.Error("override dir has the embedded version")
	}
}

func TestReloadKeepsLastGoodVersion(t *testing.T) {
	dir := copyEmbedded(t)
	d := newTestDecider(t, dir)
	good := d.Version()
	path := filepath.Join(dir, limitsFile)

	cases := []struct{ name, old, new string }{
		{"syntax error", "tiers := {", "tiers := {{"},
		{"strict error: unused import", "import data.facegate.routes", "import data.facegate.routes\nimport data.facegate.keys"},
		{"unknown function", "cost := max([input.request.images, 1])", "cost := maximum([input.request.images, 1])"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig, _ := os.ReadFile(path)
			t.Cleanup(func() { _ = os.WriteFile(path, orig, 0o644) })
			editFile(t, path, c.old, c.new)
			if err := d.Reload(); err == nil {
				t.Fatal("Reload accepted a broken policy")
			}
			if d.Version() != good {
				t.Errorf("version changed to %s after a failed reload", d.Version())
			}
			if dec := d.Decide(context.Background(), realisticInput()); !dec.Allow {
				t.Errorf("last good version no longer serves: %s", dec)
			}
		})
	}

	editFile(t, path, `"rate": 5, "per_s": 1, "burst": 10`, `"rate": 6, "per_s": 1, "burst": 10`)
	if err := d.Reload(); err != nil {
		t.Fatalf("Reload of a fixed policy: %v", err)
	}
	if d.Version() == good {
		t.Error("version unchanged after a good reload")
	}
	if got := freeRate(t, d); got != 6 {
		t.Errorf("free key-rate = %v after reload, want 6", got)
	}
}

func TestNewDeciderErrors(t *testing.T) {
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "x.rego"), []byte("package facegate\n\ndecision := {"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{
		"missing dir": filepath.Join(t.TempDir(), "nope"),
		"no rego":     t.TempDir(),
		"broken rego": broken,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewDecider(Options{Dir: dir}); err == nil {
				t.Fatal("NewDecider succeeded")
			}
		})
	}
}

// TestFailClosed replaces the policies with ones whose decision cannot be
// used: every case must deny with 500 / 104 / policy_error.
func TestFailClosed(t *testing.T) {
	cases := map[string]string{
		"undefined decision": `package facegate

decision := {"allow": true} if input.never == "set"
`,
		"conflicting decision": `package facegate

decision := {"allow": true, "status": 200, "error_code": 0, "detail": "", "reason": "ok", "limits": []} if input.now_ns > 0

decision := {"allow": false, "status": 403, "error_code": 307, "detail": "x", "reason": "x", "limits": []} if input.now_ns > 1
`,
		"wrong types": `package facegate

decision := {"allow": "yes", "status": 200, "error_code": 0, "detail": "", "reason": "ok", "limits": []}
`,
		"deny without error code": `package facegate

decision := {"allow": false, "status": 403, "error_code": 0, "detail": "", "reason": "x", "limits": []}
`,
		"allow with error status": `package facegate

decision := {"allow": true, "status": 403, "error_code": 0, "detail": "", "reason": "x", "limits": []}
`,
		"bad limit": `package facegate

decision := {"allow": true, "status": 200, "error_code": 0, "detail": "", "reason": "ok", "limits": [{"name": 1}]}
`,
		"runtime error": `package facegate

decision := {"allow": true, "status": 200, "error_code": 0, "detail": "", "reason": "ok", "limits": [{"name": "x", "kind": "quota", "count": 1, "per_s": 1, "cost": to_number(input.request.route)}]}
`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "decision.rego"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zap.ErrorLevel)
			d, err := NewDecider(Options{Dir: dir, Logger: zap.New(core)})
			if err != nil {
				t.Fatalf("NewDecider: %v", err)
			}
			got := d.Decide(context.Background(), realisticInput())
			if got.Allow || got.Status != 500 || got.ErrorCode != 104 || got.Reason != ReasonPolicyError {
				t.Fatalf("got %s, want fail closed", got)
			}
			if logs.Len() == 0 {
				t.Error("fail-closed decision was not logged")
			}
		})
	}
}

func TestFailClosedOnNilInputAndCanceledContext(t *testing.T) {
	d := newTestDecider(t, "")
	if got := d.Decide(context.Background(), nil); got.Allow || got.Reason != ReasonPolicyError {
		t.Errorf("nil input: got %s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := d.Decide(ctx, realisticInput()); got.Allow || got.Reason != ReasonPolicyError {
		t.Errorf("canceled context: got %s", got)
	}
}

func TestWatchReloadsOnChange(t *testing.T) {
	dir := copyEmbedded(t)
	core, logs := observer.New(zap.InfoLevel)
	d, err := NewDecider(Options{Dir: dir, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Watch(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	path := filepath.Join(dir, limitsFile)
	good := d.Version()
	editFile(t, path, "tiers := {", "tiers := {{")
	waitFor(t, func() bool { return logs.FilterMessageSnippet("POLICY RELOAD FAILED").Len() > 0 })
	if d.Version() != good {
		t.Fatal("a broken edit replaced the active version")
	}
	editFile(t, path, "tiers := {{", "tiers := {")
	editFile(t, path, `"rate": 5, "per_s": 1, "burst": 10`, `"rate": 9, "per_s": 1, "burst": 10`)
	waitFor(t, func() bool { return d.Version() != good })
	if got := freeRate(t, d); got != 9 {
		t.Errorf("free key-rate = %v after the watcher reloaded, want 9", got)
	}
}

func TestWatchEmbeddedReturnsOnCancel(t *testing.T) {
	d := newTestDecider(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Watch(ctx, time.Millisecond); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConcurrentDecideAndReload: decisions stay correct while the policy
// set is swapped (run with -race).
func TestConcurrentDecideAndReload(t *testing.T) {
	dir := copyEmbedded(t)
	d := newTestDecider(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan string, 4)
	for range 2 {
		go func() {
			for ctx.Err() == nil {
				if dec := d.Decide(context.Background(), realisticInput()); !dec.Allow {
					errs <- dec.String()
					return
				}
			}
			errs <- ""
		}()
	}
	for range 5 {
		if err := d.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	for range 2 {
		if e := <-errs; e != "" {
			t.Errorf("decision during reload: %s", e)
		}
	}
}

// TestCancelDuringEvaluation: a request context that ends while a
// long evaluation runs cancels it (the evaluation watches the context
// through context.AfterFunc), and the decision fails closed.
func TestCancelDuringEvaluation(t *testing.T) {
	dir := copyEmbedded(t)
	appendFile(t, filepath.Join(dir, "facegate", "routes", "routes.rego"), `
deny contains errors.deny(10, 403, 307, "slow", "slow") if {
	some i in numbers.range(1, 20000)
	some j in numbers.range(1, 20000)
	i * j == -1
}
`)
	core, logs := observer.New(zap.ErrorLevel)
	d, err := NewDecider(Options{Dir: dir, Logger: zap.New(core), NoMemo: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if got := d.Decide(ctx, realisticInput()); got.Allow || got.Reason != ReasonPolicyError {
		t.Errorf("cancelled evaluation: got %s", got)
	}
	if logs.FilterMessageSnippet("policy evaluation failed").Len() != 1 || !strings.Contains(fmt.Sprint(logs.All()[0].ContextMap()["error"]), "cancel") {
		t.Errorf("logs %v, want the evaluation's cancellation", logs.All())
	}
}
