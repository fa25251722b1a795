package keyring

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/facegate/facegate/store"
)

// Store key prefixes owned by the keyring.
const (
	prefixKey   = "key/"
	prefixNS    = "nsreg/"
	prefixAdmin = "admin/"
	prefixAudit = "audit/"
)

// maxCachedKeys bounds the in-memory key cache, maxCachedMisses the cache
// of well-formed ids that do not exist (kept apart, so that a spray of
// random ids cannot evict real keys).
const (
	maxCachedKeys   = 50_000
	maxCachedMisses = 10_000
)

// Keyring is the registry of API keys, namespaces and administrators. It is
// safe for concurrent use. Reads of keys go through an in-memory cache that
// every change invalidates, so a revocation is effective on the next request.
type Keyring struct {
	st   *store.Store
	c    *cryptoKeys
	now  func() time.Time
	dumm keyRecord // compared against for unknown ids (constant time)

	mu    sync.Mutex
	gen   uint64 // bumped on every invalidation
	cache map[string]keyRecord
	miss  map[string]struct{}

	// unsealed caches the plaintext signing secrets by key id, with the
	// sealed bytes they came from (a rotation seals new ones): unsealing
	// with AES-GCM on every signed request was a tenth of the guard's cost.
	unsealedMu sync.Mutex
	unsealed   map[string]unsealedSecret

	admins   []adminRecord // nil: not loaded
	adminGen uint64

	nsOwners nsCache // NamespaceOwner's answers (nscache.go)

	touch   toucher
	lockout lockout
	shared  SharedAdminState // cluster mode: lockouts and used steps shared by the nodes
	auditMu sync.Mutex
	seq     uint64
}

// New returns a keyring on st. serverKey (ServerKeySize bytes) must be kept
// outside the database; now is the clock (time.Now in production).
func New(st *store.Store, serverKey []byte, now func() time.Time) (*Keyring, error) {
	if st == nil {
		return nil, errors.New("keyring: nil store")
	}
	if now == nil {
		now = time.Now
	}
	c, err := deriveKeys(serverKey)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	k := &Keyring{st: st, c: c, now: now, cache: make(map[string]keyRecord), miss: make(map[string]struct{}),
		unsealed: make(map[string]unsealedSecret)}
	k.dumm.SecretHash = c.hashSecret("dummy", "dummy")
	k.dumm.PrevHash = k.dumm.SecretHash
	k.touch.init()
	k.lockout = lockout{st: st}
	return k, nil
}

// Get returns the public view of a key (whatever its status), or an error
// wrapping ErrNotFound.
func (k *Keyring) Get(id string) (Key, error) {
	rec, err := k.record(id)
	if err != nil {
		return Key{}, err
	}
	return rec.Key.clone(), nil
}

// View is Get without the copy, for the per-request path: the returned
// Key shares its slices and map with the keyring's cache, so the caller
// must only read them.
func (k *Keyring) View(id string) (Key, error) {
	rec, err := k.record(id)
	if err != nil {
		return Key{}, err
	}
	return rec.Key, nil
}

// record returns the stored record of a key, through the cache.
func (k *Keyring) record(id string) (keyRecord, error) {
	if !ValidKeyID(id) {
		return keyRecord{}, fmt.Errorf("key %q: %w", truncate(id, 40), ErrNotFound)
	}
	k.mu.Lock()
	rec, ok := k.cache[id]
	_, missed := k.miss[id]
	gen := k.gen
	k.mu.Unlock()
	if ok {
		return rec, nil
	}
	if missed {
		return keyRecord{}, fmt.Errorf("key %s: %w", id, ErrNotFound)
	}
	if err := k.st.GetJSON(prefixKey+id, &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			k.mu.Lock()
			if k.gen == gen {
				if len(k.miss) >= maxCachedMisses {
					clear(k.miss)
				}
				// A copy: id may point into a large request header.
				k.miss[strings.Clone(id)] = struct{}{}
			}
			k.mu.Unlock()
			return keyRecord{}, fmt.Errorf("key %s: %w", id, ErrNotFound)
		}
		return keyRecord{}, fmt.Errorf("reading key %s: %w", id, err)
	}
	k.mu.Lock()
	// Only cache what was read if nothing changed meanwhile: a change that
	// committed after our read must not be hidden by a stale entry.
	if k.gen == gen {
		if len(k.cache) >= maxCachedKeys {
			clear(k.cache)
		}
		k.cache[strings.Clone(id)] = rec
	}
	k.mu.Unlock()
	return rec, nil
}

// invalidate drops cached records; call it after every committed change.
func (k *Keyring) invalidate(ids ...string) {
	k.mu.Lock()
	k.gen++
	for _, id := range ids {
		delete(k.cache, id)
		delete(k.miss, id)
	}
	k.mu.Unlock()
	k.unsealedMu.Lock()
	for _, id := range ids {
		delete(k.unsealed, id)
	}
	k.unsealedMu.Unlock()
}

// List returns the keys of owner, or of every owner when owner is "", in
// id order.
func (k *Keyring) List(owner string) ([]Key, error) {
	out := []Key{}
	err := k.st.ScanJSON(prefixKey, func(_ string, raw []byte) error {
		var rec keyRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("decoding key record: %w", err)
		}
		if owner == "" || rec.Owner == owner {
			out = append(out, rec.Key.clone())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	return out, nil
}

// clone returns a copy of k that shares no slices or maps with it.
func (k Key) clone() Key {
	k.Scopes = cloneStrings(k.Scopes)
	k.Namespaces = cloneStrings(k.Namespaces)
	k.AuthModes = cloneStrings(k.AuthModes)
	k.AllowedOrigins = cloneStrings(k.AllowedOrigins)
	if k.Limits != nil {
		m := make(map[string]any, len(k.Limits))
		for n, v := range k.Limits {
			m[n] = v
		}
		k.Limits = m
	}
	return k
}

func cloneStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}
