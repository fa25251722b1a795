package plugin

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateKey(t *testing.T) {
	t.Setenv("FACEGATE_ENCRYPTION_KEY", "")
	t.Setenv("FACEGATE_KEYRING_KEY", "")
	t.Run("generates a private key file on an empty data dir, then reuses it", func(t *testing.T) {
		dir := t.TempDir()
		k1, err := loadOrCreateKey(dir, "")
		if err != nil || len(k1) != 32 {
			t.Fatalf("key %d bytes, err %v", len(k1), err)
		}
		fi, err := os.Stat(filepath.Join(dir, keyFileName))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, mode %v", err, fi.Mode().Perm())
		}
		k2, err := loadOrCreateKey(dir, "")
		if err != nil || !bytes.Equal(k1, k2) {
			t.Errorf("second load returned another key (err %v)", err)
		}
	})
	t.Run("missing key over an existing store is an error", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, storeDirName), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, storeDirName, "MANIFEST"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadOrCreateKey(dir, "")
		if err == nil || !strings.Contains(err.Error(), "refusing to create a new store") {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, keyFileName)); !os.IsNotExist(err) {
			t.Error("a key file was created over existing data")
		}
	})
	t.Run("configured key file in every accepted encoding", func(t *testing.T) {
		key := bytes.Repeat([]byte{7}, 32)
		for name, content := range map[string][]byte{
			"raw":    key,
			"hex":    []byte(hex.EncodeToString(key) + "\n"),
			"base64": []byte(base64.StdEncoding.EncodeToString(key)),
		} {
			path := filepath.Join(t.TempDir(), "k")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := loadOrCreateKey(t.TempDir(), path)
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("%s: got %x, err %v", name, got, err)
			}
		}
	})
	t.Run("a short key is refused without echoing it", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "k")
		if err := os.WriteFile(path, []byte("tooshortsecretvalue"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadOrCreateKey(t.TempDir(), path)
		if err == nil || strings.Contains(err.Error(), "tooshortsecretvalue") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("keyring key is a separate file with its own variable", func(t *testing.T) {
		dir := t.TempDir()
		store, err := loadOrCreateKey(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		ring, err := keyringKeySpec.loadOrCreate(dir, "")
		if err != nil || bytes.Equal(store, ring) {
			t.Fatalf("keyring key equals the store key or failed: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, keyringKeyFileName)); err != nil {
			t.Fatal(err)
		}
		want := bytes.Repeat([]byte{5}, 32)
		t.Setenv("FACEGATE_KEYRING_KEY", base64.StdEncoding.EncodeToString(want))
		if got, err := keyringKeySpec.loadOrCreate(dir, ""); err != nil || !bytes.Equal(got, want) {
			t.Errorf("FACEGATE_KEYRING_KEY not used: %v", err)
		}
	})
	t.Run("environment variable wins", func(t *testing.T) {
		key := bytes.Repeat([]byte{9}, 32)
		t.Setenv("FACEGATE_ENCRYPTION_KEY", hex.EncodeToString(key))
		got, err := loadOrCreateKey(t.TempDir(), "")
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("got %x, err %v", got, err)
		}
	})
}

// TestWriteNewFile: a new file is written 0600; an existing one is never
// replaced (fs.ErrExist, contents kept).
func TestWriteNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new")
	if err := writeNewFile(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, mode %v", err, fi.Mode().Perm())
	}
	if err := writeNewFile(path, []byte("second")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second write = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("file holds %q after the refused write", b)
	}
}
