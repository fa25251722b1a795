package keyring

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/facegate/facegate/store"
)

// Touch batching: last-used times are kept in memory and written at most
// once per touchInterval, by a short-lived goroutine, so a request never
// waits for the store.
const (
	touchInterval   = time.Minute
	maxPendingTouch = 100_000
	touchBatch      = 500
)

// toucher holds pending last-used times.
type toucher struct {
	mu        sync.Mutex
	pending   map[string]int64
	lastFlush time.Time
	flushing  atomic.Bool
	wg        sync.WaitGroup
}

func (t *toucher) init() { t.pending = make(map[string]int64) }

func (t *toucher) forget(id string) {
	t.mu.Lock()
	delete(t.pending, id)
	t.mu.Unlock()
}

// Touch records that key id was used now. It never blocks on the store:
// the times are written in batches, at most once a minute, in the
// background (and by Flush).
func (k *Keyring) Touch(id string) {
	if !ValidKeyID(id) {
		return
	}
	now := k.now()
	t := &k.touch
	t.mu.Lock()
	if len(t.pending) < maxPendingTouch || t.pending[id] != 0 {
		t.pending[id] = now.Unix()
	}
	due := now.Sub(t.lastFlush) >= touchInterval
	if due {
		t.lastFlush = now
	}
	t.mu.Unlock()
	if due && t.flushing.CompareAndSwap(false, true) {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer t.flushing.Store(false)
			_ = k.Flush()
		}()
	}
}

// Flush writes pending last-used times now. A key that was deleted
// meanwhile is not brought back.
func (k *Keyring) Flush() error {
	t := &k.touch
	t.mu.Lock()
	batch := t.pending
	t.pending = make(map[string]int64)
	t.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	all := make([]string, 0, len(batch))
	for id := range batch {
		all = append(all, id)
	}
	var errs []error
	for chunk := range slices.Chunk(all, touchBatch) {
		errs = append(errs, k.flushChunk(chunk, batch))
	}
	return errors.Join(errs...)
}

// flushChunk writes the last-used times of ids in one transaction.
func (k *Keyring) flushChunk(ids []string, at map[string]int64) error {
	var written []string
	recs := map[string]keyRecord{}
	err := k.st.Update(func(tx *store.Tx) error {
		written = written[:0]
		clear(recs)
		for _, id := range ids {
			var rec keyRecord
			if err := tx.GetJSON(prefixKey+id, &rec); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				return err
			}
			if at[id] <= rec.LastUsedAt {
				continue
			}
			rec.LastUsedAt = at[id]
			if err := tx.PutJSON(prefixKey+id, rec, 0); err != nil {
				return err
			}
			written = append(written, id)
			recs[id] = rec
		}
		return nil
	})
	switch {
	case err == nil && len(recs) > 0:
		// The cache keeps what was just committed: a key in use stays in
		// memory (and answered if a shared store becomes unreachable).
		k.replaceCached(recs)
	case len(written) > 0:
		k.invalidate(written...)
	}
	if err != nil {
		return fmt.Errorf("writing last-used times: %w", err)
	}
	return nil
}

// Close waits for a background flush and writes the remaining last-used
// times. The keyring stays usable.
func (k *Keyring) Close() error {
	k.touch.wg.Wait()
	return k.Flush()
}
