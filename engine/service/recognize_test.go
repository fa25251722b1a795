package service

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/index"
)

func TestSaveTrainRecognize(t *testing.T) {
	e := newEnv(t)
	d := e.call("faces/detect", nil, img(person("alice", 1, 30), person("bob", 1, 70)))
	tags := d.Photos[0].Tags
	s := e.call("tags/save", map[string]string{"uid": "alice@ns", "tids": tags[0].TID, "label": "Alice A."})
	if len(s.SavedTags) != 1 || s.SavedTags[0].DetectedTID != tags[0].TID || !savedRE.MatchString(s.SavedTags[0].TID) {
		t.Fatalf("saved_tags %+v", s.SavedTags)
	}
	if s.Message != "Tag saved with uid: alice@ns, label: Alice A." {
		t.Fatalf("message %q", s.Message)
	}
	e.call("tags/save", map[string]string{"uid": "bob", "namespace": "ns", "tids": tags[1].TID})

	// not trained yet: recognition finds nobody
	r := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person("alice", 2, 50)))
	if got := r.Photos[0].Tags[0].UIDs; len(got) != 0 {
		t.Fatalf("untrained uids matched: %+v", got)
	}

	tr := e.call("faces/train", map[string]string{"uids": "alice@ns,bob@ns,carol@ns"})
	if len(*tr.Created) != 2 || len(*tr.NoTrainingSet) != 1 || len(*tr.Updated) != 0 || len(*tr.Unchanged) != 0 || tr.InProgress == nil {
		t.Fatalf("train %+v", tr)
	}
	if c := (*tr.Created)[0]; c.UID != "alice@ns" || c.TrainingSetSize != 1 || c.LastTrained == 0 {
		t.Fatalf("created %+v", c)
	}
	raw, _ := json.Marshal(tr)
	if !strings.Contains(string(raw), `"in_progress":[]`) || !strings.Contains(string(raw), `"unchanged":[]`) {
		t.Fatalf("train JSON %s", raw)
	}
	if tr := e.call("faces/train", map[string]string{"uids": "alice@ns"}); len(*tr.Unchanged) != 1 {
		t.Fatalf("retrain without change: %+v", tr)
	}

	tests := []struct {
		name       string
		params     map[string]string
		who        string
		wantTop    string
		wantNone   bool
		candidates int // uids searched: the returned threshold depends on it
	}{
		{"all in namespace", map[string]string{"uids": "all", "namespace": "ns"}, "alice", "alice@ns", false, 2},
		{"bob", map[string]string{"uids": "all", "namespace": "ns"}, "bob", "bob@ns", false, 2},
		{"uid list restricts", map[string]string{"uids": "bob@ns"}, "bob", "bob@ns", false, 1},
		{"uid list excludes others", map[string]string{"uids": "bob@ns"}, "alice", "", false, 1},
		{"stranger below threshold", map[string]string{"uids": "all", "namespace": "ns"}, "mallory", "", false, 2},
		{"matching_threshold drops weak", map[string]string{"uids": "all", "namespace": "ns", "matching_threshold": "60"}, "mallory", "", true, 2},
		{"empty namespace", map[string]string{"uids": "all", "namespace": "ns2"}, "alice", "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call("faces/recognize", tt.params, img(person(tt.who, 7, 50)))
			tag := r.Photos[0].Tags[0]
			if want := thresholdForList(DefaultThreshold, tt.candidates); tag.Threshold == nil || *tag.Threshold != want {
				t.Fatalf("threshold %v, want %d for %d candidates", tag.Threshold, want, tt.candidates)
			}
			if tt.wantNone {
				if len(tag.UIDs) != 0 {
					t.Fatalf("uids %+v, want none", tag.UIDs)
				}
				return
			}
			if len(tag.UIDs) == 0 {
				t.Fatal("no candidates")
			}
			top := tag.UIDs[0]
			if tt.params["uids"] != "all" && (len(tag.UIDs) != 1 || top.UID != "bob@ns") {
				t.Fatalf("uid filter ignored: %+v", tag.UIDs)
			}
			if tt.wantTop == "" {
				if top.Confidence >= DefaultThreshold {
					t.Fatalf("stranger matched %+v", top)
				}
				return
			}
			if top.UID != tt.wantTop || top.Confidence < DefaultThreshold {
				t.Fatalf("top %+v, want %s above threshold", top, tt.wantTop)
			}
			for i := 1; i < len(tag.UIDs); i++ {
				if tag.UIDs[i].Confidence > tag.UIDs[i-1].Confidence {
					t.Fatal("candidates not sorted by confidence")
				}
			}
		})
	}
	t.Run("limit", func(t *testing.T) {
		r := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns", "limit": "1"}, img(person("alice", 7, 50)))
		if len(r.Photos[0].Tags[0].UIDs) != 1 {
			t.Fatalf("limit ignored: %+v", r.Photos[0].Tags[0].UIDs)
		}
	})
	t.Run("status", func(t *testing.T) {
		st := e.call("faces/status", map[string]string{"uids": "alice,carol", "namespace": "ns"})
		got := *st.UserStatuses
		if len(got) != 2 || got[0].TrainingSetSize != 1 || got[0].LastTrained == 0 || got[1].TrainingSetSize != 0 || got[1].LastTrained != 0 {
			t.Fatalf("status %+v", got)
		}
	})
	t.Run("retrain updated", func(t *testing.T) {
		d := e.call("faces/detect", nil, img(person("alice", 3, 50)))
		e.call("tags/save", map[string]string{"uid": "alice@ns", "tids": d.Photos[0].Tags[0].TID})
		tr := e.call("faces/train", map[string]string{"uids": "all", "namespace": "ns"})
		if len(*tr.Updated) != 1 || (*tr.Updated)[0].TrainingSetSize != 2 || len(*tr.Unchanged) != 1 {
			t.Fatalf("train all %+v", tr)
		}
		if e.idx.Len("ns") != 2 { // the mean of alice's two tags, bob's tag
			t.Fatalf("index holds %d templates, want 2", e.idx.Len("ns"))
		}
	})
	t.Run("index rebuilt from store matches", func(t *testing.T) {
		x := index.New()
		if n, err := x.Load(e.st); err != nil || n != 2 {
			t.Fatalf("Load = %d, %v", n, err)
		}
		q, _ := vec128(identity("bob", 4))
		a, b := x.Search("ns", q, 5, nil), e.idx.Search("ns", q, 5, nil)
		if len(a) != len(b) || a[0] != b[0] {
			t.Fatalf("rebuilt %+v, live %+v", a, b)
		}
	})
}

func TestRecognizeErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		method string
		params map[string]string
		code   int
	}{
		{"missing uids", "faces/recognize", map[string]string{}, 402},
		{"all without namespace", "faces/recognize", map[string]string{"uids": "all"}, 403},
		{"uid without namespace", "faces/recognize", map[string]string{"uids": "alice"}, 403},
		{"other owner's namespace", "faces/recognize", map[string]string{"uids": "all", "namespace": "other"}, 404},
		{"unknown namespace", "faces/recognize", map[string]string{"uids": "x@nowhere"}, 404},
		{"bad uid", "faces/recognize", map[string]string{"uids": "al/ice@ns"}, 406},
		{"long uid", "faces/recognize", map[string]string{"uids": strings.Repeat("a", 65) + "@ns"}, 409},
		{"bad limit", "faces/recognize", map[string]string{"uids": "all", "namespace": "ns", "limit": "0"}, 406},
		{"bad matching_threshold", "faces/recognize", map[string]string{"uids": "all", "namespace": "ns", "matching_threshold": "101"}, 406},
		{"too many uids", "faces/recognize", map[string]string{"uids": strings.Repeat("a@ns,", 1001)}, 407},
		{"train missing uids", "faces/train", map[string]string{}, 402},
		{"train other namespace", "faces/train", map[string]string{"uids": "x@other"}, 404},
		{"status other namespace", "faces/status", map[string]string{"uids": "x@other"}, 404},
		{"group missing uids", "faces/group", map[string]string{}, 402},
		{"group bad threshold", "faces/group", map[string]string{"uids": "all", "namespace": "ns", "threshold": "x"}, 406},
		{"group bad similarities", "faces/group", map[string]string{"uids": "all", "namespace": "ns", "return_similarities": "x"}, 406},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.try("alice-co", tt.method, tt.params, img(person("alice", 1, 50)))
			wantCode(t, err, tt.code)
		})
	}
	t.Run("nothing stored by a rejected call", func(t *testing.T) {
		n := 0
		e.st.ScanJSON("", func(string, []byte) error { n++; return nil })
		if n != 0 {
			t.Fatalf("%d keys written by rejected calls", n)
		}
	})
	t.Run("nil request", func(t *testing.T) {
		_, err := e.svc.Call(context.Background(), nil)
		wantCode(t, err, 402)
	})
}

func TestGroup(t *testing.T) {
	e := newEnv(t)
	e.enroll("alice", 1, "alice@ns")
	r := e.call("faces/group", map[string]string{"uids": "all", "namespace": "ns", "return_similarities": "true"},
		img(person("alice", 2, 20), person("bob", 2, 60)), img(person("alice", 3, 40), person("bob", 3, 50)), img(person("carol", 3, 40)))
	if len(r.Groups) != 3 {
		t.Fatalf("groups %+v", r.Groups)
	}
	alice, bob, rest := r.Groups[0], r.Groups[1], r.Groups[2]
	if alice.GID == nil || *alice.GID != 1 || alice.UID != "alice@ns" || len(alice.TIDs) != 2 {
		t.Fatalf("alice group %+v", alice)
	}
	if bob.GID == nil || *bob.GID != 2 || bob.UID != "" || len(bob.TIDs) != 2 {
		t.Fatalf("bob group %+v", bob)
	}
	if rest.GID != nil || rest.UID != "" || len(rest.TIDs) != 1 || rest.TIDs[0] != r.Photos[2].Tags[0].TID {
		t.Fatalf("ungrouped %+v", rest)
	}
	sims := r.Photos[0].Tags[0].Similarities
	if len(sims) != 4 || sims[0].TID != r.Photos[1].Tags[0].TID || sims[0].Similarity < 70 || sims[3].Similarity > 30 {
		t.Fatalf("similarities %+v", sims)
	}
	raw, _ := json.Marshal(r.Groups)
	if !strings.Contains(string(raw), `{"tids":["TEMP_`) {
		t.Fatalf("ungrouped JSON %s", raw)
	}
	t.Run("no similarities unless asked", func(t *testing.T) {
		r := e.call("faces/group", map[string]string{"uids": "all", "namespace": "ns"}, img(person("alice", 2, 20)))
		if r.Photos[0].Tags[0].Similarities != nil {
			t.Fatal("similarities returned without return_similarities")
		}
	})
}

func TestThresholdForList(t *testing.T) {
	tests := []struct{ base, n, want int }{
		{50, 0, 50}, {50, 1, 50}, {50, 2, 56}, {50, 10, 70}, {50, 100, 90}, {50, 208, 95}, {50, 1000000, 95},
		{97, 1000, 97}, // a base above the cap is kept
	}
	for _, tt := range tests {
		if got := thresholdForList(tt.base, tt.n); got != tt.want {
			t.Errorf("thresholdForList(%d, %d) = %d, want %d", tt.base, tt.n, got, tt.want)
		}
	}
}
