package policies

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

// minCoverage is the share of policy lines (not test lines) the Rego
// tests must cover.
const minCoverage = 90.0

// fixRego rewrites unformatted Rego files in place (go test -run
// TestRegoFormatted -args -fix-rego), like `opa fmt -w`.
var fixRego = flag.Bool("fix-rego", false, "rewrite unformatted .rego files in place")

func allPolicyFiles(t *testing.T) []policyFile {
	t.Helper()
	files, err := readPolicyFiles(embeddedPolicies(), true)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRegoFormatted fails on any file that `opa fmt` would change.
func TestRegoFormatted(t *testing.T) {
	for _, f := range allPolicyFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			got, err := format.SourceWithOpts(f.name, f.src, format.Opts{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatalf("formatting: %v", err)
			}
			if !bytes.Equal(got, f.src) && *fixRego {
				if err := os.WriteFile(filepath.Join("facegate", f.name), got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", f.name)
				return
			}
			if !bytes.Equal(got, f.src) {
				t.Errorf("not formatted with opa fmt; want:\n%s", got)
			}
		})
	}
}

// TestRegoStrict compiles policies and tests with the strict compiler.
func TestRegoStrict(t *testing.T) {
	mods, err := parseModules(allPolicyFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compileStrict(mods); err != nil {
		t.Fatal(err)
	}
}

// TestRego runs every Rego test (like `opa test --coverage`) and fails on
// any failure or when coverage of the policy files is below minCoverage.
func TestRego(t *testing.T) {
	mods, err := parseModules(allPolicyFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	cov := cover.New()
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)).
		SetModules(mods).
		SetCoverageQueryTracer(cov).
		SetDefaultRegoVersion(ast.RegoV1)
	ch, err := runner.RunTests(context.Background(), nil)
	if err != nil {
		t.Fatalf("running rego tests: %v", err)
	}
	var passed int
	for r := range ch {
		switch {
		case r.Error != nil:
			t.Errorf("%s.%s: error: %v", r.Package, r.Name, r.Error)
		case r.Fail:
			t.Errorf("%s.%s: FAIL", r.Package, r.Name)
		case r.Skip:
			t.Logf("%s.%s: skipped", r.Package, r.Name)
		default:
			passed++
		}
	}
	if passed == 0 {
		t.Fatal("no rego test ran")
	}
	t.Logf("%d rego tests passed", passed)

	policyMods := map[string]*ast.Module{}
	for name, m := range mods {
		if !isTestFile(name) {
			policyMods[name] = m
		}
	}
	report := cov.Report(policyMods)
	var total, covered int
	var names []string
	for name, fr := range report.Files {
		if isTestFile(name) {
			continue
		}
		names = append(names, name)
		total += fr.CoveredLines + fr.NotCoveredLines
		covered += fr.CoveredLines
	}
	sort.Strings(names)
	for _, name := range names {
		fr := report.Files[name]
		if fr.NotCoveredLines > 0 {
			var lines []string
			for _, r := range fr.NotCovered {
				lines = append(lines, fmt.Sprintf("%d-%d", r.Start.Row, r.End.Row))
			}
			t.Logf("%s: %.1f%%, not covered: %s", name, fr.Coverage, strings.Join(lines, " "))
		}
	}
	pct := 100 * float64(covered) / float64(total)
	t.Logf("rego coverage of policy lines: %.1f%% (%d/%d lines)", pct, covered, total)
	if pct < minCoverage {
		t.Errorf("rego coverage %.1f%% < %.0f%%", pct, minCoverage)
	}
}
