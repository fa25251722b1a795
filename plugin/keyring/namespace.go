package keyring

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/facegate/facegate/store"
)

// Namespace is an entry of the namespace registry: names are globally
// unique and each belongs to one owner.
type Namespace struct {
	Name      string `json:"name"`
	Owner     string `json:"owner"`
	CreatedAt int64  `json:"created_at"`
}

// CreateNamespace registers name for owner. It fails with ErrExists when
// the name is taken (by anyone) and ErrInvalid for a bad name or owner.
func (k *Keyring) CreateNamespace(name, owner, actor string) error {
	if !ValidName(name) {
		return fmt.Errorf("namespace.create: %w", invalidf("namespace name must match %s", namePattern))
	}
	if !ownerPattern.MatchString(owner) {
		return fmt.Errorf("namespace.create: %w", invalidf("owner must match %s", ownerPattern))
	}
	ns := Namespace{Name: name, Owner: owner, CreatedAt: k.now().Unix()}
	e := AuditEntry{Actor: actor, Action: "namespace.create", Target: name, Detail: "owner=" + owner}
	err := k.change(e, func(tx *store.Tx) error {
		if ok, err := tx.Exists(prefixNS + name); err != nil || ok {
			return errors.Join(err, fmt.Errorf("namespace %s: %w", name, ErrExists))
		}
		return tx.PutJSON(prefixNS+name, ns, 0)
	})
	k.nsOwners.invalidate(name)
	if err != nil {
		return fmt.Errorf("namespace.create: %w", err)
	}
	return nil
}

// Namespace returns the registry entry of name, or an error wrapping
// ErrNotFound.
func (k *Keyring) Namespace(name string) (Namespace, error) {
	var ns Namespace
	if !ValidName(name) {
		return ns, fmt.Errorf("namespace %q: %w", truncate(name, 70), ErrNotFound)
	}
	if err := k.st.GetJSON(prefixNS+name, &ns); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ns, fmt.Errorf("namespace %s: %w", name, ErrNotFound)
		}
		return ns, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return ns, nil
}

// NamespaceOwner returns the owner of a registered namespace. Answers are
// cached (every change of the registry, here or on another node of a
// shared store, drops them), so that calls keep being answered from memory
// while a shared store is unreachable.
func (k *Keyring) NamespaceOwner(name string) (string, bool) {
	if !ValidName(name) {
		return "", false
	}
	owner, ok, gen := k.nsOwners.get(name)
	if ok {
		return owner, true
	}
	var ns Namespace
	if err := k.st.GetJSON(prefixNS+name, &ns); err != nil {
		return "", false
	}
	k.nsOwners.put(name, ns.Owner, gen)
	return ns.Owner, true
}

// ListNamespaces returns the namespaces of owner, or all of them when
// owner is "", in name order.
func (k *Keyring) ListNamespaces(owner string) ([]Namespace, error) {
	out := []Namespace{}
	err := k.st.ScanJSON(prefixNS, func(_ string, raw []byte) error {
		var ns Namespace
		if err := json.Unmarshal(raw, &ns); err != nil {
			return fmt.Errorf("decoding namespace: %w", err)
		}
		if owner == "" || ns.Owner == owner {
			out = append(out, ns)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	return out, nil
}

// DeleteNamespace removes name from the registry. The namespace's data
// (uids, tags, templates) is erased by the caller.
func (k *Keyring) DeleteNamespace(name, actor string) error {
	if !ValidName(name) {
		return fmt.Errorf("namespace.delete: namespace %q: %w", truncate(name, 70), ErrNotFound)
	}
	err := k.change(AuditEntry{Actor: actor, Action: "namespace.delete", Target: name}, func(tx *store.Tx) error {
		if ok, err := tx.Exists(prefixNS + name); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("namespace %s: %w", name, ErrNotFound))
		}
		return tx.Delete(prefixNS + name)
	})
	k.nsOwners.invalidate(name)
	if err != nil {
		return fmt.Errorf("namespace.delete: %w", err)
	}
	return nil
}
