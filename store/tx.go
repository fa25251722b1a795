package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// maxConflictRetries bounds how often Update re-runs a function whose transaction conflicted
// with a concurrent one.
const maxConflictRetries = 8

// Tx is a transaction handed to Update or View. It must not be used after the function
// returns.
type Tx struct {
	t txBackend
}

// GetJSON decodes the value stored under key into v; it returns an error wrapping
// ErrNotFound when the key is absent or expired.
func (tx *Tx) GetJSON(key string, v any) error {
	raw, err := tx.t.get(key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}

// Exists reports whether key is present.
func (tx *Tx) Exists(key string) (bool, error) { return tx.t.exists(key) }

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
	return tx.t.put(key, raw, ttl)
}

// Delete removes key; deleting an absent key is not an error.
func (tx *Tx) Delete(key string) error { return tx.t.del(key) }

// Scan calls fn for every key with prefix, in key order, with a copy of its raw JSON value.
func (tx *Tx) Scan(prefix string, fn func(key string, raw []byte) error) error {
	return tx.t.scan(prefix, "", false, true, fn)
}

// ScanFrom is Scan starting at start: forward from the first key >= start, or with reverse
// backwards from the last key <= start (an empty start begins at the first or the last key
// of prefix). ErrStop from fn ends it early without error; it is how pages are read.
func (tx *Tx) ScanFrom(prefix, start string, reverse bool, fn func(key string, raw []byte) error) error {
	return tx.t.scan(prefix, start, reverse, true, fn)
}

// Keys returns the keys with prefix, in key order, without reading values.
func (tx *Tx) Keys(prefix string) ([]string, error) {
	var keys []string
	err := tx.t.scan(prefix, "", false, false, func(key string, _ []byte) error {
		keys = append(keys, key)
		return nil
	})
	return keys, err
}

// Update runs fn in a read-write transaction and commits it atomically: afterwards either all
// of fn's writes are visible or none is. When fn returns an error nothing is written. A
// transaction that conflicts with a concurrent one is retried a few times, so fn must be safe
// to run more than once.
func (s *Store) Update(fn func(tx *Tx) error) (err error) {
	defer s.observeWrite(time.Now(), &err)
	return s.be.update(func(t txBackend) error { return fn(&Tx{t: t}) })
}

// View runs fn in a read-only, consistent snapshot.
func (s *Store) View(fn func(tx *Tx) error) error {
	return s.be.view(func(t txBackend) error { return fn(&Tx{t: t}) })
}

// PutRaw stores raw bytes under key (for binary values such as index vectors); ttl 0 keeps
// them forever.
func (tx *Tx) PutRaw(key string, raw []byte, ttl time.Duration) error {
	if key == "" {
		return errors.New("put: empty key")
	}
	if ttl < 0 {
		return fmt.Errorf("put %q: negative ttl", key)
	}
	return tx.t.put(key, raw, ttl)
}

// GetRaw returns a copy of the raw bytes under key; the error wraps ErrNotFound if absent.
func (tx *Tx) GetRaw(key string) ([]byte, error) { return tx.t.get(key) }
