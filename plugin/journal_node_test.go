package plugin

import (
	"bytes"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/internal/usage"
	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

// TestJournalsPerNodeOnSharedStore runs the usage journals of two nodes on
// one PostgreSQL store: each node's journal goes to a folder of its own, so
// neither overwrites the other's history and each restores only its own;
// the embedded store keeps the plain prefix.
func TestJournalsPerNodeOnSharedStore(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	mem, err := store.Open(store.Options{InMemory: true, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if p := nodeJournalPrefix(usageKeyPrefix, mem, t.TempDir()); p != usageKeyPrefix {
		t.Fatalf("embedded store: prefix %q, want %q", p, usageKeyPrefix)
	}

	srv := pgtest.Start(t)
	dsn, err := srv.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Postgres: dsn, EncryptionKey: key, SyncWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dirA, dirB := t.TempDir(), t.TempDir()
	pa, pb := nodeJournalPrefix(usageKeyPrefix, st, dirA), nodeJournalPrefix(usageKeyPrefix, st, dirB)
	if pa == pb || pa == usageKeyPrefix || pa != nodeJournalPrefix(usageKeyPrefix, st, dirA) {
		t.Fatalf("node prefixes %q and %q (a restart must give the same, another node another)", pa, pb)
	}

	now := time.Now()
	record := func(prefix string, n int) {
		rec := usage.New(usage.Options{})
		j := newUsageJournal(rec, st, prefix, zap.NewNop())
		for i := range n {
			rec.Record(usage.Event{Key: "fg_live_same", Route: "faces/detect", At: now.Add(-time.Duration(i) * time.Minute), Images: 1})
		}
		j.Close()
	}
	record(pa, 5)
	record(pb, 9) // the same key and route: one series each, under its node
	for _, c := range []struct {
		prefix string
		want   int
	}{{pa, 5}, {pb, 9}} {
		rec := usage.New(usage.Options{})
		newUsageJournal(rec, st, c.prefix, zap.NewNop()).Close()
		if rep, _ := rec.Query(usage.Query{}); rep.Totals.Requests != uint64(c.want) {
			t.Errorf("node %q restored %d requests, want %d", c.prefix, rep.Totals.Requests, c.want)
		}
	}
}
