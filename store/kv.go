package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
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

// DeletePrefix removes every key that starts with prefix and returns how many it removed.
// Keys are removed in transactions of deleteBatch keys, so a very large prefix is not erased
// atomically; it is erased completely when DeletePrefix returns without error. An empty prefix
// is refused (it would erase the whole database).
func (s *Store) DeletePrefix(prefix string) (int, error) {
	if prefix == "" {
		return 0, errors.New("delete prefix: empty prefix refused")
	}
	total, conflicts := 0, 0
	for {
		n := 0
		err := s.db.Update(func(txn *badger.Txn) error {
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
