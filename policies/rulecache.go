package policies

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The rule cache carries the values of policy rules from one decision to
// the next. A rule's value is a function of the policy set and of the
// parts of the input it reads, directly or through the rules and
// functions it uses: the limits list of a key depends on the key's tier
// and overrides, the route and the image count, not on the nonce or the
// uids of the request. So the decider finds, once per compiled policy set,
// which input paths each rule reads (transitively), and caches the value
// of a rule under its ref and the values of those paths in the current
// input. A later decision whose input agrees on those paths gets the value
// without evaluating the rule.
//
// This holds for any policy set, shipped or edited, except for what makes
// a value depend on more than data and input: rules that call a
// non-deterministic built-in (time.now_ns, rand.*, http.send ...) or that
// use `with`, directly or through what they call, are never cached, and
// nothing is cached or read while a `with` frame is active. A rule reading
// a path that changes on every request (now_ns) is not cached either (the
// entry could never be used again), unless it reads it only in clock tests
// (clock.go). deps.go finds what each rule reads.

// ruleCache is the cross-decision store of rule values of one prepared
// policy set (Reload starts a new one), keyed by appendRuleKey. It is
// bounded: when it holds ruleCacheMax entries it is emptied.
type ruleCache struct {
	mu      sync.RWMutex
	entries map[string]*ast.Term // a nil value: the rule is undefined
	// hits and misses count lookups (tests and benchmarks read them).
	hits, misses atomic.Uint64
	// evals counts evaluations: every sampleEvery-th one also looks up and
	// stores the values of churning rules, to notice when they are reused.
	evals atomic.Uint32
}

const (
	sampleEvery  = 32
	ruleCacheMax = 16384
)

func newRuleCache() *ruleCache {
	return &ruleCache{entries: map[string]*ast.Term{}}
}

// appendRuleKey appends the key of a rule's value: its ref (a function's
// ref and arguments), then what it reads of input (appendDeps); false when
// the key is longer than ruleCacheMaxBytes.
func appendRuleKey(b []byte, ref ast.Ref, deps *ruleDeps, input ast.Value) ([]byte, bool) {
	b = binary.AppendUvarint(b, uint64(len(ref)))
	for _, t := range ref {
		b = appendValue(b, t.Value)
	}
	b = appendDeps(b, deps, input)
	return b, len(b) <= ruleCacheMaxBytes
}

// appendDeps appends the values of deps' paths in input and the outcomes
// of its clock tests (appendValue, nil: undefined).
func appendDeps(b []byte, deps *ruleDeps, input ast.Value) []byte {
	for _, p := range deps.paths {
		b = appendValue(b, lookupPath(input, p))
	}
	for _, t := range deps.clock {
		b = appendValue(b, t.outcome(lookupPath(input, t.now), lookupPath(input, t.other)))
	}
	return b
}

func (c *ruleCache) get(key []byte) (*ast.Term, bool) {
	c.mu.RLock()
	v, ok := c.entries[string(key)]
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, ok
}

// ruleCacheMaxBytes bounds the key and the encoded value of one entry: a
// rule reading or answering a large part of the input is not worth keeping.
const ruleCacheMaxBytes = 4096

// put stores value under key, unless it is too large. (Its strings share
// no memory with the request: Input.Value copies the input's.)
func (c *ruleCache) put(key string, value *ast.Term) {
	if value != nil && len(appendValue(nil, value.Value)) > ruleCacheMaxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= ruleCacheMax {
		clear(c.entries)
	}
	c.entries[key] = value
}
