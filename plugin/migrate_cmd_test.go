package plugin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

// TestMigrateDataDirToPostgresAndBack runs Migrate from a data dir (its key
// file found there) into PostgreSQL, again (a no-op), into a fresh data dir
// (which gets the key file), and refuses a non-empty different target.
func TestMigrateDataDirToPostgresAndBack(t *testing.T) {
	srv := pgtest.Start(t)
	dsn, err := srv.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, err := loadOrCreateKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.DefaultOptions(filepath.Join(dir, storeDirName), key))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx *store.Tx) error {
		for _, k := range []string{"key/fg_live_a", "nsreg/acme", "tag/acme/ann@acme/t1", "audit/00000000000000000007/0000000001"} {
			if err := tx.PutJSON(k, k, 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, log bytes.Buffer
	if err := Migrate(&out, &log, dir, dsn, "", time.Nanosecond); err != nil {
		t.Fatalf("migrate to postgres: %v\n%s", err, out.String())
	}
	if !strings.HasPrefix(log.String(), "migrate: 4 of about ") || !strings.Contains(log.String(), "/s, ETA 0s\n") || strings.Contains(log.String(), dsn) {
		t.Fatalf("progress log:\n%s", log.String())
	}
	if !strings.Contains(out.String(), "4 entries: source and target match") || strings.Contains(out.String(), dsn) {
		t.Fatalf("report:\n%s", out.String())
	}
	out.Reset()
	if err := Migrate(&out, nil, dir, dsn, "", 0); err != nil {
		t.Fatalf("second migrate (a no-op): %v\n%s", err, out.String())
	}
	back := filepath.Join(t.TempDir(), "back")
	out.Reset()
	if err := Migrate(&out, nil, dsn, back, filepath.Join(dir, keyFileName), 0); err != nil {
		t.Fatalf("migrate back: %v\n%s", err, out.String())
	}
	if k2, err := loadOrCreateKey(back, ""); err != nil || !bytes.Equal(k2, key) {
		t.Fatalf("the new data dir's key file: %v", err)
	}
	st, err = store.Open(store.DefaultOptions(filepath.Join(back, storeDirName), key))
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := st.GetJSON("tag/acme/ann@acme/t1", &v); err != nil || v != "tag/acme/ann@acme/t1" {
		t.Fatalf("after the round trip: %q, %v", v, err)
	}
	if err := st.PutJSON("key/fg_live_extra", 1, 0); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	if err := Migrate(&out, nil, dsn, back, "", 0); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("migrate into a different, non-empty store: %v\n%s", err, out.String())
	}
	for _, bad := range [][2]string{{dir, back}, {dsn, dsn}, {"", dsn}} {
		if err := Migrate(&out, nil, bad[0], bad[1], "", 0); err == nil {
			t.Errorf("migrate %q -> %q accepted", bad[0], bad[1])
		}
	}
	if _, err := os.Stat(filepath.Join(back, keyFileName)); err != nil {
		t.Fatal(err)
	}
}
