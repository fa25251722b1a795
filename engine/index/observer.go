package index

import "time"

// SearchObserver receives the duration of each Search. It must be fast and
// safe for concurrent use.
type SearchObserver func(d time.Duration)

// SetSearchObserver makes fn receive the duration of every later Search
// (nil stops it). It may be called while searches run.
func (x *Index) SetSearchObserver(fn SearchObserver) {
	if fn == nil {
		x.observe.Store(nil)
		return
	}
	x.observe.Store(&fn)
}

// observeSearch reports the time since start to the observer, if any.
func (x *Index) observeSearch(start time.Time) {
	if fn := x.observe.Load(); fn != nil {
		(*fn)(time.Since(start))
	}
}

// Stats returns the number of namespaces with at least one template and the
// number of templates over all of them.
func (x *Index) Stats() (namespaces, templates int) {
	x.mu.RLock()
	spaces := make([]*nsSpace, 0, len(x.spaces))
	for _, sp := range x.spaces {
		spaces = append(spaces, sp)
	}
	x.mu.RUnlock()
	for _, sp := range spaces {
		sp.mu.RLock()
		n := sp.s.len()
		sp.mu.RUnlock()
		if n > 0 {
			namespaces++
			templates += n
		}
	}
	return namespaces, templates
}
