package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// errAbort carries an *skyerr.Error out of a store transaction (which is then rolled back).
type errAbort struct{ e *skyerr.Error }

func (a errAbort) Error() string { return a.e.Error() }
func (a errAbort) Unwrap() error { return a.e }

func labelParam(req *Request) (*string, *skyerr.Error) {
	l, ok := req.Params["label"]
	if !ok || l == "" {
		return nil, nil
	}
	if len(l) > maxLabelLen {
		return nil, skyerr.New(skyerr.InvalidArgs, "label is longer than %d bytes", maxLabelLen)
	}
	return &l, nil
}

// singleUID parses the uid parameter and checks its namespace.
func (s *Service) singleUID(req *Request) (uidRef, *skyerr.Error) {
	raw := param(req, "uid")
	if raw == "" {
		return uidRef{}, skyerr.New(skyerr.MissingArgs, "uid is required")
	}
	u, err := parseUID(raw, param(req, "namespace"))
	if err != nil {
		return uidRef{}, err
	}
	if err := s.checkNamespace(req, u.ns); err != nil {
		return uidRef{}, err
	}
	return u, nil
}

// tagsSave implements tags/save: temporary tags become saved tags of uid. All tids are
// saved or none (an unknown tid is 301 and nothing changes).
func (s *Service) tagsSave(ctx context.Context, req *Request) (*Response, error) {
	u, err := s.singleUID(req)
	if err != nil {
		return nil, err
	}
	tids, err := s.list(req, "tids")
	if err != nil {
		return nil, err
	}
	if len(tids) == 0 {
		return nil, skyerr.New(skyerr.MissingArgs, "tids is required")
	}
	label, err := labelParam(req)
	if err != nil {
		return nil, err
	}
	saved := make([]SavedTag, len(tids))
	newTIDs := make([]string, len(tids))
	for i := range tids {
		t, e := s.newTID()
		if e != nil {
			return nil, e
		}
		newTIDs[i] = t
	}
	now := s.opts.Now().Unix()
	e := s.st.Update(func(tx *store.Tx) error {
		seen := map[string]bool{}
		for i, tid := range tids {
			if seen[tid] {
				return errAbort{skyerr.New(skyerr.InvalidArgs, "tid %s listed twice", truncate(tid, 128))}
			}
			seen[tid] = true
			var tmp tempRec
			if !strings.HasPrefix(tid, "TEMP_") {
				return errAbort{skyerr.New(skyerr.TagNotFound, "tag %s is not a temporary tag", truncate(tid, 128))}
			}
			if err := tx.GetJSON(tempKey(tid), &tmp); err != nil || tmp.Owner != req.Owner {
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return errAbort{skyerr.New(skyerr.TagNotFound, "tag %s not found or expired", truncate(tid, 128))}
			}
			var photo photoRec
			if err := tx.GetJSON(photoKey(tmp.PID), &photo); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			nt := newTIDs[i]
			rec := tagRec{TID: nt, PID: tmp.PID, URL: photo.URL, UID: u.String(), Label: label, Face: tmp.Face, Created: now}
			for _, w := range []struct {
				key string
				v   any
			}{
				{tagKey(u, nt), rec},
				{tagRefKey(nt), tagRef{NS: u.ns, UID: u.String(), PID: tmp.PID}},
				{photoTagKey(tmp.PID, nt), tagRef{NS: u.ns, UID: u.String(), PID: tmp.PID}},
			} {
				if err := tx.PutJSON(w.key, w.v, 0); err != nil {
					return err
				}
			}
			if err := tx.Delete(tempKey(tid)); err != nil {
				return err
			}
			if err := tx.Delete(ownerTempKey(req.Owner, tid)); err != nil {
				return err
			}
			saved[i] = SavedTag{DetectedTID: tid, TID: nt}
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	l := ""
	if label != nil {
		l = *label
	}
	return &Response{SavedTags: saved, Message: fmt.Sprintf("Tag saved with uid: %s, label: %s", u, l)}, nil
}

// tagsAdd implements tags/add: a manual tag (no descriptor, never used for training) on the
// photo of url (an existing photo of the caller when url or pid matches one).
func (s *Service) tagsAdd(ctx context.Context, req *Request) (*Response, error) {
	u, err := s.singleUID(req)
	if err != nil {
		return nil, err
	}
	link := param(req, "url")
	if link == "" {
		return nil, skyerr.New(skyerr.MissingArgs, "url is required")
	}
	var geo [4]float64
	for i, n := range []string{"x", "y", "width", "height"} {
		if geo[i], err = percentParam(req, n); err != nil {
			return nil, err
		}
	}
	label, err := labelParam(req)
	if err != nil {
		return nil, err
	}
	tid, e := s.newTID()
	if e != nil {
		return nil, e
	}
	now := s.opts.Now().Unix()
	e = s.st.Update(func(tx *store.Tx) error {
		var pid string
		var photo photoRec
		if p := param(req, "pid"); p != "" {
			if err := tx.GetJSON(photoKey(p), &photo); err == nil && photo.Owner == req.Owner {
				pid = p
			}
		}
		if pid == "" {
			keys, err := tx.Keys(sourcePrefixOf(req.Owner, link))
			if err != nil {
				return err
			}
			if len(keys) > 0 { // attach to an earlier analysis of this url
				pid = strings.TrimPrefix(keys[0], sourcePrefixOf(req.Owner, link))
			}
		}
		if pid == "" {
			p, err := s.newPID()
			if err != nil {
				return err
			}
			pid = p
			if err := tx.PutJSON(photoKey(pid), photoRec{PID: pid, Owner: req.Owner, URL: link, Created: now}, 0); err != nil {
				return err
			}
			if err := tx.PutJSON(ownerPhotoKey(req.Owner, pid), 1, 0); err != nil {
				return err
			}
			if err := tx.PutJSON(sourceKey(req.Owner, link, pid), 1, 0); err != nil {
				return err
			}
		}
		face := Face{CenterX: geo[0], CenterY: geo[1], Width: geo[2], Height: geo[3], Attributes: map[string]Attribute{}}
		rec := tagRec{TID: tid, PID: pid, URL: link, UID: u.String(), Label: label, Manual: true, Face: face, Created: now}
		ref := tagRef{NS: u.ns, UID: u.String(), PID: pid}
		if err := tx.PutJSON(tagKey(u, tid), rec, 0); err != nil {
			return err
		}
		if err := tx.PutJSON(tagRefKey(tid), ref, 0); err != nil {
			return err
		}
		return tx.PutJSON(photoTagKey(pid, tid), ref, 0)
	})
	if e != nil {
		return nil, e
	}
	return &Response{}, nil
}
