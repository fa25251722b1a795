package service

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// trainUIDs returns the uids a train/status call names; uids=all means every uid with saved
// tags in the namespace.
func (s *Service) trainUIDs(req *Request) ([]uidRef, *skyerr.Error) {
	uids, all, err := s.uidsParam(req, true)
	if err != nil {
		return nil, err
	}
	if !all {
		return uids, nil
	}
	ns := param(req, "namespace")
	names, e := s.nsUsers(ns)
	if e != nil {
		return nil, asError(e)
	}
	for _, n := range names {
		name, _, _ := cutLast(n)
		uids = append(uids, uidRef{name: name, ns: ns})
	}
	return uids, nil
}

// nsUsers lists the distinct uids ("name@ns") with saved tags in ns, sorted.
func (s *Service) nsUsers(ns string) ([]string, error) {
	var out []string
	err := s.st.View(func(tx *store.Tx) error {
		keys, err := tx.Keys(nsTagPrefix(ns))
		if err != nil {
			return err
		}
		for _, k := range keys {
			parts := strings.Split(k, "/") // tag/<ns>/<uid>/<tid>
			if len(parts) == 4 && (len(out) == 0 || out[len(out)-1] != parts[2]) {
				out = append(out, parts[2])
			}
		}
		return nil
	})
	return out, err
}

// train implements faces/train: each uid's index template becomes the descriptor of its
// current trainable saved tag or, with two or more, their mean (see TemplateScheme).
func (s *Service) train(ctx context.Context, req *Request) (*Response, error) {
	uids, err := s.trainUIDs(req)
	if err != nil {
		return nil, err
	}
	noSet, created, updated, unchanged := []UserStatus{}, []UserStatus{}, []UserStatus{}, []UserStatus{}
	for _, u := range uids {
		if ctx.Err() != nil {
			return nil, skyerr.New(skyerr.Unavailable, "request cancelled")
		}
		st, kind, err := s.trainOne(u)
		if err != nil {
			return nil, err
		}
		switch kind {
		case "no_training_set":
			noSet = append(noSet, st)
		case "created":
			created = append(created, st)
		case "updated":
			updated = append(updated, st)
		default:
			unchanged = append(unchanged, st)
		}
	}
	inProgress := []UserStatus{}
	return &Response{NoTrainingSet: &noSet, Created: &created, Updated: &updated, Unchanged: &unchanged, InProgress: &inProgress}, nil
}

// trainOne retrains one uid atomically in the store, then brings the index in step.
func (s *Service) trainOne(u uidRef) (UserStatus, string, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var (
		kind string
		rec  trainRec
		ch   indexChange
	)
	err := s.st.Update(func(tx *store.Tx) error {
		kind, rec, ch = "", trainRec{}, indexChange{}
		vecs := map[string][128]float32{}
		if err := tx.Scan(uidTagPrefix(u), func(_ string, raw []byte) error {
			var t tagRec
			if err := json.Unmarshal(raw, &t); err != nil {
				return err
			}
			if v, ok := vec128(t.Face.Descriptor); ok && t.trainable() {
				vecs[t.TID] = v
			}
			return nil
		}); err != nil {
			return err
		}
		var old trainRec
		err := tx.GetJSON(trainKey(u), &old)
		had := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		tids := make([]string, 0, len(vecs))
		for tid := range vecs {
			tids = append(tids, tid)
		}
		sort.Strings(tids)
		switch {
		case len(tids) == 0:
			kind = "no_training_set"
			rec = trainRec{UID: u.String(), LastTrained: old.LastTrained}
			if !had {
				return nil
			}
			if ch, err = putTemplates(tx, u, old.indexedTIDs(u), nil, 0); err != nil {
				return err
			}
			return tx.Delete(trainKey(u))
		case had && slices.Equal(old.TIDs, tids) && (old.Scheme == TemplateScheme || len(tids) < 2):
			kind, rec = "unchanged", old
			return nil
		case had:
			kind = "updated"
		default:
			kind = "created"
		}
		rec = trainRec{UID: u.String(), LastTrained: s.opts.Now().Unix(), TIDs: tids, Scheme: TemplateScheme}
		set, n := templateSet(u, tids, vecs)
		if ch, err = putTemplates(tx, u, old.indexedTIDs(u), set, n); err != nil {
			return err
		}
		return tx.PutJSON(trainKey(u), rec, 0)
	})
	if err != nil {
		return UserStatus{}, "", err
	}
	ch.apply(s.idx)
	return UserStatus{UID: u.String(), TrainingSetSize: len(rec.TIDs), LastTrained: rec.LastTrained}, kind, nil
}

// status implements faces/status: the training state of each uid (size 0 and last_trained 0
// when never trained).
func (s *Service) status(ctx context.Context, req *Request) (*Response, error) {
	uids, err := s.trainUIDs(req)
	if err != nil {
		return nil, err
	}
	out := make([]UserStatus, 0, len(uids))
	e := s.st.View(func(tx *store.Tx) error {
		for _, u := range uids {
			var rec trainRec
			if err := tx.GetJSON(trainKey(u), &rec); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			out = append(out, UserStatus{UID: u.String(), TrainingSetSize: len(rec.TIDs), LastTrained: rec.LastTrained})
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &Response{UserStatuses: &out}, nil
}
