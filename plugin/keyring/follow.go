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
		k.invalidate(strings.TrimPrefix(c.Key, prefixKey))
	})
	stopAdmins := k.st.Watch(prefixAdmin, func(store.Change) { k.invalidateAdmins() })
	// What was cached before the watches started may be stale already.
	k.invalidateAll()
	k.invalidateAdmins()
	return func() {
		stopKeys()
		stopAdmins()
	}
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
