package service

import (
	"errors"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// TemplateScheme is the version of how faces/train turns a uid's trainable tags into index
// templates; every training record carries the scheme it was built with (trainRec.Scheme).
//
//   - 0 (stores written before schemes existed): one template per tag; a search scores a
//     uid by its closest template.
//   - 1: one template per uid: the descriptor of its only tag, or the mean of its k ≥ 2
//     tags' descriptors (index.Mean) under the tid meanTID(uid). A mean is nearer to
//     everybody than one photo's descriptor, so its distance is put back on the scale
//     of one descriptor before it becomes a confidence (Options.TemplateDistance).
//     Measured against scheme 0 with `go run ./tests/bench open-set-templates`
//     (BENCHMARKS.md, open-set identification): fewer people missed at the same rate of
//     strangers accepted, and the calibrated threshold keeps its promise.
//
// The per-tag descriptors stay in the saved tags, so any scheme can be re-derived from
// the store: a uid trained under an older scheme keeps its templates and is searched as
// before until faces/train runs on it again (which answers "updated").
const TemplateScheme = 1

// meanTID is the index tid of uid u's mean template. Saved tids are "<hex>_<hex>" and
// never start with "mean_", and a namespace's tids must be distinct, hence the uid in it.
func meanTID(u uidRef) string { return "mean_" + u.String() }

// templateSet is what the index holds for a uid trained under TemplateScheme: tid → vector,
// from the vectors of tids (a tid without one is left out), and how many descriptors
// it averages (n ≥ 2 for a mean template).
func templateSet(u uidRef, tids []string, vecs map[string][128]float32) (map[string][128]float32, int) {
	var vs [][128]float32
	var only string
	for _, tid := range tids {
		if v, ok := vecs[tid]; ok {
			vs, only = append(vs, v), tid
		}
	}
	switch len(vs) {
	case 0:
		return nil, 0
	case 1:
		return map[string][128]float32{only: vs[0]}, 1
	}
	return map[string][128]float32{meanTID(u): index.Mean(vs)}, len(vs)
}

// indexedTIDs lists the index tids a training record stands for.
func (r trainRec) indexedTIDs(u uidRef) []string {
	if r.Scheme >= 1 && len(r.TIDs) >= 2 {
		return []string{meanTID(u)}
	}
	return r.TIDs
}

// indexChange is what a committed write changes in the index for one uid.
type indexChange struct {
	u      uidRef
	add    map[string][128]float32
	n      int // descriptors averaged by add's mean template (meanTID), if any
	remove []string
}

func (c indexChange) apply(idx *index.Index) {
	for tid, v := range c.add {
		idx.AddTemplate(c.u.ns, c.u.String(), tid, v, c.n)
	}
	for _, tid := range c.remove {
		if _, ok := c.add[tid]; !ok {
			idx.RemoveTID(c.u.ns, tid)
		}
	}
}

// putTemplates replaces, inside tx, the index vectors of uid u that old stands for by set,
// which averages n descriptors (templateSet). A mean template is stored with its n
// (index.EncodeTemplate), so that a search needs no training record.
func putTemplates(tx *store.Tx, u uidRef, old []string, set map[string][128]float32, n int) (indexChange, error) {
	ch := indexChange{u: u, add: set, n: n, remove: old}
	for _, tid := range old {
		if _, ok := set[tid]; ok {
			continue
		}
		if err := tx.Delete(index.Key(u.ns, u.String(), tid)); err != nil {
			return ch, err
		}
	}
	for tid, v := range set {
		if err := tx.PutRaw(index.Key(u.ns, u.String(), tid), index.EncodeTemplate(v, n), 0); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// tagVectors reads the descriptors of the saved tags tids of u inside tx.
func tagVectors(tx *store.Tx, u uidRef, tids []string) (map[string][128]float32, error) {
	out := make(map[string][128]float32, len(tids))
	for _, tid := range tids {
		var t tagRec
		if err := tx.GetJSON(tagKey(u, tid), &t); err != nil {
			return nil, err
		}
		if v, ok := vec128(t.Face.Descriptor); ok {
			out[tid] = v
		}
	}
	return out, nil
}

// templateSizes returns, for each uid of ns, how many tags its index template stands for:
// k ≥ 2 for a mean template, 1 otherwise (one tag, or an older scheme's per-tag template).
// The index holds k with the template, so a search reads nothing from the store (and
// works while a shared store is unreachable); only a mean template written before its k
// was stored with it (faces/train leaves it "unchanged") is looked up in the training
// record.
func (s *Service) templateSizes(ns string, uids []string) (map[string]int, error) {
	out := s.idx.TemplateSizes(ns, uids)
	var legacy []string
	for _, uid := range uids {
		if _, ok := out[uid]; ok {
			continue
		}
		name, _, _ := cutLast(uid)
		if s.idx.HasTID(ns, meanTID(uidRef{name: name, ns: ns})) {
			legacy = append(legacy, uid)
		}
	}
	if len(legacy) == 0 {
		return out, nil
	}
	err := s.st.View(func(tx *store.Tx) error {
		for _, uid := range legacy {
			name, _, _ := cutLast(uid)
			var rec trainRec
			err := tx.GetJSON(trainKey(uidRef{name: name, ns: ns}), &rec)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if rec.Scheme >= 1 && len(rec.TIDs) >= 2 {
				out[uid] = len(rec.TIDs)
			}
		}
		return nil
	})
	return out, err
}
