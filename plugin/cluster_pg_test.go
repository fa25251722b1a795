package plugin

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/caddyfiles"
	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

// TestClusterPostgresReloadRefused: a reload that changes the DSN is refused
// with an error naming the option.
func TestClusterPostgresReloadRefused(t *testing.T) {
	s := &state{cfg: stateConfig{PostgresURL: "postgres://a/fg"}}
	err := s.reconfigure(stateConfig{PostgresURL: "postgres://b/fg"})
	if err == nil || !strings.Contains(err.Error(), "cluster postgres") {
		t.Fatalf("reload with another DSN: %v", err)
	}
	if strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("the error repeats the DSN: %v", err)
	}
}

// TestFollowAnotherNode runs two stores on one private PostgreSQL as two
// nodes: templates trained on one reach the other's index (held while it
// loads, applied after), a mean template with its size, removals too, and a key revoked on one is refused
// by the other's keyring within a second.
func TestFollowAnotherNode(t *testing.T) {
	srv := pgtest.Start(t)
	dsn, err := srv.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	key, kkey := bytes.Repeat([]byte{5}, store.KeySize), bytes.Repeat([]byte{6}, keyring.ServerKeySize)
	open := func() (*store.Store, *keyring.Keyring) {
		st, err := store.Open(storeOptions(stateConfig{PostgresURL: dsn}, key, nil))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		k, err := keyring.New(st, kkey, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		return st, k
	}
	st1, k1 := open()
	st2, k2 := open()
	idx2 := index.New()
	f := followStore(st2, k2, idx2, zap.NewNop())
	defer f.stop()

	r := rand.New(rand.NewPCG(2, 2))
	vec := func() [index.Dim]float32 {
		var v [index.Dim]float32
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	v1 := vec()
	put := func(k string, v [index.Dim]float32) {
		t.Helper()
		if err := st1.Update(func(tx *store.Tx) error { return tx.PutRaw(k, index.EncodeVector(v), 0) }); err != nil {
			t.Fatal(err)
		}
	}
	put(index.Key("ns", "ann@ns", "t1"), v1)
	time.Sleep(300 * time.Millisecond)
	if idx2.Len("ns") != 0 {
		t.Fatal("a change was applied while the index was held for its load")
	}
	loaded := make(chan struct{})
	f.indexLoaded(loaded)
	close(loaded)
	waitUntil(t, "trained template reaches node 2", func() bool { return idx2.Len("ns") == 1 })
	if m := idx2.Search("ns", v1, 1, nil); len(m) != 1 || m[0].UID != "ann@ns" {
		t.Fatalf("search on node 2: %+v", m)
	}
	put(index.Key("ns", "bob@ns", "t2"), vec())
	waitUntil(t, "second template", func() bool { return idx2.UIDCount("ns") == 2 })
	if err := st1.Delete(index.Key("ns", "ann@ns", "t1")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "removal", func() bool { return idx2.Len("ns") == 1 })
	// a mean template comes with its size: node 2's recognize reads no training record
	if err := st1.Update(func(tx *store.Tx) error {
		return tx.PutRaw(index.Key("ns", "cat@ns", "mean_cat@ns"), index.EncodeTemplate(vec(), 3), 0)
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "mean template with its size", func() bool {
		return idx2.TemplateSizes("ns", []string{"cat@ns"})["cat@ns"] == 3
	})
	if err := st1.Delete(index.Key("ns", "cat@ns", "mean_cat@ns")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "mean template removed", func() bool { return idx2.Len("ns") == 1 && len(idx2.TemplateSizes("ns", []string{"cat@ns"})) == 0 })

	// A resync (the store says changes may have been missed) reloads the
	// whole index: what node 2 holds wrongly goes, the store's state stays.
	idx2.Add("ghost", "nobody@ghost", "t9", vec())
	f.feed.changed(store.Change{Key: index.KeyPrefix, Resync: true})
	waitUntil(t, "reload after a resync", func() bool { return idx2.Len("ghost") == 0 && idx2.Len("ns") == 1 })

	if err := k1.CreateNamespace("docs", "acme", "test"); err != nil {
		t.Fatal(err)
	}
	created, _, err := k1.Create(keyring.CreateParams{Owner: "acme", Scopes: []string{"faces/*"}, Namespaces: []string{"docs"}, AuthModes: []string{keyring.ModeSecret}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.View(created.ID); err != nil || got.Status != keyring.StatusActive {
		t.Fatalf("node 2 reads the new key: %+v, %v", got, err)
	}
	start := time.Now()
	if err := k1.Revoke(created.ID, "test"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "revocation on node 2", func() bool {
		got, err := k2.View(created.ID)
		return err == nil && got.Status == keyring.StatusRevoked
	})
	if d := time.Since(start); d > time.Second {
		t.Logf("revocation took %v to reach node 2 (the target is 1 s; the machine may be loaded)", d)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("%s: not within 5 s", what)
}

// TestDefaultCaddyfileKeepsPostgresDSNOut: the written default Caddyfile
// keeps FACEGATE_POSTGRES_URL as a run-time placeholder, never its value
// (which may hold a password).
func TestDefaultCaddyfileKeepsPostgresDSNOut(t *testing.T) {
	body, err := resolveDefault(caddyfiles.Default, mapEnv(map[string]string{"FACEGATE_POSTGRES_URL": "postgres://fg:hunter2@db:5432/fg"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "postgres {env.FACEGATE_POSTGRES_URL}") || strings.Contains(string(body), "hunter2") {
		t.Errorf("the DSN must stay a run-time placeholder:\n%s", body)
	}
}
