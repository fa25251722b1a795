package store

import "github.com/dgraph-io/badger/v4"

// DB exposes the underlying Badger database (nil on PostgreSQL).
//
// Deprecated: use the Store's methods (Stream, ScanFrom, NewBatch, Closed);
// it is kept until its last caller is gone.
func (s *Store) DB() *badger.DB {
	if b, ok := s.be.(*badgerBackend); ok {
		return b.db
	}
	return nil
}
