package policies

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// memo caches the decisions of one prepared policy set, allowed and denied
// alike, keyed by exactly what the decision reads of the input: the values
// of the input paths that the rules reachable from data.facegate.decision
// read, and the outcomes of their clock tests (`input.now_ns >=
// input.key.expires_at`), as findDeps finds them (deps.go, clock.go). The
// key is derived from the loaded policy set, so an edited set gets a memo
// keyed on what it reads; a set whose decision reads the whole input, a
// dynamic ref into its root, now_ns outside a clock test, a
// non-deterministic built-in or `with` gets none. Reload starts an empty one.
//
// The key is an injective encoding of those values (type-tagged,
// length-prefixed, objects in key order), so two inputs that differ in what
// the decision reads never share an entry, and it shares no memory with the
// request. The memo is bounded: at most memoMaxEntries decisions, in two
// generations, and inputs whose key is longer than memoMaxKeyBytes are not
// memoized.
type memo struct {
	deps *ruleDeps
	mu   sync.Mutex
	// entries is the current generation, older the one before: when
	// entries holds half of memoMaxEntries it becomes older (dropping the
	// previous older), so decisions still in use survive while the memo
	// stays bounded even with more distinct callers than it can hold.
	entries, older map[string]Decision
}

const (
	// memoMaxEntries bounds the memo (a few hundred bytes per entry).
	memoMaxEntries = 4096
	// memoMaxKeyBytes: inputs with a longer key are not memoized.
	memoMaxKeyBytes = 2048
)

// newMemo returns the memo for a decision with these dependencies, or nil
// when they do not allow one.
func newMemo(deps *ruleDeps) *memo {
	if deps == nil || !deps.cacheable {
		return nil
	}
	return &memo{deps: deps, entries: map[string]Decision{}}
}

var memoKeyPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// key appends to b the encoding of what the decision reads of input, and
// reports false when it is longer than memoMaxKeyBytes.
func (m *memo) key(b []byte, input ast.Value) ([]byte, bool) {
	b = appendDeps(b, m.deps, input)
	return b, len(b) <= memoMaxKeyBytes
}

// appendValue encodes v (nil: undefined) injectively.
func appendValue(b []byte, v ast.Value) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, 0)
	case ast.Null:
		return append(b, 1)
	case ast.Boolean:
		if v {
			return append(b, 2, 1)
		}
		return append(b, 2, 0)
	case ast.Number:
		return appendString(append(b, 3), string(v))
	case ast.String:
		return appendString(append(b, 4), string(v))
	case *ast.Array: // no Foreach: a closure capturing b would allocate
		b = binary.AppendUvarint(append(b, 5), uint64(v.Len()))
		for i := range v.Len() {
			b = appendValue(b, v.Elem(i).Value)
		}
	case ast.Object:
		b = binary.AppendUvarint(append(b, 6), uint64(v.Len()))
		for _, k := range v.Keys() { // sorted
			b = appendValue(appendValue(b, k.Value), v.Get(k).Value)
		}
	case ast.Set:
		b = appendValue(append(b, 7), v.Sorted())
	default: // not in an input: refs, comprehensions, calls
		b = appendString(append(b, 8), v.String())
	}
	return b
}

// get returns the decision stored under key, with its own Limits slice.
func (m *memo) get(key []byte) (Decision, bool) {
	m.mu.Lock()
	dec, ok := m.entries[string(key)]
	if !ok {
		if dec, ok = m.older[string(key)]; ok {
			m.insert(string(key), dec) // still in use: keep it a generation longer
		}
	}
	m.mu.Unlock()
	if ok {
		dec.Limits = slices.Clone(dec.Limits)
	}
	return dec, ok
}

// put stores a copy of dec under key.
func (m *memo) put(key []byte, dec Decision) {
	dec.Limits = slices.Clone(dec.Limits)
	m.mu.Lock()
	m.insert(string(key), dec)
	m.mu.Unlock()
}

// insert adds an entry to the current generation, starting a new one when
// it is full; m.mu must be held.
func (m *memo) insert(key string, dec Decision) {
	if len(m.entries) >= memoMaxEntries/2 {
		m.older, m.entries = m.entries, make(map[string]Decision, memoMaxEntries/2)
	}
	m.entries[key] = dec
}
