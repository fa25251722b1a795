package policies

import (
	"slices"
	"sync"
)

// memo caches the decisions, allowed and denied, of one prepared policy
// set (Reload starts an empty one), keyed by exactly what that set's
// decision reads of the input, as findReads finds it in the compiled rules
// (readset.go) and memoKeySteps encodes it from the Go input (memokey.go):
// the fields read, the params read by name (a list the rules only split,
// trim and cut after "@" by its shape, so calls naming other uids in the
// same namespaces share an entry), and how now_ns compares with what the
// rules compare it with. A policy set reading the whole input or the clock
// otherwise gets none. The key is an injective encoding (length-prefixed,
// maps sorted; no hash); sensitive params are never in it. It is bounded:
// at most memoMaxEntries decisions, in two generations; inputs whose key is
// longer than memoMaxKeyBytes are not memoized, failures never are.
type memo struct {
	steps []keyStep
	mu    sync.Mutex
	// entries is the current generation, older the one before: when
	// entries holds half of memoMaxEntries it becomes older (dropping the
	// previous older), so decisions still in use survive while the memo
	// stays bounded even with more distinct callers than it can hold.
	entries, older map[string]Decision
}

const (
	// memoMaxEntries bounds the memo (a few hundred bytes per entry).
	memoMaxEntries = 4096
	// memoMaxKeyBytes: inputs with a longer encoding are not memoized.
	memoMaxKeyBytes = 2048
)

// newMemo returns the memo of a policy set that reads rs, or nil.
func newMemo(rs *readSet) *memo {
	steps, ok := memoKeySteps(rs)
	if !ok {
		return nil
	}
	return &memo{steps: steps, entries: make(map[string]Decision)}
}

// key appends in's key to b and reports false when it is too long.
func (m *memo) key(b []byte, in *Input) ([]byte, bool) {
	b = appendKey(append(b, 0), in, m.steps) // tier keys start with 1 (denials.go)
	return b, len(b) <= memoMaxKeyBytes
}

var memoKeyPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

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
