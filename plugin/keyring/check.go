package keyring

import (
	"crypto/hmac"
	"fmt"
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
// The caller must not log or keep the returned bytes.
func (k *Keyring) SigningSecrets(id string) ([][]byte, error) {
	rec, err := k.record(id)
	if err != nil {
		return nil, err
	}
	now := k.now()
	if err := rec.Usable(now); err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	if !rec.HasMode(ModeSignature) {
		return nil, fmt.Errorf("key %s: signature auth mode not enabled: %w", id, ErrInvalid)
	}
	if len(rec.SecretSealed) == 0 {
		return nil, fmt.Errorf("key %s: %w", id, ErrNeedsRotation)
	}
	cur, err := k.c.unseal(rec.SecretSealed, id)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	out := [][]byte{cur}
	if len(rec.PrevSealed) > 0 && now.Unix() < rec.PrevUntil {
		prev, err := k.c.unseal(rec.PrevSealed, id)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", id, err)
		}
		out = append(out, prev)
	}
	return out, nil
}
