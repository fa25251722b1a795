package plugin

import (
	"bytes"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/store"
)

// TestLimitsJournal: counters written by the journal (on its timer, and on
// Close) are restored by the next journal on the same store.
func TestLimitsJournal(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{4}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	quota := []limits.Spec{{Name: "quota", Kind: limits.KindQuota, Count: 10, PerS: 3600, Cost: 1}}
	charge := func(l *limits.Limiter, n int) {
		for range n {
			if _, d := l.Acquire("key1", quota); d.Denied() {
				t.Fatalf("refused: %+v", d)
			}
		}
	}

	l1 := limits.New(nil, 1000)
	j1 := newLimitsJournal(l1, st, limitsKeyPrefix, zap.NewNop())
	charge(l1, 3)
	time.Sleep(3 * limitsFlushEvery) // written by the timer, not by Close
	l2 := limits.New(nil, 1000)
	j2 := newLimitsJournal(l2, st, limitsKeyPrefix, zap.NewNop())
	if u := l2.Usage("key1", quota); u.Used != 3 {
		t.Errorf("after the timed flush: used %d, want 3", u.Used)
	}
	j2.Close()
	charge(l1, 4)
	j1.Close() // a clean stop writes what is pending

	l3 := limits.New(nil, 1000)
	j3 := newLimitsJournal(l3, st, limitsKeyPrefix, zap.NewNop())
	defer j3.Close()
	if u := l3.Usage("key1", quota); u.Used != 7 || u.Remaining != 3 {
		t.Errorf("after Close: used %d remaining %d, want 7 and 3", u.Used, u.Remaining)
	}
	keys := 0
	_ = st.ScanJSON(limitsKeyPrefix, func(key string, raw []byte) error {
		keys++
		if bytes.Contains([]byte(key), []byte("key1")) {
			t.Errorf("subject in the store key %q", key)
		}
		return nil
	})
	if keys != 1 {
		t.Errorf("%d journal entries, want 1", keys)
	}
}
