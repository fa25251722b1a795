package policies

import (
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// memo caches the decisions of one prepared policy set, allowed and denied
// alike, keyed by exactly what the decision reads of the input: the values
// of the input paths that the rules reachable from data.facegate.decision
// read, and the outcomes of their clock tests (`input.now_ns >=
// input.key.expires_at`), as the rule cache finds them (rulecache.go). The
// key is derived from the loaded policy set, so an edited set gets a memo
// keyed on what it reads; a set whose decision reads the whole input, a
// dynamic ref into it, now_ns outside a clock test, a non-deterministic
// built-in or `with` gets none. Reload starts an empty one.
//
// It is bounded: at most memoMaxEntries decisions, in two generations, and
// inputs whose key holds more than ruleCacheMaxBytes of strings are not
// memoized. The values kept are copies that share no memory with the
// request (see detach).

type memo struct {
	deps *ruleDeps
	mu   sync.Mutex
	// entries is the current generation, older the one before: when
	// entries holds half of memoMaxEntries it becomes older (dropping the
	// previous older), so decisions still in use survive while the memo
	// stays bounded even with more distinct callers than it can hold.
	entries, older memoGen
}

// memoGen is one generation: entries by the hash of their key values.
type memoGen struct {
	byHash map[int][]memoEntry
	n      int
}

type memoEntry struct {
	vals []ast.Value
	dec  Decision
}

// memoMaxEntries bounds the memo (a few hundred bytes per entry).
const memoMaxEntries = 4096

// newMemo returns the memo for a decision with these dependencies, or nil
// when they do not allow one.
func newMemo(deps *ruleDeps) *memo {
	if deps == nil || !deps.cacheable {
		return nil
	}
	return &memo{deps: deps, entries: memoGen{byHash: map[int][]memoEntry{}}}
}

// key returns the values the decision reads of input and their hash.
func (m *memo) key(input ast.Value) ([]ast.Value, int) {
	return depValues(queryRef, m.deps, input, make([]ast.Value, 0, len(m.deps.paths)+len(m.deps.clock)))
}

func (g *memoGen) find(h int, vals []ast.Value) (Decision, bool) {
	for _, e := range g.byHash[h] {
		if sameValues(e.vals, vals) {
			return e.dec, true
		}
	}
	return Decision{}, false
}

// get returns the decision stored under the key, with its own Limits slice.
func (m *memo) get(h int, vals []ast.Value) (Decision, bool) {
	m.mu.Lock()
	dec, ok := m.entries.find(h, vals)
	if !ok {
		if dec, ok = m.older.find(h, vals); ok {
			m.insert(h, memoEntry{vals, dec}) // still in use: keep it a generation longer
		}
	}
	m.mu.Unlock()
	if ok {
		dec.Limits = slices.Clone(dec.Limits)
	}
	return dec, ok
}

// put stores a copy of dec under the key, unless the key's values are too
// large to keep.
func (m *memo) put(h int, vals []ast.Value, dec Decision) {
	budget := ruleCacheMaxBytes
	kept := make([]ast.Value, len(vals))
	for i, v := range vals {
		var ok bool
		if kept[i], ok = detach(v, &budget); !ok {
			return
		}
	}
	dec.Limits = slices.Clone(dec.Limits)
	m.mu.Lock()
	if _, ok := m.entries.find(h, kept); !ok {
		m.insert(h, memoEntry{kept, dec})
	}
	m.mu.Unlock()
}

// insert adds an entry to the current generation, starting a new one when
// it is full; m.mu must be held.
func (m *memo) insert(h int, e memoEntry) {
	if m.entries.n >= memoMaxEntries/2 {
		m.older, m.entries = m.entries, memoGen{byHash: make(map[int][]memoEntry, memoMaxEntries/2)}
	}
	m.entries.byHash[h] = append(m.entries.byHash[h], e)
	m.entries.n++
}
