package service

import (
	"errors"
	"testing"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// saveTag detects a photo of id and saves its face as uid, untrained; returns the tid.
func (e *env) saveTag(id string, noise int, uid string) string {
	e.t.Helper()
	d := e.call("faces/detect", nil, img(person(id, noise, 50)))
	return e.call("tags/save", map[string]string{"uid": uid, "tids": d.Photos[0].Tags[0].TID}).SavedTags[0].TID
}

// meanVector reads uid's stored mean template, if any.
func (e *env) meanVector(u uidRef) ([128]float32, bool) {
	e.t.Helper()
	var v [128]float32
	var found bool
	err := e.st.View(func(tx *store.Tx) error {
		raw, err := tx.GetRaw(index.Key(u.ns, u.String(), meanTID(u)))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		v, err = index.DecodeVector(raw)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return v, found
}

func (e *env) trainRecord(u uidRef) trainRec {
	e.t.Helper()
	var rec trainRec
	if err := e.st.View(func(tx *store.Tx) error { return tx.GetJSON(trainKey(u), &rec) }); err != nil {
		e.t.Fatal(err)
	}
	return rec
}

func (e *env) consistent() {
	e.t.Helper()
	if err := CheckConsistency(e.st); err != nil {
		e.t.Fatal(err)
	}
}

func TestTrainMeanTemplate(t *testing.T) {
	e := newEnv(t)
	alice := uidRef{name: "alice", ns: "ns"}
	vec := func(noise int) [128]float32 { v, _ := vec128(identity("alice", noise)); return v }
	first := e.saveTag("alice", 1, "alice@ns")
	e.call("faces/train", map[string]string{"uids": "alice@ns"})
	if _, ok := e.meanVector(alice); ok || e.idx.Len("ns") != 1 {
		t.Fatalf("one tag: mean stored %v, index %d templates, want the tag's own", ok, e.idx.Len("ns"))
	}
	if rec := e.trainRecord(alice); rec.Scheme != TemplateScheme {
		t.Fatalf("scheme %d, want %d", rec.Scheme, TemplateScheme)
	}
	e.consistent()

	second := e.saveTag("alice", 2, "alice@ns")
	tr := e.call("faces/train", map[string]string{"uids": "alice@ns"})
	if len(*tr.Updated) != 1 || (*tr.Updated)[0].TrainingSetSize != 2 {
		t.Fatalf("train %+v", tr)
	}
	m, ok := e.meanVector(alice)
	if !ok || e.idx.Len("ns") != 1 {
		t.Fatalf("two tags: mean stored %v, index %d templates, want the mean alone", ok, e.idx.Len("ns"))
	}
	if want := index.Mean([][128]float32{vec(1), vec(2)}); m != want {
		t.Fatal("stored mean is not the mean of the two descriptors")
	}
	e.consistent()
	// the index holds the mean: a probe equal to it is found at distance ~0 (int8)
	if got := e.idx.Search("ns", m, 5, nil); len(got) != 1 || got[0].UID != "alice@ns" || got[0].Dist > 0.02 {
		t.Fatalf("search for the mean: %+v", got)
	}
	if tr := e.call("faces/train", map[string]string{"uids": "alice@ns"}); len(*tr.Unchanged) != 1 {
		t.Fatalf("retrain without change: %+v", tr)
	}
	third := e.saveTag("alice", 3, "alice@ns")
	e.call("faces/train", map[string]string{"uids": "alice@ns"})
	if m3, _ := e.meanVector(alice); m3 != index.Mean([][128]float32{vec(1), vec(2), vec(3)}) || e.idx.Len("ns") != 1 {
		t.Fatalf("three tags: index %d", e.idx.Len("ns"))
	}

	t.Run("removing a trained tag re-derives the mean without it", func(t *testing.T) {
		e.call("tags/remove", map[string]string{"tids": first})
		m2, ok := e.meanVector(alice)
		if !ok || m2 != index.Mean([][128]float32{vec(2), vec(3)}) || e.idx.Len("ns") != 1 {
			t.Fatalf("after remove: mean stored %v, index %d", ok, e.idx.Len("ns"))
		}
		if got := e.idx.Search("ns", m2, 5, nil); len(got) != 1 || got[0].Dist > 0.02 {
			t.Fatalf("the index does not hold the new mean: %+v", got)
		}
		e.consistent()
		if tr := e.call("faces/train", map[string]string{"uids": "alice@ns"}); len(*tr.Unchanged) != 1 {
			t.Fatalf("train after remove: %+v, want unchanged", tr)
		}
		// down to one tag: its own descriptor is the template
		e.call("tags/remove", map[string]string{"tids": second})
		if _, ok := e.meanVector(alice); ok || e.idx.Len("ns") != 1 {
			t.Fatalf("one tag left: mean stored %v, index %d", ok, e.idx.Len("ns"))
		}
		if got := e.idx.Search("ns", vec(3), 5, nil); len(got) != 1 || got[0].Dist > 0.02 {
			t.Fatalf("the remaining tag is not the template: %+v", got)
		}
		e.consistent()
		_ = third
	})
	t.Run("erasing the uid erases its template", func(t *testing.T) {
		e.saveTag("alice", 4, "alice@ns")
		e.call("faces/train", map[string]string{"uids": "alice@ns"})
		if _, ok := e.meanVector(alice); !ok {
			t.Fatal("no mean after train")
		}
		if err := e.svc.DeleteUID("ns", "alice@ns"); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.meanVector(alice); ok || e.idx.Len("ns") != 0 {
			t.Fatalf("after delete: mean stored %v, index %d", ok, e.idx.Len("ns"))
		}
		e.consistent()
	})
}

func TestTemplateDistance(t *testing.T) {
	e := newEnv(t)
	var seen []int
	e.svc.opts.TemplateDistance = func(d float32, k int) float32 {
		seen = append(seen, k)
		return d + 0.3
	}
	e.saveTag("alice", 1, "alice@ns")
	e.saveTag("alice", 2, "alice@ns")
	e.saveTag("bob", 1, "bob@ns")
	e.call("faces/train", map[string]string{"uids": "all", "namespace": "ns"})
	a1, _ := vec128(identity("alice", 1))
	a2, _ := vec128(identity("alice", 2))
	m := index.Mean([][128]float32{a1, a2})
	b0, _ := vec128(identity("bob", 1))
	got, err := e.svc.match([]target{{ns: "ns"}}, m[:], 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	// alice's mean is at ~0 raw, 0.3 corrected: Confidence(0.3) (DefaultConfidence)
	if len(got) != 2 || got[0].UID != "alice@ns" || got[0].Confidence != DefaultConfidence(0.3) {
		t.Fatalf("candidates %+v, want alice at confidence %d", got, DefaultConfidence(0.3))
	}
	if len(seen) != 1 || seen[0] != 2 {
		t.Fatalf("TemplateDistance called for sizes %v, want [2] (bob has one tag)", seen)
	}
	// a mean under matching_threshold is not looked up (nor returned)
	seen = nil
	far := make([]float32, 128)
	for i := range far {
		far[i] = 0.5 * b0[i]
	}
	if got, err := e.svc.match([]target{{ns: "ns"}}, far, 5, 100); err != nil || len(got) != 0 || len(seen) != 0 {
		t.Fatalf("matching_threshold 100: %+v, %v, sizes looked up %v", got, err, seen)
	}
	// ranked on the corrected distance: a probe of bob nearer alice's raw mean than bob
	// would lose to alice without the correction
	b, _ := vec128(identity("bob", 1))
	probe := make([]float32, 128)
	for i := range probe {
		probe[i] = 0.55*m[i] + 0.45*b[i]
	}
	e.svc.opts.TemplateDistance = func(d float32, k int) float32 { return d }
	if got, err := e.svc.match([]target{{ns: "ns"}}, probe, 1, 0); err != nil || len(got) != 1 || got[0].UID != "alice@ns" {
		t.Fatalf("without a correction: %+v, %v; want alice (nearer)", got, err)
	}
	e.svc.opts.TemplateDistance = func(d float32, k int) float32 { return d + 10 }
	got, err = e.svc.match([]target{{ns: "ns"}}, probe, 1, 0)
	if err != nil || len(got) != 1 || got[0].UID != "bob@ns" {
		t.Fatalf("limit 1 after the correction: %+v, %v; want bob", got, err)
	}
}

// TestTemplateSchemeUpgrade opens a store written before template schemes (training
// records without a scheme, one template per tag) and checks that every uid is still
// found, and that faces/train re-derives the templates of the uids that gain a mean.
func TestTemplateSchemeUpgrade(t *testing.T) {
	e := newEnv(t)
	people := []string{"ann", "ben", "cat", "dan"}
	for i, p := range people {
		uid := p + "@ns"
		e.saveTag(p, 1, uid)
		if i%2 == 0 { // ann and cat have two tags
			e.saveTag(p, 2, uid)
		}
		e.call("faces/train", map[string]string{"uids": uid})
	}
	// rewrite it as the older code left it: no scheme, one vector per trained tag
	if err := e.st.Update(func(tx *store.Tx) error {
		for _, p := range people {
			u := uidRef{name: p, ns: "ns"}
			var rec trainRec
			if err := tx.GetJSON(trainKey(u), &rec); err != nil {
				return err
			}
			if err := tx.PutJSON(trainKey(u), struct {
				UID         string   `json:"uid"`
				LastTrained int64    `json:"last_trained"`
				TIDs        []string `json:"tids"`
			}{rec.UID, rec.LastTrained, rec.TIDs}, 0); err != nil {
				return err
			}
			if err := tx.Delete(index.Key(u.ns, u.String(), meanTID(u))); err != nil {
				return err
			}
			vecs, err := tagVectors(tx, u, rec.TIDs)
			if err != nil {
				return err
			}
			for tid, v := range vecs {
				if err := tx.PutRaw(index.Key(u.ns, u.String(), tid), index.EncodeVector(v), 0); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.consistent()
	// a new start: the index is loaded from the store
	idx := index.New()
	if n, err := idx.Load(e.st); err != nil || n != 6 {
		t.Fatalf("Load = %d, %v; want the 6 per-tag templates", n, err)
	}
	opts := e.svc.opts
	opts.TemplateDistance = func(d float32, k int) float32 { return d + 0.01 }
	svc, err := New(e.st, idx, &fakeAnalyzer{}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.idx = svc, idx
	found := func() {
		t.Helper()
		for _, p := range people {
			r := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person(p, 7, 50)))
			if u := r.Photos[0].Tags[0].UIDs; len(u) == 0 || u[0].UID != p+"@ns" {
				t.Fatalf("%s recognised as %+v", p, u)
			}
		}
	}
	found()
	if sizes, err := e.svc.templateSizes("ns", []string{"ann@ns", "ben@ns"}); err != nil || len(sizes) != 0 {
		t.Fatalf("old scheme's per-tag templates counted as means: %v, %v", sizes, err)
	}
	st := e.call("faces/status", map[string]string{"uids": "all", "namespace": "ns"})
	for _, s := range *st.UserStatuses {
		if s.TrainingSetSize == 0 || s.LastTrained == 0 {
			t.Fatalf("status after load: %+v", s)
		}
	}
	tr := e.call("faces/train", map[string]string{"uids": "all", "namespace": "ns"})
	if len(*tr.Updated) != 2 || len(*tr.Unchanged) != 2 {
		t.Fatalf("train after load: %+v, want ann and cat updated, ben and dan unchanged", tr)
	}
	for _, s := range *tr.Updated {
		if s.UID != "ann@ns" && s.UID != "cat@ns" {
			t.Fatalf("updated %s", s.UID)
		}
	}
	if e.idx.Len("ns") != 4 {
		t.Fatalf("index holds %d templates, want one per uid", e.idx.Len("ns"))
	}
	for _, p := range []string{"ann", "cat"} {
		u := uidRef{name: p, ns: "ns"}
		if _, ok := e.meanVector(u); !ok || e.trainRecord(u).Scheme != TemplateScheme {
			t.Fatalf("%s: no mean or old scheme after train", p)
		}
	}
	if sizes, err := e.svc.templateSizes("ns", []string{"ann@ns", "ben@ns"}); err != nil || sizes["ann@ns"] != 2 || sizes["ben@ns"] != 0 {
		t.Fatalf("template sizes after train: %v, %v", sizes, err)
	}
	e.consistent()
	found()
	// the store alone rebuilds the same index
	x := index.New()
	if n, err := x.Load(e.st); err != nil || n != 4 {
		t.Fatalf("reload: %d, %v", n, err)
	}
}
