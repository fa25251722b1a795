package store

import (
	"context"
	"time"
)

// backend is one storage engine behind Store: Badger (badger.go) or
// PostgreSQL (postgres.go). Values are opaque bytes here; Tx and Store add
// JSON on top.
type backend interface {
	// update runs fn in one read-write transaction, retried on conflicts, and
	// returns once it committed (or failed).
	update(fn func(txBackend) error) error
	// view runs fn in one read-only, consistent snapshot.
	view(fn func(txBackend) error) error
	// putMany writes items in one transaction.
	putMany(items []kvItem) error
	// deletePrefix removes every key with prefix, in batches.
	deletePrefix(prefix string) (int, error)
	// stream calls fn for every key with prefix, in no promised order, with a
	// value that is only valid during the call and its expiry (unix seconds,
	// 0 for none).
	stream(prefix string, fn func(key string, raw []byte, expires int64) error) error
	// streamParallel is stream over one snapshot from up to workers
	// goroutines at once (see Store.StreamParallel).
	streamParallel(prefix string, workers int, fn func(w int, key, raw []byte) error) error
	// estimate is a quick, approximate count of the keys with prefix.
	estimate(prefix string) int
	// size is the bytes the engine holds for the store (see Store.Size).
	size() (int64, int64)
	// watch registers fn for changes other nodes commit (see Store.Watch).
	watch(prefix string, fn func(Change)) (stop func())
	// ping checks that the engine answers (a shared database is reachable).
	ping(ctx context.Context) error
	closed() bool
	close() error
}

// txBackend is one transaction of a backend.
type txBackend interface {
	// get returns a copy of the value of key; the error wraps ErrNotFound
	// when it is absent or expired.
	get(key string) ([]byte, error)
	exists(key string) (bool, error)
	put(key string, raw []byte, ttl time.Duration) error
	del(key string) error
	// scan calls fn for the keys with prefix in key order, starting at start
	// (the first key >= start, or with reverse the last key <= start, going
	// down; "" is the first or last key), with a copy of each value. fn may
	// use the transaction. ErrStop from fn ends the scan without error.
	scan(prefix, start string, reverse, values bool, fn func(key string, raw []byte) error) error
}
