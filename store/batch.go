package store

import (
	"errors"
	"fmt"
	"time"
)

// batchSize is how many writes a Batch sends in one transaction.
const batchSize = 1000

// kvItem is one buffered write of a Batch.
type kvItem struct {
	key     string
	raw     []byte
	expires int64 // unix seconds; 0 keeps it forever
}

// Batch buffers writes for bulk loading (imports, benchmarks): every
// batchSize Sets, and on Flush, they are written in one transaction. The
// batch as a whole is not atomic. It is not safe for concurrent use.
type Batch struct {
	s     *Store
	items []kvItem
	err   error
}

// NewBatch returns an empty batch on s.
func (s *Store) NewBatch() *Batch { return &Batch{s: s} }

// Set buffers raw under key (kept forever); raw is copied.
func (b *Batch) Set(key string, raw []byte) error { return b.SetExpiring(key, raw, time.Time{}) }

// SetExpiring buffers raw under key until expires (kept forever when
// zero); raw is copied. An entry already expired is dropped.
func (b *Batch) SetExpiring(key string, raw []byte, expires time.Time) error {
	if b.err != nil {
		return b.err
	}
	if key == "" {
		return errors.New("batch: empty key")
	}
	var exp int64
	if !expires.IsZero() {
		if !time.Now().Before(expires) {
			return nil
		}
		exp = expires.Unix()
	}
	b.items = append(b.items, kvItem{key, append([]byte(nil), raw...), exp})
	if len(b.items) >= batchSize {
		return b.write()
	}
	return nil
}

// Flush writes what is buffered; it returns the first error of the batch.
func (b *Batch) Flush() error {
	if b.err != nil {
		return b.err
	}
	return b.write()
}

func (b *Batch) write() error {
	if len(b.items) == 0 {
		return nil
	}
	if err := b.s.be.putMany(b.items); err != nil {
		b.err = fmt.Errorf("batch write: %w", err)
		return b.err
	}
	b.items = b.items[:0]
	return nil
}
