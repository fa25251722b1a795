package service

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/facegate/facegate/engine/faceapi"
)

// TestCohortOffset checks that with Options.CohortOffset every candidate's distance is
// moved by the same offset, from the search's cohort (its 2nd, 3rd, ... nearest distances, at least 15 of
// them even for limit=1) before the calibrated confidence is computed, that the candidates
// keep their order, and that matching_threshold filters on the moved confidence.
func TestCohortOffset(t *testing.T) {
	e := newEnv(t)
	const people = 30
	for i := range people {
		id := fmt.Sprintf("p%02d", i)
		e.enroll(id, 1, id+"@ns")
	}
	conf := func(d float32, n int) int { return int(math.Round(math.Max(0, math.Min(100, 100-60*float64(d))))) }
	type seen struct {
		cohort []float32
		n      int
	}
	var calls []seen
	shift := float32(0)
	cohort := func(c []float32, n int) float32 {
		calls = append(calls, seen{slices.Clone(c), n})
		return -shift
	}
	svc, err := New(e.st, e.idx, &fakeAnalyzer{}, nil, Options{
		NamespaceOwner:   e.svc.opts.NamespaceOwner,
		Namespaces:       e.svc.opts.Namespaces,
		Confidence:       DefaultConfidence,
		SearchConfidence: conf,
		CohortOffset:     cohort,
		Threshold:        50,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	probe := img(person("p07", 9, 50))
	q, _ := vec128(identity("p07", 9))
	want := e.idx.Search("ns", q, people, nil)

	recognize := func(params map[string]string) []UIDMatch {
		t.Helper()
		calls = nil
		p := map[string]string{"uids": "all", "namespace": "ns"}
		for k, v := range params {
			p[k] = v
		}
		return e.call("faces/recognize", p, probe).Photos[0].Tags[0].UIDs
	}

	t.Run("limit 1 still gets a cohort of 15", func(t *testing.T) {
		got := recognize(map[string]string{"limit": "1"})
		if len(got) != 1 || got[0].UID != "p07@ns" {
			t.Fatalf("uids %+v, want p07 alone", got)
		}
		if len(calls) == 0 {
			t.Fatal("CohortOffset was not called")
		}
		c := calls[0]
		if c.n != people {
			t.Fatalf("n = %d, want the %d uids searched", c.n, people)
		}
		if len(calls) != 1 || len(c.cohort) != 15 {
			t.Fatalf("%d calls, a cohort of %d: want one call per search and 15", len(calls), len(c.cohort))
		}
		for i, d := range c.cohort {
			if d != want[i+1].Dist {
				t.Fatalf("cohort[%d] = %v, want the %d-th nearest distance %v", i, d, i+2, want[i+1].Dist)
			}
		}
		if got[0].Confidence != conf(want[0].Dist, people) {
			t.Fatalf("confidence %d, want %d", got[0].Confidence, conf(want[0].Dist, people))
		}
	})

	t.Run("the moved distance makes the confidence, order kept", func(t *testing.T) {
		shift = 0.3
		defer func() { shift = 0 }()
		got := recognize(map[string]string{"limit": "5"})
		if len(got) != 5 {
			t.Fatalf("%d candidates, want 5", len(got))
		}
		for i, m := range got {
			if m.UID != want[i].UID {
				t.Fatalf("candidate %d is %s, want %s (the index's order)", i, m.UID, want[i].UID)
			}
			if w := conf(want[i].Dist+0.3, people); m.Confidence != w {
				t.Fatalf("candidate %d: confidence %d, want %d from the moved distance", i, m.Confidence, w)
			}
		}
	})

	t.Run("matching_threshold applies to the moved confidence", func(t *testing.T) {
		raw := conf(want[0].Dist, people)
		shift = -0.1 // nearer: more confident than the raw distance
		defer func() { shift = 0 }()
		got := recognize(map[string]string{"matching_threshold": strconv.Itoa(raw + 1)})
		if len(got) == 0 || got[0].UID != "p07@ns" || got[0].Confidence <= raw {
			t.Fatalf("uids %+v, want p07 above its raw confidence %d", got, raw)
		}
		shift = 0.5
		if got := recognize(map[string]string{"matching_threshold": strconv.Itoa(raw)}); len(got) != 0 {
			t.Fatalf("uids %+v kept: moved below matching_threshold %d", got, raw)
		}
	})

	t.Run("not used without SearchConfidence", func(t *testing.T) {
		e.svc.opts.SearchConfidence = nil
		defer func() { e.svc.opts.SearchConfidence = conf }()
		if got := recognize(nil); len(got) == 0 || len(calls) != 0 {
			t.Fatalf("uids %+v, %d cohort calls: want candidates and no call", got, len(calls))
		}
	})
}

// TestCohortOffsetWithTheCalibration runs the product's scoring (faceapi.SearchConfidence,
// MeanTemplateDistance and CohortOffset, as facegate_api sets them) over 200 uids: the best
// candidate's confidence is SearchConfidence of its distance moved by the offset of the
// search's next 15 distances, and the same search of a 100-uid list is not moved. The fake
// identities lie far from each other (unlike faces), so the offset is the bounded one.
func TestCohortOffsetWithTheCalibration(t *testing.T) {
	e := newEnv(t)
	const people = 200
	uids := make([]string, 0, people)
	for i := range people {
		id := fmt.Sprintf("q%03d", i)
		d := e.call("faces/detect", nil, img(person(id, 1, 50)))
		e.call("tags/save", map[string]string{"uid": id + "@ns", "tids": d.Photos[0].Tags[0].TID})
		uids = append(uids, id+"@ns")
	}
	e.call("faces/train", map[string]string{"uids": "all", "namespace": "ns"})
	e.svc.opts.SearchConfidence, e.svc.opts.Threshold = faceapi.SearchConfidence, faceapi.SearchThreshold
	e.svc.opts.TemplateDistance, e.svc.opts.CohortOffset = faceapi.MeanTemplateDistance, faceapi.CohortOffset
	// a face between q042 and somebody else: q042 at a distance of about 0.45, where the
	// confidence is neither 0 nor 100
	a, o := identity("q042", 9), identity("stranger", 1)
	d := make([]float32, 128)
	for i := range d {
		d[i] = a[i] + 0.31*(o[i]-a[i])
	}
	q, _ := vec128(d)
	ms := e.idx.Search("ns", q, 16, nil)
	next := make([]float32, 0, 15)
	for _, m := range ms[1:] {
		next = append(next, m.Dist)
	}
	offset := faceapi.CohortOffset(next, people)
	want := faceapi.SearchConfidence(ms[0].Dist-offset, people)
	if raw := faceapi.SearchConfidence(ms[0].Dist, people); ms[0].UID != "q042@ns" || want == raw {
		t.Fatalf("best %s at %v: confidence %d moved, %d raw: the test would not tell the cohort from the distance", ms[0].UID, ms[0].Dist, want, raw)
	}
	got, err := e.svc.match([]target{{ns: "ns"}}, d, 1, 0)
	if err != nil || len(got) != 1 || got[0].UID != "q042@ns" || got[0].Confidence != want {
		t.Fatalf("uids %+v (%v), want q042 at %d", got, err, want)
	}
	r := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person("q042", 9, 50)))
	if th := r.Photos[0].Tags[0].Threshold; th == nil || *th != faceapi.SearchThreshold {
		t.Fatalf("threshold %v, want %d", th, faceapi.SearchThreshold)
	}

	// a list of 100 uids is scored on the distance alone
	list := map[string]bool{}
	for _, u := range append(uids[:99:99], "q042@ns") {
		list[u] = true
	}
	got, err = e.svc.match([]target{{ns: "ns", filter: list}}, d, 1, 0)
	if err != nil || len(got) != 1 || got[0].Confidence != faceapi.SearchConfidence(ms[0].Dist, 100) {
		t.Fatalf("100 uids: %+v (%v), want the distance's confidence %d", got, err, faceapi.SearchConfidence(ms[0].Dist, 100))
	}
}
