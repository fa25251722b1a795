package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStreamParallel(t *testing.T) {
	old := pgStreamMinBlocks
	pgStreamMinBlocks = 1 // split the small test table into block ranges too
	t.Cleanup(func() { pgStreamMinBlocks = old })
	forEachBackend(t, testStreamParallel)
}

// testStreamParallel checks that every live key of the prefix arrives once
// with its value and nothing else does, that calls with one w never overlap,
// that a write committed while the stream runs is not seen (one snapshot),
// and that an error from fn stops the stream and is returned.
func testStreamParallel(t *testing.T, open opener) {
	s := open(t)
	const n = 3000
	want := map[string][]byte{}
	b := s.NewBatch()
	for i := range n {
		k := fmt.Sprintf("vec/ns%d/u%04d/t%05d", i%3, i/5, i)
		v := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, 300)
		want[k] = v
		if err := b.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"vez/x", "ve", "key/a"} { // next to the prefix, outside it
		if err := b.Set(k, []byte("out")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SetExpiring("vec/ns0/gone/t1", []byte("expired"), time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}

	const workers = 3
	var mu sync.Mutex
	got := map[string]int{}
	var busy [workers]atomic.Int32
	var overlap, badW atomic.Bool
	var once sync.Once
	err := s.StreamParallel("vec/", workers, func(w int, key, raw []byte) error {
		if w < 0 || w >= workers {
			badW.Store(true)
			return nil
		}
		if busy[w].Add(1) != 1 {
			overlap.Store(true)
		}
		defer busy[w].Add(-1)
		var werr error
		once.Do(func() { // committed after the stream's snapshot
			werr = s.Update(func(tx *Tx) error { return tx.PutRaw("vec/ns0/late/t1", []byte("late"), 0) })
		})
		if werr != nil {
			return werr
		}
		mu.Lock()
		defer mu.Unlock()
		got[string(key)]++
		if w, ok := want[string(key)]; ok && !bytes.Equal(w, raw) {
			return fmt.Errorf("%s: wrong value", key)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("StreamParallel: %v", err)
	}
	if badW.Load() || overlap.Load() {
		t.Fatalf("w out of range (%v) or two calls with one w at once (%v)", badW.Load(), overlap.Load())
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("%s delivered %d times, want once", k, got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d keys delivered, want %d (extra: the expired key, keys outside the prefix or the late write)", len(got), len(want))
	}

	stop := errors.New("stop here")
	calls := atomic.Int32{}
	err = s.StreamParallel("vec/", workers, func(int, []byte, []byte) error {
		if calls.Add(1) == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("StreamParallel = %v, want fn's error", err)
	}
	if c := calls.Load(); c >= n {
		t.Errorf("the stream went on after fn's error: %d calls", c)
	}
}

// TestStreamBadgerRanges is testStreamParallel's first check over Badger
// key ranges (an in-memory store has no tables to split at).
func TestStreamBadgerRanges(t *testing.T) {
	s := openMem(t)
	want := map[string]bool{}
	b := s.NewBatch()
	for i := range 500 {
		k := fmt.Sprintf("vec/n/u%03d/t", i)
		want[k] = true
		if err := b.Set(k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set("vez", []byte("out")); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	bounds := [][]byte{[]byte("vec/n/u050"), []byte("vec/n/u051"), []byte("vec/n/u300"), []byte("vec/n/u3000")}
	var mu sync.Mutex
	got := map[string]int{}
	err := s.be.(*badgerBackend).streamRanges("vec/", bounds, 2, func(w int, key, raw []byte) error {
		mu.Lock()
		defer mu.Unlock()
		got[string(key)]++
		if !bytes.Equal(key, raw) {
			return fmt.Errorf("%s: wrong value", key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("%s delivered %d times, want once", k, got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d keys delivered, want %d", len(got), len(want))
	}
}

func TestSplitKeys(t *testing.T) {
	keys := func(ss ...string) (out [][]byte) {
		for _, s := range ss {
			out = append(out, []byte(s))
		}
		return out
	}
	tests := []struct {
		name   string
		keys   [][]byte
		prefix string
		n      int
		want   []string
	}{
		{"none", nil, "vec/", 4, nil},
		{"outside the prefix and the prefix itself", keys("key/a", "vec/", "vez/"), "vec/", 4, nil},
		{"fewer than n: all, sorted, distinct", keys("vec/c", "vec/a", "vec/c"), "vec/", 4, []string{"vec/a", "vec/c"}},
		{"evenly spaced", keys("vec/1", "vec/2", "vec/3", "vec/4", "vec/5", "vec/6", "vec/7", "vec/8"), "vec/", 4, []string{"vec/3", "vec/5", "vec/7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, k := range splitKeys(tt.keys, tt.prefix, tt.n) {
				got = append(got, string(k))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("splitKeys = %q, want %q", got, tt.want)
			}
		})
	}
}
