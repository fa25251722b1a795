package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// StreamParallel is Stream for loading a large prefix fast: the store is
// read in key or block ranges by up to workers goroutines at once (each
// with its own reader: a Badger iterator, a PostgreSQL connection), over
// one consistent snapshot, and fn runs on those goroutines. w names the
// goroutine (0 ≤ w < workers): calls with the same w never overlap, so fn
// may keep state per w without locks. key and raw are valid only during the
// call. An error from fn stops every goroutine and is returned.
func (s *Store) StreamParallel(prefix string, workers int, fn func(w int, key, raw []byte) error) error {
	if err := s.be.streamParallel(prefix, max(1, workers), fn); err != nil {
		return fmt.Errorf("stream %q: %w", prefix, err)
	}
	return nil
}

// rangesPerWorker is how many ranges each goroutine of a StreamParallel
// takes in turn: more ranges than goroutines even out their pace.
const rangesPerWorker = 4

// runRanges runs read(w, i) for the ranges i < n on workers goroutines,
// each taking the next range when done with one; the first error cancels
// ctx for the others and is returned.
func runRanges(ctx context.Context, workers, n int, read func(ctx context.Context, w, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				if err := read(ctx, w, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// streamParallel iterates over key ranges split at the on-disk tables'
// first keys, one iterator per goroutine in one read-only transaction.
func (b *badgerBackend) streamParallel(prefix string, workers int, fn func(w int, key, raw []byte) error) error {
	return b.streamRanges(prefix, b.splits(prefix, workers*rangesPerWorker), workers, fn)
}

// streamRanges is streamParallel over the ranges that the sorted keys
// bounds (within prefix) separate.
func (b *badgerBackend) streamRanges(prefix string, bounds [][]byte, workers int, fn func(w int, key, raw []byte) error) error {
	return b.db.View(func(txn *badger.Txn) error {
		return runRanges(context.Background(), workers, len(bounds)+1, func(ctx context.Context, w, i int) error {
			var lo, hi []byte
			if i > 0 {
				lo = bounds[i-1]
			}
			if i < len(bounds) {
				hi = bounds[i]
			}
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true, PrefetchSize: 256})
			defer it.Close()
			n := 0
			if lo == nil {
				lo = []byte(prefix)
			}
			for it.Seek(lo); it.Valid(); it.Next() {
				item := it.Item()
				k := item.Key()
				if hi != nil && bytes.Compare(k, hi) >= 0 {
					return nil
				}
				if n++; n%4096 == 0 && ctx.Err() != nil {
					return nil // another range failed
				}
				if err := item.Value(func(v []byte) error { return fn(w, k, v) }); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// splits returns up to n-1 sorted keys within prefix that cut its keys into
// ranges of about equal size, taken from the on-disk tables' first keys.
func (b *badgerBackend) splits(prefix string, n int) [][]byte {
	var lefts [][]byte
	for _, t := range b.db.Tables() {
		if k := t.Left; len(k) > 8 {
			lefts = append(lefts, k[:len(k)-8]) // a table's key carries an 8-byte version
		}
	}
	return splitKeys(lefts, prefix, n)
}

// splitKeys picks up to n-1 evenly spaced, distinct keys of keys that lie
// within prefix (and are longer than it), sorted.
func splitKeys(keys [][]byte, prefix string, n int) [][]byte {
	var in [][]byte
	for _, k := range keys {
		if bytes.HasPrefix(k, []byte(prefix)) && len(k) > len(prefix) {
			in = append(in, bytes.Clone(k))
		}
	}
	slices.SortFunc(in, bytes.Compare)
	in = slices.CompactFunc(in, bytes.Equal)
	if len(in) < n {
		return in
	}
	out := make([][]byte, 0, n-1)
	for i := 1; i < n; i++ {
		out = append(out, in[i*len(in)/n])
	}
	return slices.CompactFunc(out, bytes.Equal)
}
