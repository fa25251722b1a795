package keyring

import (
	"strings"

	"github.com/facegate/facegate/store"
)

// PlainKeyPrefixes are the keyring's store prefixes whose later key
// segments hold no secret and must keep their order in a shared database
// (store.Options.PlainPrefixes): the audit log's timestamps and sequence
// numbers, which ListAudit pages newest first.
var PlainKeyPrefixes = []string{prefixAudit}

// Follow keeps the keyring's caches current with the changes other nodes
// commit to a shared store (the cluster mode on PostgreSQL): a key changed,
// suspended, revoked or deleted on another node is re-read on its next use
// here, and so are the administrators. With the embedded store nothing else
// writes and it does nothing. stop ends it.
func (k *Keyring) Follow() (stop func()) {
	stopKeys := k.st.Watch(prefixKey, func(c store.Change) {
		if c.Resync {
			k.invalidateAll()
			return
		}
		k.refresh(strings.TrimPrefix(c.Key, prefixKey))
	})
	stopAdmins := k.st.Watch(prefixAdmin, func(store.Change) { k.invalidateAdmins() })
	stopNS := k.st.Watch(prefixNS, func(c store.Change) {
		if c.Resync {
			k.nsOwners.invalidateAll()
			return
		}
		k.nsOwners.invalidate(strings.TrimPrefix(c.Key, prefixNS))
	})
	// What was cached before the watches started may be stale already.
	k.invalidateAll()
	k.invalidateAdmins()
	k.nsOwners.invalidateAll()
	return func() {
		stopKeys()
		stopAdmins()
		stopNS()
	}
}

// refresh drops a changed key's cached record and, when it was cached (the
// key is in use here), reads it again at once, so that the cache stays
// warm (and a request keeps being answered from memory if the store
// becomes unreachable). A failed read leaves it dropped: the next request
// reads it, or fails closed.
func (k *Keyring) refresh(id string) {
	k.mu.Lock()
	_, cached := k.cache[id]
	k.mu.Unlock()
	k.invalidate(id)
	if cached {
		_, _ = k.record(id)
	}
}

// replaceCached puts records just committed in place of the cached ones
// (keys not cached stay out).
func (k *Keyring) replaceCached(recs map[string]keyRecord) {
	k.mu.Lock()
	k.gen++
	for id, rec := range recs {
		if _, ok := k.cache[id]; ok {
			k.cache[id] = rec
		}
		delete(k.miss, id)
	}
	k.mu.Unlock()
}

// invalidateAll drops every cached key record and unsealed secret.
func (k *Keyring) invalidateAll() {
	k.mu.Lock()
	k.gen++
	clear(k.cache)
	clear(k.miss)
	k.mu.Unlock()
	k.unsealedMu.Lock()
	clear(k.unsealed)
	k.unsealedMu.Unlock()
}
