package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// maxConflictRetries bounds how often Update re-runs a function whose transaction conflicted
// with a concurrent one.
const maxConflictRetries = 8

// Tx is a transaction handed to Update or View. It must not be used after the function
// returns.
type Tx struct {
	txn *badger.Txn
}

// GetJSON decodes the value stored under key into v; it returns an error wrapping
// ErrNotFound when the key is absent or expired.
func (tx *Tx) GetJSON(key string, v any) error {
	item, err := tx.txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("get %q: %w", key, err)
	}
	return item.Value(func(raw []byte) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("decode %q: %w", key, err)
		}
		return nil
	})
}

// Exists reports whether key is present.
func (tx *Tx) Exists(key string) (bool, error) {
	_, err := tx.txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %q: %w", key, err)
	}
	return true, nil
}

// PutJSON stores v as JSON under key; ttl 0 keeps it forever.
func (tx *Tx) PutJSON(key string, v any, ttl time.Duration) error {
	if key == "" {
		return errors.New("put: empty key")
	}
	if ttl < 0 {
		return fmt.Errorf("put %q: negative ttl", key)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	e := badger.NewEntry([]byte(key), raw)
	if ttl > 0 {
		e = e.WithTTL(ttl)
	}
	if err := tx.txn.SetEntry(e); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	return nil
}

// Delete removes key; deleting an absent key is not an error.
func (tx *Tx) Delete(key string) error {
	if err := tx.txn.Delete([]byte(key)); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

// Scan calls fn for every key with prefix, in key order, with a copy of its raw JSON value.
func (tx *Tx) Scan(prefix string, fn func(key string, raw []byte) error) error {
	it := tx.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		raw, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("scan %q: %w", prefix, err)
		}
		if err := fn(string(item.Key()), raw); err != nil {
			return err
		}
	}
	return nil
}

// Keys returns the keys with prefix, in key order, without reading values.
func (tx *Tx) Keys(prefix string) ([]string, error) {
	it := tx.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
	defer it.Close()
	var keys []string
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, string(it.Item().Key()))
	}
	return keys, nil
}

// Update runs fn in a read-write transaction and commits it atomically: afterwards either all
// of fn's writes are visible or none is. When fn returns an error nothing is written. A
// transaction that conflicts with a concurrent one is retried a few times, so fn must be safe
// to run more than once.
func (s *Store) Update(fn func(tx *Tx) error) (err error) {
	defer s.observeWrite(time.Now(), &err)
	for range maxConflictRetries {
		err = s.db.Update(func(txn *badger.Txn) error { return fn(&Tx{txn: txn}) })
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("update: gave up after %d conflicts: %w", maxConflictRetries, err)
}

// View runs fn in a read-only, consistent snapshot.
func (s *Store) View(fn func(tx *Tx) error) error {
	return s.db.View(func(txn *badger.Txn) error { return fn(&Tx{txn: txn}) })
}

// PutRaw stores raw bytes under key (for binary values such as index vectors); ttl 0 keeps
// them forever.
func (tx *Tx) PutRaw(key string, raw []byte, ttl time.Duration) error {
	if key == "" {
		return errors.New("put: empty key")
	}
	e := badger.NewEntry([]byte(key), raw)
	if ttl > 0 {
		e = e.WithTTL(ttl)
	}
	if err := tx.txn.SetEntry(e); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	return nil
}

// GetRaw returns a copy of the raw bytes under key; the error wraps ErrNotFound if absent.
func (tx *Tx) GetRaw(key string) ([]byte, error) {
	item, err := tx.txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	return item.ValueCopy(nil)
}
