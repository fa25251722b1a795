package index

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestStatsCountsNonEmptyNamespaces(t *testing.T) {
	x := New()
	r := rand.New(rand.NewPCG(1, 2))
	if ns, n := x.Stats(); ns != 0 || n != 0 {
		t.Fatalf("empty index: Stats = %d, %d", ns, n)
	}
	fill(x, "a", 5, 2, r)
	fill(x, "b", 3, 3, r)
	if ns, n := x.Stats(); ns != 2 || n != 8 {
		t.Errorf("Stats = %d namespaces, %d templates; want 2, 8", ns, n)
	}
	x.RemoveNamespace("a")
	if ns, n := x.Stats(); ns != 1 || n != 3 {
		t.Errorf("after removing a: Stats = %d, %d; want 1, 3", ns, n)
	}
}

func TestSearchObserverSeesEverySearch(t *testing.T) {
	x := New()
	r := rand.New(rand.NewPCG(3, 4))
	fill(x, "a", 10, 5, r)
	var calls atomic.Int64
	var total atomic.Int64
	x.SetSearchObserver(func(d time.Duration) {
		calls.Add(1)
		total.Add(int64(d))
	})
	x.Search("a", randVec(r), 3, nil)
	x.Search("missing", randVec(r), 3, nil) // an empty answer is timed too
	if calls.Load() != 2 {
		t.Errorf("observer called %d times for 2 searches", calls.Load())
	}
	if total.Load() <= 0 {
		t.Error("observed durations are not positive")
	}
	x.SetSearchObserver(nil)
	x.Search("a", randVec(r), 3, nil)
	if calls.Load() != 2 {
		t.Error("observer still called after SetSearchObserver(nil)")
	}
}
