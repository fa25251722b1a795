package keyring

import (
	"bytes"
	"crypto/hmac"
	"fmt"

	"github.com/facegate/facegate/plugin/httpsig"
)

// CheckSecret reports whether secret is the current secret of key id or,
// during a rotation's grace period, its previous one. The key must also be
// usable (active, not expired). It does the same work for unknown ids, so
// its timing does not reveal whether an id exists.
func (k *Keyring) CheckSecret(id, secret string) bool {
	rec, err := k.record(id)
	known := err == nil
	if !known {
		rec = k.dumm
	}
	now := k.now()
	h := k.c.hashSecret(id, secret)
	cur := hmac.Equal(h, rec.SecretHash)
	prevHash := rec.PrevHash
	if len(prevHash) == 0 {
		prevHash = k.dumm.PrevHash
	}
	prev := hmac.Equal(h, prevHash) && len(rec.PrevHash) > 0 && now.Unix() < rec.PrevUntil
	if !known || rec.Usable(now) != nil {
		return false
	}
	return cur || prev
}

// SigningSecrets returns the secrets that may verify an RFC 9421 HMAC
// signature of key id: the current one, then the previous one during a
// rotation's grace period. It fails when the key is unknown, not usable
// (ErrSuspended, ErrRevoked, ErrExpired) or not allowed the signature mode.
// The caller must not log, keep or modify the returned bytes (they are
// shared with the keyring's cache).
func (k *Keyring) SigningSecrets(id string) ([][]byte, error) {
	secrets, _, err := k.signing(id)
	return secrets, err
}

// SigningKeys is SigningSecrets prepared for httpsig: the keyed HMAC states
// live in the keyring's cache with the secrets they were made from, and go
// with them when the key is rotated or deleted.
func (k *Keyring) SigningKeys(id string) ([]*httpsig.Key, error) {
	_, keys, err := k.signing(id)
	return keys, err
}

// signing is the secrets and prepared keys of SigningSecrets.
func (k *Keyring) signing(id string) ([][]byte, []*httpsig.Key, error) {
	rec, err := k.record(id)
	if err != nil {
		return nil, nil, err
	}
	now := k.now()
	if err := rec.Usable(now); err != nil {
		return nil, nil, fmt.Errorf("key %s: %w", id, err)
	}
	if !rec.HasMode(ModeSignature) {
		return nil, nil, fmt.Errorf("key %s: signature auth mode not enabled: %w", id, ErrInvalid)
	}
	if len(rec.SecretSealed) == 0 {
		return nil, nil, fmt.Errorf("key %s: %w", id, ErrNeedsRotation)
	}
	cur, curKey, err := k.unsealSecret(id, 0, rec.SecretSealed)
	if err != nil {
		return nil, nil, fmt.Errorf("key %s: %w", id, err)
	}
	secrets, keys := [][]byte{cur}, []*httpsig.Key{curKey}
	if len(rec.PrevSealed) > 0 && now.Unix() < rec.PrevUntil {
		prev, prevKey, err := k.unsealSecret(id, 1, rec.PrevSealed)
		if err != nil {
			return nil, nil, fmt.Errorf("key %s: %w", id, err)
		}
		secrets, keys = append(secrets, prev), append(keys, prevKey)
	}
	return secrets, keys, nil
}

// unsealedSecret is a key's current (0) and previous (1) signing secrets
// in clear, each with the sealed bytes it was opened from and its httpsig.Key.
type unsealedSecret struct {
	sealed   [2][]byte
	plain    [2][]byte
	prepared [2]*httpsig.Key
}

// unsealSecret opens the sealed secret of key id (slot 0: current, 1:
// previous), through a cache that holds it only while the record still has
// the same sealed bytes; invalidate drops a changed or deleted key's entry.
func (k *Keyring) unsealSecret(id string, slot int, sealed []byte) ([]byte, *httpsig.Key, error) {
	k.unsealedMu.Lock()
	e := k.unsealed[id]
	k.unsealedMu.Unlock()
	if e.plain[slot] != nil && bytes.Equal(e.sealed[slot], sealed) {
		return e.plain[slot], e.prepared[slot], nil
	}
	plain, err := k.c.unseal(sealed, id)
	if err != nil {
		return nil, nil, err
	}
	prepared := httpsig.NewKey(plain)
	k.unsealedMu.Lock()
	if len(k.unsealed) >= maxCachedKeys {
		clear(k.unsealed)
	}
	e = k.unsealed[id]
	e.sealed[slot], e.plain[slot], e.prepared[slot] = bytes.Clone(sealed), plain, prepared
	k.unsealed[id] = e
	k.unsealedMu.Unlock()
	return plain, prepared, nil
}
