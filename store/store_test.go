package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func openMem(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{InMemory: true, EncryptionKey: testKey(1)})
	if err != nil {
		t.Fatalf("open in-memory store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type rec struct {
	Name string    `json:"name"`
	Vec  []float32 `json:"vec"`
}

// opener opens an empty store of one backend for t.
type opener func(t *testing.T) *Store

// forEachBackend runs fn on Badger (in memory) and on PostgreSQL (a private
// server, see pg_test.go).
func forEachBackend(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("badger", func(t *testing.T) { fn(t, openMem) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPG) })
}

func TestOpenValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no key", Options{InMemory: true}, "32 bytes"},
		{"short key", Options{InMemory: true, EncryptionKey: []byte("short")}, "32 bytes"},
		{"no dir", Options{EncryptionKey: testKey(1)}, "data dir is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("open succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) { forEachBackend(t, testJSONRoundTrip) }

func testJSONRoundTrip(t *testing.T, open opener) {
	s := open(t)
	in := rec{Name: "a", Vec: []float32{0.5, -1.25}}
	if err := s.PutJSON("k/1", in, 0); err != nil {
		t.Fatal(err)
	}
	var out rec
	if err := s.GetJSON("k/1", &out); err != nil {
		t.Fatal(err)
	}
	if out.Name != in.Name || len(out.Vec) != 2 || out.Vec[1] != -1.25 {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	if err := s.GetJSON("k/missing", &out); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: got %v, want ErrNotFound", err)
	}
	if err := s.Delete("k/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.GetJSON("k/1", &out); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: got %v, want ErrNotFound", err)
	}
	if err := s.Delete("k/never"); err != nil {
		t.Fatalf("deleting an absent key: %v", err)
	}
	if err := s.PutJSON("", in, 0); err == nil {
		t.Fatal("empty key accepted")
	}
	if err := s.PutJSON("k/bad", func() {}, 0); err == nil {
		t.Fatal("unencodable value accepted")
	}
}

func TestTTL(t *testing.T) { forEachBackend(t, testTTL) }

func testTTL(t *testing.T, open opener) {
	s := open(t)
	if err := s.PutJSON("tmp/x", 1, time.Second); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.GetJSON("tmp/x", &v); err != nil || v != 1 {
		t.Fatalf("fresh ttl key: v=%d err=%v", v, err)
	}
	var keys []string
	if err := s.View(func(tx *Tx) error { var err error; keys, err = tx.Keys("tmp/"); return err }); err != nil || len(keys) != 1 {
		t.Fatalf("fresh ttl key not listed: %v, %v", keys, err)
	}
	time.Sleep(2100 * time.Millisecond) // Badger's TTL has one-second resolution
	if err := s.GetJSON("tmp/x", &v); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired key: got %v, want ErrNotFound", err)
	}
	if err := s.View(func(tx *Tx) error { var err error; keys, err = tx.Keys("tmp/"); return err }); err != nil || len(keys) != 0 {
		t.Fatalf("expired key still listed: %v, %v", keys, err)
	}
}

func TestScanAndDeletePrefix(t *testing.T) { forEachBackend(t, testScanAndDeletePrefix) }

func testScanAndDeletePrefix(t *testing.T, open opener) {
	s := open(t)
	const n = 2500 // more than one delete batch
	if err := s.Update(func(tx *Tx) error {
		for i := range n {
			if err := tx.PutJSON(fmt.Sprintf("tag/ns1/u%05d", i), i, 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tag/ns10/u1", "tag/ns2/u1", "tah"} {
		if err := s.PutJSON(k, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	count := 0
	if err := s.ScanJSON("tag/ns1/", func(key string, raw []byte) error {
		if !strings.HasPrefix(key, "tag/ns1/") {
			t.Errorf("scan returned %q", key)
		}
		count++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("scan saw %d keys, want %d", count, n)
	}
	stop := errors.New("stop")
	if err := s.ScanJSON("tag/", func(string, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("scan error not propagated: %v", err)
	}
	got, err := s.DeletePrefix("tag/ns1/")
	if err != nil || got != n {
		t.Fatalf("DeletePrefix = %d, %v; want %d", got, err, n)
	}
	for _, k := range []string{"tag/ns10/u1", "tag/ns2/u1", "tah"} {
		var v int
		if err := s.GetJSON(k, &v); err != nil {
			t.Errorf("%s deleted by prefix tag/ns1/: %v", k, err)
		}
	}
	if _, err := s.DeletePrefix(""); err == nil {
		t.Fatal("empty prefix accepted")
	}
}

func TestUpdateIsAtomic(t *testing.T) { forEachBackend(t, testUpdateIsAtomic) }

func testUpdateIsAtomic(t *testing.T, open opener) {
	s := open(t)
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutJSON("a", 1, 0); err != nil {
			return err
		}
		if err := tx.PutJSON("b", 2, 0); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	var v int
	for _, k := range []string{"a", "b"} {
		if err := s.GetJSON(k, &v); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s visible after a failed Update: %v", k, err)
		}
	}
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutJSON("a", 1, 0); err != nil {
			return err
		}
		return tx.PutJSON("b", 2, 0)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(tx *Tx) error {
		var a, b int
		if err := tx.GetJSON("a", &a); err != nil {
			return err
		}
		if err := tx.GetJSON("b", &b); err != nil {
			return err
		}
		if a != 1 || b != 2 {
			return fmt.Errorf("a=%d b=%d", a, b)
		}
		ok, err := tx.Exists("a")
		if err != nil || !ok {
			return fmt.Errorf("Exists(a) = %v, %v", ok, err)
		}
		keys, err := tx.Keys("")
		if err != nil || len(keys) != 2 {
			return fmt.Errorf("Keys = %v, %v", keys, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestReopenOnDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(DefaultOptions(dir, testKey(7)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutJSON("tag/ns/u/t", rec{Name: "kept"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("wrong key", func(t *testing.T) {
		s, err := Open(DefaultOptions(dir, testKey(8)))
		if err == nil {
			s.Close()
			t.Fatal("opened with a wrong key")
		}
		if !errors.Is(err, ErrWrongKey) {
			t.Fatalf("error %v does not wrap ErrWrongKey", err)
		}
		if !strings.Contains(err.Error(), "encrypted with a different key") || !strings.Contains(err.Error(), dir) {
			t.Fatalf("unclear error message: %v", err)
		}
	})
	t.Run("right key keeps data", func(t *testing.T) {
		s, err := Open(DefaultOptions(dir, testKey(7)))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out rec
		if err := s.GetJSON("tag/ns/u/t", &out); err != nil || out.Name != "kept" {
			t.Fatalf("after reopen: %+v, %v", out, err)
		}
	})
}
