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
	var changes []indexChange
	removed := make([]RemovedTag, len(tids))
	e := s.st.Update(func(tx *store.Tx) error {
		changes = changes[:0]
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
			ch, err := s.deleteTag(tx, u, tid, ref.PID)
			if err != nil {
				return err
			}
			changes = append(changes, ch)
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	for _, ch := range changes {
		ch.apply(s.idx)
	}
	return &Response{RemovedTags: removed}, nil
}

// deleteTag removes a saved tag, its references and its place in the uid's training set,
// inside tx. The uid's index template follows: under scheme 0 the tag's own vector goes;
// under TemplateScheme a mean the tag was part of is re-derived from the remaining tags
// (or becomes the one remaining tag's descriptor), so the uid stays searchable without
// the removed descriptor. It returns the index change the caller applies after the commit.
func (s *Service) deleteTag(tx *store.Tx, u uidRef, tid, pid string) (indexChange, error) {
	for _, k := range []string{tagKey(u, tid), tagRefKey(tid), photoTagKey(pid, tid), index.Key(u.ns, u.String(), tid)} {
		if err := tx.Delete(k); err != nil {
			return indexChange{}, err
		}
	}
	ch := indexChange{u: u, remove: []string{tid}}
	var rec trainRec
	err := tx.GetJSON(trainKey(u), &rec)
	if errors.Is(err, store.ErrNotFound) {
		return ch, nil
	}
	if err != nil {
		return ch, err
	}
	i := slices.Index(rec.TIDs, tid)
	if i < 0 {
		return ch, nil
	}
	old := rec.indexedTIDs(u)
	rec.TIDs = slices.Delete(rec.TIDs, i, i+1)
	if len(rec.TIDs) == 0 {
		return ch, tx.Delete(trainKey(u))
	}
	if rec.Scheme >= 1 {
		vecs, err := tagVectors(tx, u, rec.TIDs)
		if err != nil {
			return ch, err
		}
		set, n := templateSet(u, rec.TIDs, vecs)
		if ch, err = putTemplates(tx, u, old, set, n); err != nil {
			return ch, err
		}
		ch.remove = append(ch.remove, tid)
	}
	return ch, tx.PutJSON(trainKey(u), rec, 0)
}
