package store

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestEncryptedAtRest checks that neither a value nor a key appears in plaintext in any file
// of the data dir, both before (WAL) and after (tables) a clean close.
func TestEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	const secret = "descriptor-0.123456-0.654321-marker"
	s, err := Open(DefaultOptions(dir, testKey(4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutJSON("tag/ns/marker-key-xyz/t1", secret, 0); err != nil {
		t.Fatal(err)
	}
	scan := func(stage string) {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			// Badger preallocates sparse WAL and value-log files; this test's few writes sit in
			// their first megabytes.
			b, err := io.ReadAll(io.LimitReader(f, 8<<20))
			if err != nil {
				return err
			}
			for _, needle := range []string{secret, "marker-key-xyz"} {
				if bytes.Contains(b, []byte(needle)) {
					t.Errorf("%s: %q in plaintext in %s", stage, needle, filepath.Base(path))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scan("open")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	scan("closed")
}
