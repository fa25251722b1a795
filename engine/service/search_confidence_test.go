package service

import (
	"math"
	"strconv"
	"testing"
)

// TestSearchConfidence checks that with Options.SearchConfidence a candidate's confidence
// is computed for the number of uids searched, the returned threshold is Options.Threshold
// whatever that number is, and matching_threshold filters on the calibrated confidence.
func TestSearchConfidence(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"alice", "bob", "carol"} {
		e.enroll(id, 1, id+"@ns")
	}
	var seen []int
	// a stand-in calibration: confidence falls with distance and with the number of uids
	conf := func(d float32, n int) int {
		seen = append(seen, n)
		return int(math.Round(math.Max(0, 100-100*float64(d)-10*float64(n))))
	}
	svc, err := New(e.st, e.idx, &fakeAnalyzer{}, nil, Options{
		NamespaceOwner:   e.svc.opts.NamespaceOwner,
		Namespaces:       e.svc.opts.Namespaces,
		Confidence:       DefaultConfidence,
		SearchConfidence: conf,
		Threshold:        42,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	q, _ := vec128(identity("bob", 7))
	tests := []struct {
		name   string
		params map[string]string
		n      int
	}{
		{"whole namespace", map[string]string{"uids": "all", "namespace": "ns"}, 3},
		{"uid list", map[string]string{"uids": "bob@ns,carol@ns"}, 2},
		{"one uid", map[string]string{"uids": "bob@ns"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			r := e.call("faces/recognize", tt.params, img(person("bob", 7, 50)))
			tag := r.Photos[0].Tags[0]
			if tag.Threshold == nil || *tag.Threshold != 42 {
				t.Fatalf("threshold %v, want Options.Threshold 42 for any number of uids", tag.Threshold)
			}
			if len(tag.UIDs) == 0 || tag.UIDs[0].UID != "bob@ns" {
				t.Fatalf("uids %+v, want bob first", tag.UIDs)
			}
			for _, n := range seen {
				if n != tt.n {
					t.Fatalf("SearchConfidence saw n = %d, want %d uids searched", n, tt.n)
				}
			}
			best := e.idx.Search("ns", q, 1, map[string]bool{"bob@ns": true})
			if want := conf(best[0].Dist, tt.n); tag.UIDs[0].Confidence != want {
				t.Fatalf("confidence %d, want %d", tag.UIDs[0].Confidence, want)
			}
		})
	}
	t.Run("matching_threshold filters calibrated confidences", func(t *testing.T) {
		all := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person("bob", 7, 50)))
		top := all.Photos[0].Tags[0].UIDs[0].Confidence
		r := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns", "matching_threshold": strconv.Itoa(top + 1)}, img(person("bob", 7, 50)))
		if got := r.Photos[0].Tags[0].UIDs; len(got) != 0 {
			t.Fatalf("candidates below matching_threshold %d kept: %+v", top+1, got)
		}
	})
}
