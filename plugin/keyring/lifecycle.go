package keyring

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/facegate/facegate/store"
)

// MaxRotationGrace bounds the grace period of Rotate.
const MaxRotationGrace = 30 * 24 * time.Hour

// Create stores a new key for p and returns it with its secret. The secret
// is returned only here; the store keeps its peppered hash and, when the key
// may use the signature mode, the secret sealed under the server key.
func (k *Keyring) Create(p CreateParams, actor string) (Key, string, error) {
	rec, secret, err := k.newKey(p)
	if err != nil {
		return Key{}, "", err
	}
	e := AuditEntry{Actor: actor, Action: "key.create", Target: rec.ID,
		Detail: fmt.Sprintf("owner=%s namespaces=%s modes=%s", rec.Owner, strings.Join(rec.Namespaces, ","), strings.Join(rec.AuthModes, ","))}
	err = k.change(e, func(tx *store.Tx) error { return putNewKey(tx, rec) })
	if err != nil {
		return Key{}, "", fmt.Errorf("creating key: %w", err)
	}
	k.invalidate(rec.ID)
	return rec.Key.clone(), secret, nil
}

// newKey validates p and prepares the record of a new key with its secret.
func (k *Keyring) newKey(p CreateParams) (keyRecord, string, error) {
	now := k.now()
	if err := p.normalize(now); err != nil {
		return keyRecord{}, "", err
	}
	id, err := newKeyID()
	if err != nil {
		return keyRecord{}, "", err
	}
	secret, err := newSecret()
	if err != nil {
		return keyRecord{}, "", err
	}
	rec := keyRecord{Key: Key{ID: id, Status: StatusActive, CreatedAt: now.Unix()}}
	rec.apply(p)
	if err := k.setSecret(&rec, secret); err != nil {
		return keyRecord{}, "", err
	}
	return rec, secret, nil
}

// putNewKey stores rec after checking its namespaces.
func putNewKey(tx *store.Tx, rec keyRecord) error {
	if err := checkNamespaces(tx, rec.Owner, rec.Namespaces); err != nil {
		return err
	}
	if ok, err := tx.Exists(prefixKey + rec.ID); err != nil || ok {
		return errors.Join(err, fmt.Errorf("key id collision: %w", ErrExists))
	}
	return tx.PutJSON(prefixKey+rec.ID, rec, 0)
}

// apply copies the settings of p (already normalized) into the record.
func (r *keyRecord) apply(p CreateParams) {
	r.Owner, r.Label, r.Tier = p.Owner, p.Label, p.Tier
	r.Scopes, r.Namespaces, r.AuthModes = cloneStrings(p.Scopes), cloneStrings(p.Namespaces), cloneStrings(p.AuthModes)
	r.AllowedOrigins = cloneStrings(p.AllowedOrigins)
	r.ExpiresAt, r.ClientCertSHA256, r.Limits = p.ExpiresAt, p.ClientCertSHA256, p.Limits
}

// setSecret stores the hash (and, for signature keys, the sealed form) of
// a new current secret.
func (k *Keyring) setSecret(r *keyRecord, secret string) error {
	r.SecretHash = k.c.hashSecret(r.ID, secret)
	r.SecretSealed = nil
	if r.HasMode(ModeSignature) {
		sealed, err := k.c.seal([]byte(secret), r.ID)
		if err != nil {
			return err
		}
		r.SecretSealed = sealed
	}
	return nil
}

// checkNamespaces refuses namespaces that are unregistered or owned by
// someone other than owner. "*" stands for all of the owner's namespaces.
func checkNamespaces(tx *store.Tx, owner string, names []string) error {
	for _, n := range names {
		if n == "*" {
			continue
		}
		var ns Namespace
		if err := tx.GetJSON(prefixNS+n, &ns); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("namespace %s is not registered: %w", n, ErrNotFound)
			}
			return err
		}
		if ns.Owner != owner {
			return fmt.Errorf("namespace %s: %w", n, ErrNamespaceOwner)
		}
	}
	return nil
}

// modify applies fn to the stored record of id in a transaction, with an
// audit entry, and invalidates the cache.
func (k *Keyring) modify(id, actor, action, detail string, fn func(r *keyRecord) error) error {
	if !ValidKeyID(id) {
		return fmt.Errorf("%s: key %q: %w", action, truncate(id, 40), ErrNotFound)
	}
	e := AuditEntry{Actor: actor, Action: action, Target: id, Detail: detail}
	err := k.change(e, func(tx *store.Tx) error {
		var rec keyRecord
		if err := tx.GetJSON(prefixKey+id, &rec); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("key %s: %w", id, ErrNotFound)
			}
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
		return tx.PutJSON(prefixKey+id, rec, 0)
	})
	k.invalidate(id)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return nil
}

// requireStatus fails with ErrBadTransition unless r's status is one of allowed.
func requireStatus(r *keyRecord, allowed ...string) error {
	if !slices.Contains(allowed, r.Status) {
		return fmt.Errorf("key is %s: %w", r.Status, ErrBadTransition)
	}
	return nil
}

// Rotate gives key id a new secret and returns it. The previous secret
// stays valid for grace (0: not at all; at most MaxRotationGrace). A
// revoked key cannot be rotated.
func (k *Keyring) Rotate(id string, grace time.Duration, actor string) (string, error) {
	if grace < 0 || grace > MaxRotationGrace {
		return "", fmt.Errorf("rotate: %w", invalidf("grace must be between 0 and %s", MaxRotationGrace))
	}
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	now := k.now()
	err = k.modify(id, actor, "key.rotate", fmt.Sprintf("grace=%s", grace), func(r *keyRecord) error {
		if err := requireStatus(r, StatusActive, StatusSuspended); err != nil {
			return err
		}
		r.PrevHash, r.PrevSealed, r.PrevUntil = nil, nil, 0
		if grace > 0 {
			r.PrevHash, r.PrevSealed = r.SecretHash, r.SecretSealed
			r.PrevUntil = now.Add(grace).Unix()
		}
		r.RotatedAt = now.Unix()
		return k.setSecret(r, secret)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Suspend makes key id unusable until Resume.
func (k *Keyring) Suspend(id, actor string) error {
	return k.setStatus(id, actor, "key.suspend", StatusSuspended)
}

// Resume makes a suspended key usable again.
func (k *Keyring) Resume(id, actor string) error {
	return k.setStatus(id, actor, "key.resume", StatusActive)
}

// setStatus moves an active or suspended key to status, audited as action.
func (k *Keyring) setStatus(id, actor, action, status string) error {
	return k.modify(id, actor, action, "", func(r *keyRecord) error {
		if err := requireStatus(r, StatusActive, StatusSuspended); err != nil {
			return err
		}
		r.Status = status
		return nil
	})
}

// Revoke makes key id unusable for good and erases its secret material;
// the record stays for the audit trail until Delete.
func (k *Keyring) Revoke(id, actor string) error {
	return k.modify(id, actor, "key.revoke", "", func(r *keyRecord) error {
		r.Status = StatusRevoked
		r.SecretHash, r.SecretSealed, r.PrevHash, r.PrevSealed, r.PrevUntil = nil, nil, nil, nil, 0
		return nil
	})
}

// Update replaces the settings of key id with p (owner, label, tier,
// scopes, namespaces, auth modes, origins, expiry, certificate binding,
// limits). Its status and secret are unchanged. A key created without the
// signature mode has no sealed secret: when Update enables that mode,
// SigningSecrets fails with ErrNeedsRotation until the key is rotated.
func (k *Keyring) Update(id string, p CreateParams, actor string) error {
	if err := p.normalize(k.now()); err != nil {
		return fmt.Errorf("key.update: %w", err)
	}
	detail := fmt.Sprintf("owner=%s namespaces=%s modes=%s", p.Owner, strings.Join(p.Namespaces, ","), strings.Join(p.AuthModes, ","))
	e := AuditEntry{Actor: actor, Action: "key.update", Target: id, Detail: detail}
	if !ValidKeyID(id) {
		return fmt.Errorf("key.update: key %q: %w", truncate(id, 40), ErrNotFound)
	}
	err := k.change(e, func(tx *store.Tx) error {
		var rec keyRecord
		if err := tx.GetJSON(prefixKey+id, &rec); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("key %s: %w", id, ErrNotFound)
			}
			return err
		}
		if err := requireStatus(&rec, StatusActive, StatusSuspended); err != nil {
			return err
		}
		if err := checkNamespaces(tx, p.Owner, p.Namespaces); err != nil {
			return err
		}
		rec.apply(p)
		if !rec.HasMode(ModeSignature) {
			rec.SecretSealed, rec.PrevSealed = nil, nil // no longer needed: do not keep it
		}
		return tx.PutJSON(prefixKey+id, rec, 0)
	})
	k.invalidate(id)
	if err != nil {
		return fmt.Errorf("key.update: %w", err)
	}
	return nil
}

// Delete removes key id and its record. It does not erase the key owner's
// data; the caller does that first when asked (see plugin.App.EraseKeyData).
func (k *Keyring) Delete(id, actor string) error {
	if !ValidKeyID(id) {
		return fmt.Errorf("key.delete: key %q: %w", truncate(id, 40), ErrNotFound)
	}
	err := k.change(AuditEntry{Actor: actor, Action: "key.delete", Target: id}, func(tx *store.Tx) error {
		if ok, err := tx.Exists(prefixKey + id); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("key %s: %w", id, ErrNotFound))
		}
		return tx.Delete(prefixKey + id)
	})
	k.invalidate(id)
	k.touch.forget(id)
	if err != nil {
		return fmt.Errorf("key.delete: %w", err)
	}
	return nil
}
