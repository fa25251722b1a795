package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"go.uber.org/zap"
)

// badgerBackend is the embedded engine: one encrypted Badger database.
type badgerBackend struct{ db *badger.DB }

func openBadger(opts Options) (*badgerBackend, error) {
	if !opts.InMemory && opts.Dir == "" {
		return nil, errors.New("open store: data dir is required")
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		WithEncryptionKey(opts.EncryptionKey).
		WithIndexCacheSize(64 << 20).
		WithBlockCacheSize(64 << 20).
		WithSyncWrites(opts.SyncWrites).
		WithLogger(newLogger(opts.Logger))
	if opts.InMemory {
		bo = bo.WithDir("").WithValueDir("")
	}
	db, err := badger.Open(bo)
	if err != nil {
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) || strings.Contains(err.Error(), badger.ErrEncryptionKeyMismatch.Error()) {
			return nil, fmt.Errorf("open store: data dir %s was encrypted with a different key: %w", opts.Dir, ErrWrongKey)
		}
		return nil, fmt.Errorf("open store in %s: %w", opts.Dir, err)
	}
	return &badgerBackend{db: db}, nil
}

func (b *badgerBackend) update(fn func(txBackend) error) error {
	var err error
	for range maxConflictRetries {
		err = b.db.Update(func(txn *badger.Txn) error { return fn(badgerTx{txn}) })
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("update: gave up after %d conflicts: %w", maxConflictRetries, err)
}

func (b *badgerBackend) view(fn func(txBackend) error) error {
	return b.db.View(func(txn *badger.Txn) error { return fn(badgerTx{txn}) })
}

func (b *badgerBackend) putMany(items []kvItem) error {
	wb := b.db.NewWriteBatch()
	for _, it := range items {
		e := badger.NewEntry([]byte(it.key), it.raw)
		e.ExpiresAt = uint64(max(it.expires, 0))
		if err := wb.SetEntry(e); err != nil {
			wb.Cancel()
			return err
		}
	}
	return wb.Flush()
}

func (b *badgerBackend) deletePrefix(prefix string) (int, error) {
	total, conflicts := 0, 0
	for {
		n := 0
		err := b.db.Update(func(txn *badger.Txn) error {
			n = 0
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
			var keys [][]byte
			for it.Rewind(); it.Valid() && len(keys) < deleteBatch; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		switch {
		case errors.Is(err, badger.ErrConflict) && conflicts < maxConflictRetries:
			conflicts++
		case err != nil:
			return total, fmt.Errorf("delete prefix %q: %w", prefix, err)
		default:
			conflicts = 0
			total += n
			if n < deleteBatch {
				return total, nil
			}
		}
	}
}

func (b *badgerBackend) stream(prefix string, fn func(key string, raw []byte, expires int64) error) error {
	return b.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if err := item.Value(func(v []byte) error { return fn(string(item.Key()), v, int64(item.ExpiresAt())) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// estimate counts the keys of the on-disk tables whose range overlaps
// prefix (other keys and older versions included, recent writes still in
// memory not).
func (b *badgerBackend) estimate(prefix string) int {
	lo, hi := prefix, prefixEnd(prefix)
	n := 0
	for _, t := range b.db.Tables() {
		if string(t.Right) >= lo && (hi == "" || string(t.Left) < hi) {
			n += int(t.KeyCount)
		}
	}
	return n
}

func (b *badgerBackend) size() (int64, int64) { return b.db.Size() }

// watch: one embedded process sees all its writes; nothing to follow.
func (b *badgerBackend) watch(string, func(Change)) func() { return func() {} }

func (b *badgerBackend) closed() bool { return b.db.IsClosed() }

func (b *badgerBackend) ping(context.Context) error {
	if b.db.IsClosed() {
		return errors.New("store is closed")
	}
	return nil
}

func (b *badgerBackend) close() error { return b.db.Close() }

// badgerTx is one Badger transaction.
type badgerTx struct{ txn *badger.Txn }

func (t badgerTx) get(key string) ([]byte, error) {
	item, err := t.txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	return item.ValueCopy(nil)
}

func (t badgerTx) exists(key string) (bool, error) {
	_, err := t.txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %q: %w", key, err)
	}
	return true, nil
}

func (t badgerTx) put(key string, raw []byte, ttl time.Duration) error {
	e := badger.NewEntry([]byte(key), raw)
	if ttl > 0 {
		e = e.WithTTL(ttl)
	}
	if err := t.txn.SetEntry(e); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	return nil
}

func (t badgerTx) del(key string) error {
	if err := t.txn.Delete([]byte(key)); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

func (t badgerTx) scan(prefix, start string, reverse, values bool, fn func(key string, raw []byte) error) error {
	it := t.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), Reverse: reverse, PrefetchValues: values, PrefetchSize: 64})
	defer it.Close()
	seek := []byte(start)
	switch {
	case start == "" && reverse:
		seek = []byte(prefix + "\xff\xff\xff\xff")
	case start == "" || start < prefix && !reverse:
		seek = []byte(prefix)
	}
	for it.Seek(seek); it.Valid(); it.Next() {
		item := it.Item()
		var raw []byte
		if values {
			var err error
			if raw, err = item.ValueCopy(nil); err != nil {
				return fmt.Errorf("scan %q: %w", prefix, err)
			}
		}
		if err := fn(string(item.Key()), raw); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// badgerLogger routes Badger's warnings and errors to zap; info and debug are dropped.
type badgerLogger struct{ l *zap.SugaredLogger }

func newLogger(l *zap.Logger) badger.Logger {
	if l == nil {
		return nil
	}
	return badgerLogger{l.Named("badger").Sugar()}
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Errorf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warnf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}
