package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	mdLink       = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	testFileRef  = regexp.MustCompile("`([a-z0-9_./*-]+_test\\.(?:go|rego))`")
	testFuncRef  = regexp.MustCompile("`(Test[A-Za-z0-9_]+)`")
	testFuncDecl = regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(`)
)

// TestRelativeLinksResolve checks that the relative links of the README and
// of every page in docs/ point at files that exist.
func TestRelativeLinksResolve(t *testing.T) {
	pages, _ := filepath.Glob("*.md")
	pages = append(pages, "../README.md")
	for _, page := range pages {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(src), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(page), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", page, m[1])
			}
		}
	}
}

// TestSecurityGuideCitesRealTests checks that every test file and test
// function security.md names as a proof exists.
func TestSecurityGuideCitesRealTests(t *testing.T) {
	src, err := os.ReadFile("security.md")
	if err != nil {
		t.Fatal(err)
	}
	files := testFileRef.FindAllStringSubmatch(string(src), -1)
	funcs := testFuncRef.FindAllStringSubmatch(string(src), -1)
	if len(files) < 20 || len(funcs) < 20 {
		t.Fatalf("security.md cites %d test files and %d tests: the scan is broken", len(files), len(funcs))
	}
	for _, m := range files {
		matches, _ := filepath.Glob(filepath.Join("..", m[1]))
		if len(matches) == 0 {
			t.Errorf("security.md cites %s, which does not exist", m[1])
		}
	}
	declared := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFuncDecl.FindAllStringSubmatch(string(b), -1) {
			declared[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range funcs {
		if !declared[m[1]] {
			t.Errorf("security.md cites %s, which no test declares", m[1])
		}
	}
}
