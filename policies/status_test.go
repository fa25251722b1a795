package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatusReportsReloads(t *testing.T) {
	dir := copyEmbedded(t)
	d := newTestDecider(t, dir)
	s := d.Status()
	if s.Version != d.Version() || s.Embedded || s.LoadedAt == 0 || s.LastReloadAt != 0 || s.LastError != "" || s.Reloads != 0 || s.ReloadFailures != 0 {
		t.Fatalf("fresh status %+v", s)
	}
	good := s.Version
	path := filepath.Join(dir, limitsFile)
	if err := os.WriteFile(path, []byte("package facegate.limits\n\nbroken :=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d.Reload() == nil {
		t.Fatal("a broken policy reloaded")
	}
	s = d.Status()
	if s.Version != good || s.LastError == "" || s.LastErrorAt == 0 || s.LastReloadAt == 0 || s.Reloads != 1 || s.ReloadFailures != 1 {
		t.Fatalf("status after a failed reload %+v", s)
	}
	if !strings.Contains(s.LastError, "limits.rego") {
		t.Errorf("last error does not name the file: %q", s.LastError)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, os.DirFS(copyEmbedded(t))); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if s = d.Status(); s.LastError != "" || s.LastErrorAt == 0 || s.Version != good || s.Reloads != 2 || s.ReloadFailures != 1 {
		t.Errorf("status after a good reload %+v", s)
	}
	if e := newTestDecider(t, "").Status(); !e.Embedded {
		t.Errorf("embedded policies not reported: %+v", e)
	}
}
