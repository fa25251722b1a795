package httpsig

import (
	"hash/maphash"
	"sync"
	"time"
)

const nonceShards = 32

// minNonceTTL is how long a nonce must be remembered at least: a signature
// may be created up to MaxAge ahead of now and stays valid MaxAge after.
const minNonceTTL = 2 * MaxAge

// NonceCache remembers (key id, nonce) pairs until their signature expires,
// so that a signed request cannot be replayed. It is bounded: when a shard
// is full of live entries, Seen fails closed and reports a replay rather
// than forget a nonce that could still be replayed. Safe for concurrent use.
type NonceCache struct {
	seeds    [2]maphash.Seed
	ttl      time.Duration
	perShard int
	now      func() time.Time
	shards   [nonceShards]nonceShard
}

type nonceShard struct {
	mu    sync.Mutex
	m     map[nonceKey]int64 // key → expiry, unix nanoseconds
	queue []nonceEntry       // insertion order, for cheap expiry sweeps
	head  int
}

// nonceKey identifies a (key id, nonce) pair by two independently seeded
// 64-bit hashes. Entries hold no pointers, so a cache of a million nonces
// costs the garbage collector nothing to scan. Two pairs sharing both
// hashes (about 2^-128, and the seeds are secret) would make the second
// one look like a replay: a refusal, never an acceptance.
type nonceKey [2]uint64

type nonceEntry struct {
	key nonceKey
	exp int64
}

func (c *NonceCache) key(keyID, nonce string) nonceKey {
	var k nonceKey
	for i := range k {
		var h maphash.Hash
		h.SetSeed(c.seeds[i])
		h.WriteString(keyID)
		h.WriteByte(0)
		h.WriteString(nonce)
		k[i] = h.Sum64()
	}
	return k
}

// NewNonceCache returns a cache holding at most max nonces, each kept until
// the signature's expiry but no longer than ttl. A ttl below 2×MaxAge
// (600 s) is raised to it, since a shorter memory would allow replays.
func NewNonceCache(max int, ttl time.Duration) *NonceCache {
	return NewNonceCacheClock(max, ttl, time.Now)
}

// NewNonceCacheClock is NewNonceCache with an injected clock, for tests.
func NewNonceCacheClock(max int, ttl time.Duration, now func() time.Time) *NonceCache {
	if ttl < minNonceTTL {
		ttl = minNonceTTL
	}
	per := max / nonceShards
	if per < 1 {
		per = 1
	}
	c := &NonceCache{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, ttl: ttl, perShard: per, now: now}
	for i := range c.shards {
		c.shards[i].m = make(map[nonceKey]int64)
	}
	return c
}

// Seen records the nonce for keyID, valid until exp, and reports whether it
// was already recorded and still live (a replay). When the cache is full of
// live nonces it reports true: the request cannot be proven fresh.
func (c *NonceCache) Seen(keyID, nonce string, exp time.Time) (replayed bool) {
	if len(nonce) > 2*maxNonceBytes || len(keyID) > 1024 {
		return true
	}
	key := c.key(keyID, nonce)
	sh := &c.shards[key[0]%nonceShards]
	now := c.now()
	nowNs := now.UnixNano()
	until := exp.UnixNano()
	if limit := now.Add(c.ttl).UnixNano(); until > limit {
		until = limit
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.m[key]; ok && e >= nowNs {
		return true
	}
	sh.sweep(nowNs, false)
	if len(sh.m) >= c.perShard {
		sh.sweep(nowNs, true)
		if len(sh.m) >= c.perShard {
			return true
		}
	}
	sh.m[key] = until
	sh.queue = append(sh.queue, nonceEntry{key: key, exp: until})
	return false
}

// sweep drops expired entries: from the queue head only (amortised O(1)),
// or, when full, across the whole shard.
func (sh *nonceShard) sweep(nowNs int64, full bool) {
	for sh.head < len(sh.queue) && sh.queue[sh.head].exp < nowNs {
		e := sh.queue[sh.head]
		if cur, ok := sh.m[e.key]; ok && cur == e.exp {
			delete(sh.m, e.key)
		}
		sh.queue[sh.head] = nonceEntry{}
		sh.head++
	}
	if full {
		live := sh.queue[:0]
		for _, e := range sh.queue[sh.head:] {
			if e.exp < nowNs {
				if cur, ok := sh.m[e.key]; ok && cur == e.exp {
					delete(sh.m, e.key)
				}
				continue
			}
			live = append(live, e)
		}
		clear(sh.queue[len(live):])
		sh.queue, sh.head = live, 0
		return
	}
	if sh.head > 1024 && sh.head*2 > len(sh.queue) {
		sh.queue = append(sh.queue[:0], sh.queue[sh.head:]...)
		sh.head = 0
	}
}

var _ NonceChecker = (*NonceCache)(nil)

// Len returns the number of nonces held (live or not yet swept).
func (c *NonceCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
