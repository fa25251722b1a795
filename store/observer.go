package store

import "time"

// WriteObserver receives the duration of each Update (conflict retries and
// the commit's fsync included) and whether it failed. It must be fast and
// safe for concurrent use; it never sees keys or values.
type WriteObserver func(d time.Duration, failed bool)

// SetWriteObserver makes fn receive every later Update's duration (nil
// stops it). It may be called while writes run.
func (s *Store) SetWriteObserver(fn WriteObserver) {
	if fn == nil {
		s.observe.Store(nil)
		return
	}
	s.observe.Store(&fn)
}

// observeWrite reports the time since start and the outcome to the observer.
func (s *Store) observeWrite(start time.Time, err *error) {
	if fn := s.observe.Load(); fn != nil {
		(*fn)(time.Since(start), *err != nil)
	}
}

// Size returns the bytes the database holds on disk: with Badger its LSM
// tree and its value log (Badger's estimate, refreshed every minute or so),
// with PostgreSQL the store's tables and indexes (lsm) and 0.
func (s *Store) Size() (lsm, vlog int64) { return s.be.size() }
