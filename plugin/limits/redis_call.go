package limits

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"
)

// What every call to Redis repeats, made cheaper on the node: its deadline
// and the names of its subjects' keys. An admission is one round trip, and
// what the node spends around it (a context with a timer of its own,
// SHA-256 of the same key id and address on every request) is a share of
// the cluster mode's cost per request worth cutting.

// deadlineStep is how long one shared call deadline is handed out: a call
// waits at most RedisTimeout + deadlineStep for Redis.
const deadlineStep = 10 * time.Millisecond

// sharedDeadline is a context whose deadline is RedisTimeout + deadlineStep
// after it was made, handed to every call started within deadlineStep of
// that. It is never cancelled before its deadline (its own timer ends it),
// so that a call that returns has nothing to cancel.
type sharedDeadline struct {
	ctx    context.Context
	cancel context.CancelFunc // run by the context's timer at the deadline; kept for vet
	until  time.Time          // when it stops being handed out
}

// callCtx returns the context of one call to Redis: it ends between
// r.timeout and r.timeout + deadlineStep from now. Calls share one context
// per deadlineStep instead of making (and stopping) a timer each.
func (r *Redis) callCtx() context.Context {
	now := time.Now()
	if d := r.deadline.Load(); d != nil && now.Before(d.until) {
		return d.ctx
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(r.timeout+deadlineStep))
	r.deadline.Store(&sharedDeadline{ctx: ctx, cancel: cancel, until: now.Add(deadlineStep)})
	return ctx
}

// hashSubject names one hashed key: its table ("l", "a", or 's' for an
// address's Source hashed in table "a") and subject.
type hashSubject struct {
	table   string
	subject string
}

// maxCachedHashes bounds the key names a node keeps; past it the cache
// starts again (a flood of new addresses costs one SHA-256 each, as
// without it).
const maxCachedHashes = 8192

// hashCache keeps the names of the keys of recent subjects (hashKey).
type hashCache struct {
	mu sync.RWMutex
	m  map[hashSubject]string
	n  atomic.Int64 // lookups that had to hash (tests)
}

// hashKey names a subject's state without putting the subject (a client-
// chosen key id, an address) in Redis; {} keeps a subject's keys in one
// Redis Cluster slot. Names are kept for the next requests of the subject.
func (r *Redis) hashKey(table, subject string) string {
	return r.cachedHash(hashSubject{table, subject}, func() string { return r.hashName(table, subject) })
}

// sourceKey is hashKey("a", Source(addr)), cached by the address.
func (r *Redis) sourceKey(addr string) string {
	return r.cachedHash(hashSubject{"s", addr}, func() string { return r.hashName("a", Source(addr)) })
}

func (r *Redis) cachedHash(k hashSubject, name func() string) string {
	c := &r.hashes
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = name()
	c.n.Add(1)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedHashes {
		c.m = make(map[hashSubject]string, 64)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// hashName is the key of subject in table: prefix, table, ":{", the first
// 16 bytes of the subject's SHA-256 in hex, "}".
func (r *Redis) hashName(table, subject string) string {
	h := sha256.Sum256([]byte(subject))
	var b [len(":{") + 32 + len("}")]byte
	b[0], b[1], b[len(b)-1] = ':', '{', '}'
	hex.Encode(b[2:34], h[:16])
	return r.prefix + table + string(b[:])
}
