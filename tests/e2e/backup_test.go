package e2e

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupRestoreOfOperationsGuide follows docs/operations.md: a stopped
// copy of the data dir, with the two key files backed up apart, restored
// into a new data dir. Without keyring.key the restored store refuses to
// start (it never starts over); with both keys back it serves the same key
// and the trained uid of before the backup.
func TestBackupRestoreOfOperationsGuide(t *testing.T) {
	src := t.TempDir()
	s := startServer(t, src)
	img := filepath.Join(facesDir(t), "detection", "images", "2008_002079.jpg")
	det := s.call("faces/detect", s.keyParams(), img)
	if det.Status != "success" || len(det.Photos) == 0 || len(det.Photos[0].Tags) == 0 {
		t.Fatalf("detect: %d %s", det.HTTPStatus, det.ErrorMessage)
	}
	params := func(kv ...string) map[string]string {
		p := s.keyParams()
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	if r := s.call("tags/save", params("uid", "ann@demo", "tids", det.Photos[0].Tags[0].TID)); r.Status != "success" {
		t.Fatalf("tags/save: %d %s", r.HTTPStatus, r.ErrorMessage)
	}
	if r := s.call("faces/train", params("uids", "ann@demo")); r.Status != "success" {
		t.Fatalf("faces/train: %d %s", r.HTTPStatus, r.ErrorMessage)
	}
	s.stop()

	// Backup: the data dir without the socket, the keys apart.
	backup, keys := t.TempDir(), t.TempDir()
	copyTree(t, src, backup)
	for _, k := range []string{"encryption.key", "keyring.key"} {
		if err := os.Rename(filepath.Join(backup, k), filepath.Join(keys, k)); err != nil {
			t.Fatal(err)
		}
	}

	// Restore without the keyring key: refused, nothing created.
	restored := t.TempDir()
	copyTree(t, backup, restored)
	copyFile(t, filepath.Join(keys, "encryption.key"), filepath.Join(restored, "encryption.key"))
	probe := &server{t: t, dataDir: restored, httpsPort: freePort(t), httpPort: freePort(t), adminAddr: fmt.Sprintf("localhost:%d", freePort(t))}
	cmd := exec.Command(binPath, "serve")
	cmd.Env = probe.env()
	out, err := runWithTimeout(cmd, 60*time.Second)
	if err == nil || !strings.Contains(out, "keyring key") {
		t.Fatalf("a restore without keyring.key: want a refusal naming the keyring key, got err %v:\n%s", err, tail(out, 3000))
	}
	if _, err := os.Stat(filepath.Join(restored, "keyring.key")); err == nil {
		t.Fatal("a new keyring key was generated over the restored store")
	}

	// With both keys back: the same key works and ann@demo is still trained.
	copyFile(t, filepath.Join(keys, "keyring.key"), filepath.Join(restored, "keyring.key"))
	r := startServer(t, restored)
	if r.creds.APIKey != s.creds.APIKey {
		t.Fatalf("restored credentials file names key %s, want %s", r.creds.APIKey, s.creds.APIKey)
	}
	st := r.call("faces/status", map[string]string{"api_key": r.creds.APIKey, "api_secret": r.creds.APISecret, "uids": "ann@demo"})
	if st.Status != "success" {
		t.Fatalf("faces/status after the restore: %d %s", st.HTTPStatus, st.ErrorMessage)
	}
	users, _ := st.Raw["user_statuses"].([]any)
	if len(users) != 1 {
		t.Fatalf("faces/status after the restore: %v", st.Raw)
	}
	u, _ := users[0].(map[string]any)
	if n, _ := u["training_set_size"].(float64); n < 1 {
		t.Errorf("ann@demo after the restore: %v, want a training set", u)
	}
}

// copyTree copies the regular files and folders of src into dst (sockets,
// such as Caddy's admin socket, are left out), keeping their modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case info.Mode().IsRegular():
			copyFile(t, path, target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
