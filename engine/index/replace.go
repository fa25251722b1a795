package index

// ReplaceWith makes x hold exactly y's templates, in one step: searches see
// either the old set or the new one, never a mix. It is how a node reloads
// its index from a shared store after it may have missed changes. y must not
// be used afterwards.
func (x *Index) ReplaceWith(y *Index) {
	y.mu.Lock()
	spaces := y.spaces
	y.spaces = map[string]*nsSpace{}
	y.mu.Unlock()
	x.mu.Lock()
	x.spaces = spaces
	x.mu.Unlock()
}
