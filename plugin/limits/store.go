package limits

import (
	"hash/maphash"
	"sync"
)

const shardCount = 64

// slot is the state of one spec for one subject.
type slot struct {
	kind, name string
	tat        int64 // rate: theoretical arrival time, ns since the limiter's epoch
	window     int64 // quota: index of the current window
	wlen       int64 // quota: window length in ns (for persistence)
	used       int64 // quota: units used in the window
	inFlight   int64 // concurrency: slots held
}

// entry is one subject's state, linked in its shard's LRU list.
type entry struct {
	subject    string
	slots      []slot
	prev, next *entry
	dirty      bool // changed since the last Snapshot
}

// shard is a part of the subject map with an LRU list (head = most recent).
type shard struct {
	mu         sync.Mutex
	m          map[string]*entry
	head, tail *entry
	evicted    uint64 // entries dropped to stay within bounds
	dirty      []*entry
}

// store is a bounded, sharded map of subjects.
type store struct {
	seed     maphash.Seed
	perShard int
	shards   [shardCount]shard
}

func newStore(maxKeys int) *store {
	per := maxKeys / shardCount
	if per < 1 {
		per = 1
	}
	s := &store{seed: maphash.MakeSeed(), perShard: per}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*entry)
	}
	return s
}

func (s *store) shard(subject string) *shard {
	return &s.shards[maphash.String(s.seed, subject)%shardCount]
}

// get returns the subject's entry, creating it (and evicting the least
// recently used idle entry if the shard is full) when create is set.
// The caller holds sh.mu.
func (sh *shard) get(subject string, create bool, perShard int) *entry {
	if e, ok := sh.m[subject]; ok {
		sh.touch(e)
		return e
	}
	if !create {
		return nil
	}
	if len(sh.m) >= perShard {
		sh.evictOne()
	}
	e := &entry{subject: subject}
	sh.m[subject] = e
	sh.pushFront(e)
	return e
}

// evictOne drops the least recently used entry that holds no concurrency
// slot. Entries with requests in flight are never dropped, so the bound
// can be exceeded by at most the number of requests in flight.
func (sh *shard) evictOne() {
	for e, n := sh.tail, 0; e != nil && n < 16; e, n = e.prev, n+1 {
		if !e.busy() {
			sh.unlink(e)
			delete(sh.m, e.subject)
			sh.evicted++
			return
		}
	}
}

// markDirty queues e for the next Snapshot. The caller holds sh.mu.
func (sh *shard) markDirty(e *entry) {
	if !e.dirty {
		e.dirty = true
		sh.dirty = append(sh.dirty, e)
	}
}

func (e *entry) busy() bool {
	for i := range e.slots {
		if e.slots[i].inFlight > 0 {
			return true
		}
	}
	return false
}

// slot returns the state for (kind, name), adding a zero one if missing.
func (e *entry) slot(kind, name string) *slot {
	for i := range e.slots {
		if e.slots[i].kind == kind && e.slots[i].name == name {
			return &e.slots[i]
		}
	}
	e.slots = append(e.slots, slot{kind: kind, name: name})
	return &e.slots[len(e.slots)-1]
}

// find returns the state for (kind, name) or nil.
func (e *entry) find(kind, name string) *slot {
	if e == nil {
		return nil
	}
	for i := range e.slots {
		if e.slots[i].kind == kind && e.slots[i].name == name {
			return &e.slots[i]
		}
	}
	return nil
}

func (sh *shard) pushFront(e *entry) {
	e.prev, e.next = nil, sh.head
	if sh.head != nil {
		sh.head.prev = e
	}
	sh.head = e
	if sh.tail == nil {
		sh.tail = e
	}
}

func (sh *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		sh.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		sh.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (sh *shard) touch(e *entry) {
	if sh.head == e {
		return
	}
	sh.unlink(e)
	sh.pushFront(e)
}

// len and evictions, for tests and metrics.
func (s *store) stats() (n int, evicted uint64) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		evicted += sh.evicted
		sh.mu.Unlock()
	}
	return n, evicted
}
