package plugin

import (
	"bytes"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/facegate/facegate/plugin/internal/usage"
	"github.com/facegate/facegate/store"
)

// TestUsageJournal checks that the usage history written on stop is what
// the next start restores, and that entries of an unknown shape are
// reported and skipped.
func TestUsageJournal(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{5}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	rec := usage.New(usage.Options{})
	j := newUsageJournal(rec, st, usageKeyPrefix, zap.NewNop())
	for i := range 30 {
		rec.Record(usage.Event{Key: "fg_live_a", Route: "faces/detect", At: now.Add(-time.Duration(i) * time.Minute), Images: 2,
			Latency: 3 * time.Millisecond, Denied: i%10 == 0, Reason: "RATE_LIMIT_EXCEEDED"})
	}
	rec.Record(usage.Event{Key: "fg_live_b", Route: "faces/train", At: now})
	want, _ := rec.Query(usage.Query{Step: time.Hour})
	j.Close()

	rec2 := usage.New(usage.Options{})
	newUsageJournal(rec2, st, usageKeyPrefix, zap.NewNop()).Close()
	got, _ := rec2.Query(usage.Query{Step: time.Hour})
	if got.Totals.Requests != 31 || got.Totals.Images != 60 || got.Totals.Reasons["RATE_LIMIT_EXCEEDED"] != 3 {
		t.Errorf("restored totals %+v", got.Totals)
	}
	if len(got.Points) != len(want.Points) || got.Totals.LatencyAvgMS != want.Totals.LatencyAvgMS {
		t.Errorf("restored %+v, want %+v", got.Totals, want.Totals)
	}

	if err := st.PutJSON(usageKeyPrefix+"junk", "not a series", time.Hour); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.ErrorLevel)
	rec3 := usage.New(usage.Options{})
	newUsageJournal(rec3, st, usageKeyPrefix, zap.New(core)).Close()
	if logs.FilterMessage("usage history entries of an unknown shape were ignored").Len() != 1 {
		t.Errorf("a malformed entry was not reported: %v", logs.All())
	}
	if rep, _ := rec3.Query(usage.Query{}); rep.Totals.Requests != 31 {
		t.Errorf("with a malformed entry beside them, %d requests restored", rep.Totals.Requests)
	}
}
