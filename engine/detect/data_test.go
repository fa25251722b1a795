package detect

import (
	"os"
	"path/filepath"
	"testing"
)

// dataDir returns ../shared/data/faces seen from the repository root (found by walking up
// to go.mod), skipping the test when the shared data is absent.
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
	root := filepath.Join(dir, "..", "shared", "data", "faces")
	if _, err := os.Stat(root); err != nil {
		tb.Skipf("shared test data absent: %v", err)
	}
	return root
}
