package store

// Change is one key that another node changed (written or deleted: read it
// to know which), or, with Resync set, word that changes under the watched
// prefix may have been missed (the change feed was interrupted for longer
// than the store keeps its change log): the watcher must re-read everything
// under its prefix.
type Change struct {
	Key    string
	Resync bool
}

// Watch calls fn, from one goroutine of the store, for every change that
// another node commits to a key under prefix, within about a second of its
// commit (at once when the database's notification arrives). Changes made
// through this Store are not reported: its caller already knows them. With
// the embedded Badger engine there are no other nodes and fn is never
// called. Register watchers before loading what they keep current, so that
// nothing committed in between is missed. stop ends the watch.
func (s *Store) Watch(prefix string, fn func(Change)) (stop func()) {
	return s.be.watch(prefix, fn)
}
