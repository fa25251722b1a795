package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// erase implements extensions/erase, facegate's erasure call beyond SkyBiometry's API (so
// its clients are unaffected):
//
//	uids=<uid@ns,...>          delete these people: tags, templates, training
//	namespace=<ns>&all=true    delete every face stored in the namespace
//
// Afterwards nothing of it can be recognised or read, and the search index no longer holds
// it. The guard's policies check scope and namespace ownership as for every other write; the
// service checks ownership again (checkNamespace), as for every destructive call.
func (s *Service) erase(_ context.Context, req *Request) (*Response, error) {
	out := &Erased{UIDs: []string{}, Namespaces: []string{}}
	ns := param(req, "namespace")
	uids, e := s.list(req, "uids")
	if e != nil {
		return nil, e
	}
	switch {
	case len(uids) > 0:
		for _, uid := range uids {
			uidNS := ns
			if at := strings.LastIndexByte(uid, '@'); at >= 0 {
				uidNS = uid[at+1:]
			}
			if uidNS == "" {
				return nil, skyerr.New(skyerr.MissingNS, "uid %s has no namespace", truncate(uid, 64))
			}
			if e := s.checkNamespace(req, uidNS); e != nil {
				return nil, e
			}
			if err := s.DeleteUID(uidNS, uid); err != nil {
				return nil, err
			}
			out.UIDs = append(out.UIDs, uid)
		}
	case ns != "" && req.Params["all"] == "true":
		if e := s.checkNamespace(req, ns); e != nil {
			return nil, e
		}
		if err := s.DeleteNamespace(ns); err != nil {
			return nil, err
		}
		out.Namespaces = append(out.Namespaces, ns)
	default:
		return nil, skyerr.New(skyerr.MissingArgs, "uids, or namespace with all=true, required")
	}
	return &Response{Erased: out}, nil
}

// DeleteUID erases every saved tag, descriptor and training record of uid ("name@ns") in
// ns, in one transaction, and removes its templates from the index.
func (s *Service) DeleteUID(ns, uid string) error {
	u, e := parseUID(uid, ns)
	if e != nil {
		return e
	}
	if u.ns != ns {
		return skyerr.New(skyerr.UID, "uid %s is not in namespace %s", uid, ns)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	err := s.st.Update(func(tx *store.Tx) error {
		var refs []tagRef
		if err := tx.Scan(uidTagPrefix(u), func(_ string, raw []byte) error {
			var t tagRec
			if err := json.Unmarshal(raw, &t); err != nil {
				return err
			}
			refs = append(refs, tagRef{NS: ns, UID: t.TID, PID: t.PID}) // UID field carries the tid here
			return nil
		}); err != nil {
			return err
		}
		for _, r := range refs {
			for _, k := range []string{tagKey(u, r.UID), tagRefKey(r.UID), photoTagKey(r.PID, r.UID)} {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
		}
		keys, err := tx.Keys(index.UIDPrefix(ns, u.String()))
		if err != nil {
			return err
		}
		for _, k := range append(keys, trainKey(u)) {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete uid: %w", err)
	}
	s.idx.RemoveUID(ns, u.String())
	return nil
}

// DeleteNamespace erases every tag, descriptor and training record of ns and drops it from
// the index. Large namespaces are erased in several transactions, index vectors first, so an
// interruption never leaves a template searchable after restart; calling it again finishes.
func (s *Service) DeleteNamespace(ns string) error {
	if e := validName("namespace", ns); e != nil {
		return e
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.st.DeletePrefix(index.NamespacePrefix(ns)); err != nil {
		return fmt.Errorf("delete namespace: %w", err)
	}
	s.idx.RemoveNamespace(ns)
	if _, err := s.st.DeletePrefix(nsTrainPrefix(ns)); err != nil {
		return fmt.Errorf("delete namespace: %w", err)
	}
	var refKeys []string
	if err := s.st.ScanJSON(nsTagPrefix(ns), func(_ string, raw []byte) error {
		var t tagRec
		if err := json.Unmarshal(raw, &t); err != nil {
			return err
		}
		refKeys = append(refKeys, tagRefKey(t.TID), photoTagKey(t.PID, t.TID))
		return nil
	}); err != nil {
		return fmt.Errorf("delete namespace: %w", err)
	}
	if err := s.deleteKeys(refKeys); err != nil {
		return fmt.Errorf("delete namespace: %w", err)
	}
	if _, err := s.st.DeletePrefix(nsTagPrefix(ns)); err != nil {
		return fmt.Errorf("delete namespace: %w", err)
	}
	return nil
}

// DeleteOwner erases all data of an owner: its namespaces (as listed by Options.Namespaces),
// its photo records and its temporary tags.
func (s *Service) DeleteOwner(owner string) error {
	if owner == "" {
		return fmt.Errorf("delete owner: empty owner")
	}
	for _, ns := range s.ownerNamespaces(owner) {
		if err := s.DeleteNamespace(ns); err != nil {
			return err
		}
	}
	var keys []string
	collect := func(prefix string, key func(id string) string) error {
		return s.st.ScanJSON(prefix, func(k string, _ []byte) error {
			keys = append(keys, key(k[len(prefix):]), k)
			return nil
		})
	}
	if err := collect(ownerTempPrefix(owner), tempKey); err != nil {
		return fmt.Errorf("delete owner: %w", err)
	}
	if err := collect(ownerPhotoPrefix(owner), photoKey); err != nil {
		return fmt.Errorf("delete owner: %w", err)
	}
	if err := s.deleteKeys(keys); err != nil {
		return fmt.Errorf("delete owner: %w", err)
	}
	if _, err := s.st.DeletePrefix(sourcePrefix(owner)); err != nil {
		return fmt.Errorf("delete owner: %w", err)
	}
	return nil
}

// deleteKeys deletes keys in transactions of at most 1000 keys.
func (s *Service) deleteKeys(keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		batch := keys[:n]
		keys = keys[n:]
		if err := s.st.Update(func(tx *store.Tx) error {
			for _, k := range batch {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}
