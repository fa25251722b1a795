package service

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// tagsRemove implements tags/remove: saved or temporary tags of the caller are deleted with
// their descriptors, and trained templates leave the index at once. All tids are removed or
// none (a tid that is unknown, expired or not the caller's is 301).
func (s *Service) tagsRemove(ctx context.Context, req *Request) (*Response, error) {
	tids, err := s.list(req, "tids")
	if err != nil {
		return nil, err
	}
	if len(tids) == 0 {
		return nil, skyerr.New(skyerr.MissingArgs, "tids is required")
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	type unindex struct{ ns, tid string }
	var drop []unindex
	removed := make([]RemovedTag, len(tids))
	e := s.st.Update(func(tx *store.Tx) error {
		drop = drop[:0]
		seen := map[string]bool{}
		for i, tid := range tids {
			if seen[tid] {
				return errAbort{skyerr.New(skyerr.InvalidArgs, "tid %s listed twice", truncate(tid, 128))}
			}
			seen[tid] = true
			removed[i] = RemovedTag{RemovedTID: tid}
			notFound := errAbort{skyerr.New(skyerr.TagNotFound, "tag %s not found", truncate(tid, 128))}
			if strings.HasPrefix(tid, "TEMP_") {
				var tmp tempRec
				if err := tx.GetJSON(tempKey(tid), &tmp); err != nil || tmp.Owner != req.Owner {
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					return notFound
				}
				if err := tx.Delete(tempKey(tid)); err != nil {
					return err
				}
				if err := tx.Delete(ownerTempKey(req.Owner, tid)); err != nil {
					return err
				}
				continue
			}
			var ref tagRef
			if err := tx.GetJSON(tagRefKey(tid), &ref); err != nil {
				if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return notFound
			}
			if !s.mayUse(req, ref.NS) {
				return notFound // another owner's, or a namespace this key may not use
			}
			u := ref.uid()
			if err := s.deleteTag(tx, u, tid, ref.PID); err != nil {
				return err
			}
			drop = append(drop, unindex{ref.NS, tid})
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	for _, d := range drop {
		s.idx.RemoveTID(d.ns, d.tid)
	}
	return &Response{RemovedTags: removed}, nil
}

// deleteTag removes a saved tag, its references, its index vector and its place in the
// uid's training set, inside tx.
func (s *Service) deleteTag(tx *store.Tx, u uidRef, tid, pid string) error {
	for _, k := range []string{tagKey(u, tid), tagRefKey(tid), photoTagKey(pid, tid), index.Key(u.ns, u.String(), tid)} {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	var rec trainRec
	err := tx.GetJSON(trainKey(u), &rec)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	i := slices.Index(rec.TIDs, tid)
	if i < 0 {
		return nil
	}
	rec.TIDs = slices.Delete(rec.TIDs, i, i+1)
	if len(rec.TIDs) == 0 {
		return tx.Delete(trainKey(u))
	}
	return tx.PutJSON(trainKey(u), rec, 0)
}
