package keyring

import "sync"

// maxCachedNamespaces bounds the namespace-owner cache (it is emptied when
// full).
const maxCachedNamespaces = 10_000

// nsCache remembers the owners of registered namespaces. gen is bumped by
// every invalidation, so that an answer read from the store before a
// change is not cached after it.
type nsCache struct {
	mu     sync.Mutex
	gen    uint64
	owners map[string]string
}

// get returns the cached owner of name, or the generation to pass to put.
func (c *nsCache) get(name string) (owner string, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	owner, ok = c.owners[name]
	return owner, ok, c.gen
}

// put caches owner for name if nothing was invalidated since gen.
func (c *nsCache) put(name, owner string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.owners == nil || len(c.owners) >= maxCachedNamespaces {
		c.owners = map[string]string{}
	}
	c.owners[name] = owner
}

func (c *nsCache) invalidate(name string) {
	c.mu.Lock()
	c.gen++
	delete(c.owners, name)
	c.mu.Unlock()
}

func (c *nsCache) invalidateAll() {
	c.mu.Lock()
	c.gen++
	clear(c.owners)
	c.mu.Unlock()
}
