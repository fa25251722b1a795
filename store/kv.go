package store

import (
	"errors"
	"fmt"
	"time"
)

// deleteBatch is how many keys DeletePrefix removes per transaction.
const deleteBatch = 1000

// GetJSON decodes the value under key into v; the error wraps ErrNotFound if it is absent.
func (s *Store) GetJSON(key string, v any) error {
	return s.View(func(tx *Tx) error { return tx.GetJSON(key, v) })
}

// PutJSON stores v as JSON under key, durably when SyncWrites is set; ttl 0 keeps it forever.
func (s *Store) PutJSON(key string, v any, ttl time.Duration) error {
	return s.Update(func(tx *Tx) error { return tx.PutJSON(key, v, ttl) })
}

// Delete removes key; deleting an absent key is not an error.
func (s *Store) Delete(key string) error {
	return s.Update(func(tx *Tx) error { return tx.Delete(key) })
}

// ScanJSON calls fn for every key with prefix, in key order, with a copy of its raw JSON
// value, in one consistent snapshot. An error from fn stops the scan and is returned.
func (s *Store) ScanJSON(prefix string, fn func(key string, raw []byte) error) error {
	return s.View(func(tx *Tx) error { return tx.Scan(prefix, fn) })
}

// Stream calls fn for every key with prefix, in one consistent snapshot but in no promised
// order, with a value that is valid only during the call (copy what you keep). It is the bulk
// read for loading large prefixes (the template index at start-up).
func (s *Store) Stream(prefix string, fn func(key string, raw []byte) error) error {
	if err := s.be.stream(prefix, func(key string, raw []byte, _ int64) error { return fn(key, raw) }); err != nil {
		return fmt.Errorf("stream %q: %w", prefix, err)
	}
	return nil
}

// EstimateKeys is a quick, approximate count of the keys with prefix (for progress reports
// only: it may count deleted or expired keys, or miss the newest).
func (s *Store) EstimateKeys(prefix string) int { return s.be.estimate(prefix) }

// DeletePrefix removes every key that starts with prefix and returns how many it removed.
// Keys are removed in transactions of deleteBatch keys, so a very large prefix is not erased
// atomically; it is erased completely when DeletePrefix returns without error. An empty prefix
// is refused (it would erase the whole database).
func (s *Store) DeletePrefix(prefix string) (int, error) {
	if prefix == "" {
		return 0, errors.New("delete prefix: empty prefix refused")
	}
	return s.be.deletePrefix(prefix)
}

// prefixEnd is the smallest string greater than every string with prefix ("" when there is
// none: the prefix is all 0xff bytes).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
