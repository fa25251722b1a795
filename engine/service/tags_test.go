package service

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTagsSaveErrors(t *testing.T) {
	e := newEnv(t)
	d := e.call("faces/detect", nil, img(person("alice", 1, 30)))
	tid := d.Photos[0].Tags[0].TID
	tests := []struct {
		name   string
		owner  string
		params map[string]string
		code   int
	}{
		{"missing uid", "alice-co", map[string]string{"tids": tid}, 402},
		{"missing tids", "alice-co", map[string]string{"uid": "a@ns"}, 402},
		{"missing namespace", "alice-co", map[string]string{"uid": "a", "tids": tid}, 403},
		{"other owner's namespace", "alice-co", map[string]string{"uid": "a@other", "tids": tid}, 404},
		{"invalid uid", "alice-co", map[string]string{"uid": "a b@ns", "tids": tid}, 406},
		{"label too long", "alice-co", map[string]string{"uid": "a@ns", "tids": tid, "label": strings.Repeat("x", 300)}, 406},
		{"unknown tid", "alice-co", map[string]string{"uid": "a@ns", "tids": "TEMP_F@00_1_1_0_1"}, 301},
		{"saved tid", "alice-co", map[string]string{"uid": "a@ns", "tids": "0123abcd_0000000000001"}, 301},
		{"one unknown among good", "alice-co", map[string]string{"uid": "a@ns", "tids": tid + ",TEMP_nope"}, 301},
		{"duplicate tid", "alice-co", map[string]string{"uid": "a@ns", "tids": tid + "," + tid}, 406},
		{"someone else's temp tag", "bob-co", map[string]string{"uid": "b@other", "tids": tid}, 301},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.try(tt.owner, "tags/save", tt.params)
			wantCode(t, err, tt.code)
		})
	}
	t.Run("failed saves changed nothing", func(t *testing.T) {
		s := e.call("tags/save", map[string]string{"uid": "a@ns", "tids": tid})
		if len(s.SavedTags) != 1 {
			t.Fatalf("temp tag consumed by a failed save: %+v", s)
		}
		_, err := e.try("alice-co", "tags/save", map[string]string{"uid": "a@ns", "tids": tid})
		wantCode(t, err, 301) // a temp tag is saved once
	})
}

func TestTagsAddGetRemove(t *testing.T) {
	e := newEnv(t)
	aliceTID := e.enroll("alice", 1, "alice@ns")
	d := e.call("faces/detect", map[string]string{"urls": "http://img/alice.jpg"})
	s := e.call("tags/save", map[string]string{"uid": "alice@ns", "tids": d.Photos[0].Tags[0].TID, "label": "second"})
	urlTID := s.SavedTags[0].TID
	e.call("tags/add", map[string]string{"uid": "bob@ns", "url": "http://img/alice.jpg", "x": "70", "y": "40.5", "width": "10", "height": "12", "label": "manual bob"})
	e.call("tags/add", map[string]string{"uid": "carol@ns", "url": "http://elsewhere/c.jpg", "x": "1", "y": "2", "width": "3", "height": "4"})

	t.Run("get by uid", func(t *testing.T) {
		r := e.call("tags/get", map[string]string{"uids": "alice@ns"})
		if len(r.Photos) != 2 {
			t.Fatalf("%d photos", len(r.Photos))
		}
		p := r.Photos[0] // most recent first: the url photo
		if p.URL != "http://img/alice.jpg" || p.Width != 640 || len(p.Tags) != 1 {
			t.Fatalf("photo %+v", p)
		}
		tag := p.Tags[0]
		if tag.TID != urlTID || !tag.Confirmed || tag.Manual || *tag.Label != "second" || len(tag.UIDs) != 1 ||
			tag.UIDs[0] != (UIDMatch{"alice@ns", 100}) || tag.Threshold == nil || !tag.Recognizable {
			t.Fatalf("tag %+v", tag)
		}
		if r.Photos[1].Tags[0].TID != aliceTID || r.Photos[1].Tags[0].Label != nil {
			t.Fatalf("older photo %+v", r.Photos[1])
		}
		raw, _ := json.Marshal(r)
		if strings.Contains(strings.ToLower(string(raw)), "descriptor") {
			t.Fatal("descriptor leaked")
		}
	})
	t.Run("limit", func(t *testing.T) {
		if r := e.call("tags/get", map[string]string{"uids": "alice@ns", "limit": "1"}); len(r.Photos) != 1 {
			t.Fatalf("%d photos", len(r.Photos))
		}
	})
	t.Run("get by url sees manual tag", func(t *testing.T) {
		r := e.call("tags/get", map[string]string{"urls": "http://img/alice.jpg"})
		if len(r.Photos) != 1 || len(r.Photos[0].Tags) != 2 {
			t.Fatalf("photos %+v", r.Photos)
		}
		var manual *Tag
		for i := range r.Photos[0].Tags {
			if r.Photos[0].Tags[i].Manual {
				manual = &r.Photos[0].Tags[i]
			}
		}
		if manual == nil || manual.UIDs[0].UID != "bob@ns" || manual.Center.Y != 40.5 || manual.Recognizable || manual.EyeLeft != nil {
			t.Fatalf("manual tag %+v", manual)
		}
	})
	t.Run("get by url after the url was analysed again", func(t *testing.T) {
		e.call("faces/detect", map[string]string{"urls": "http://img/alice.jpg"})
		r := e.call("tags/get", map[string]string{"urls": "http://img/alice.jpg"})
		if len(r.Photos) != 1 || len(r.Photos[0].Tags) != 2 {
			t.Fatalf("photos %+v", r.Photos)
		}
	})
	t.Run("get by pid and together", func(t *testing.T) {
		r := e.call("tags/get", map[string]string{"pids": d.Photos[0].PID})
		if len(r.Photos) != 1 || len(r.Photos[0].Tags) != 2 {
			t.Fatalf("by pid %+v", r.Photos)
		}
		r = e.call("tags/get", map[string]string{"uids": "alice@ns,bob@ns", "together": "true"})
		if len(r.Photos) != 1 || r.Photos[0].PID != d.Photos[0].PID {
			t.Fatalf("together %+v", r.Photos)
		}
		if r, _ := e.try("bob-co", "tags/get", map[string]string{"pids": d.Photos[0].PID}); len(r.Photos) != 0 {
			t.Fatal("another owner read the photo's tags")
		}
	})
	t.Run("get by uploaded image", func(t *testing.T) {
		r := e.call("tags/get", nil, img(person("alice", 1, 50)))
		if len(r.Photos) != 1 || r.Photos[0].Tags[0].TID != aliceTID {
			t.Fatalf("by image %+v", r.Photos)
		}
	})
	t.Run("filter", func(t *testing.T) {
		r := e.call("tags/get", map[string]string{"uids": "alice@ns", "filter": "gender:male"})
		if len(r.Photos) != 2 {
			t.Fatalf("filter gender:male: %d photos", len(r.Photos))
		}
		r = e.call("tags/get", map[string]string{"uids": "alice@ns", "filter": "gender:female"})
		if len(r.Photos) != 0 {
			t.Fatalf("filter gender:female: %d photos", len(r.Photos))
		}
	})
	t.Run("get and add errors", func(t *testing.T) {
		tests := []struct {
			method string
			params map[string]string
			code   int
		}{
			{"tags/get", map[string]string{}, 402},
			{"tags/get", map[string]string{"uids": "alice@ns", "order": "oldest"}, 406},
			{"tags/get", map[string]string{"uids": "alice@ns", "limit": "-1"}, 406},
			{"tags/get", map[string]string{"uids": "alice@ns", "together": "perhaps"}, 406},
			{"tags/get", map[string]string{"uids": "alice@ns", "filter": "gender"}, 303},
			{"tags/get", map[string]string{"uids": "x@other"}, 404},
			{"tags/add", map[string]string{"uid": "b@ns", "x": "1", "y": "1", "width": "1", "height": "1"}, 402},
			{"tags/add", map[string]string{"uid": "b@ns", "url": "u", "x": "1", "y": "1", "width": "1"}, 402},
			{"tags/add", map[string]string{"uid": "b@ns", "url": "u", "x": "101", "y": "1", "width": "1", "height": "1"}, 406},
			{"tags/add", map[string]string{"uid": "b@ns", "url": "u", "x": "NaN", "y": "1", "width": "1", "height": "1"}, 406},
			{"tags/add", map[string]string{"uid": "b@other", "url": "u", "x": "1", "y": "1", "width": "1", "height": "1"}, 404},
			{"tags/remove", map[string]string{}, 402},
			{"tags/remove", map[string]string{"tids": "deadbeef_0000000000000"}, 301},
			{"tags/remove", map[string]string{"tids": aliceTID + ",deadbeef_0000000000000"}, 301},
		}
		for _, tt := range tests {
			_, err := e.try("alice-co", tt.method, tt.params)
			wantCode(t, err, tt.code)
		}
		_, err := e.try("bob-co", "tags/remove", map[string]string{"tids": aliceTID})
		wantCode(t, err, 301)
	})
	t.Run("manual tags are not trained", func(t *testing.T) {
		tr := e.call("faces/train", map[string]string{"uids": "bob@ns"})
		if len(*tr.NoTrainingSet) != 1 {
			t.Fatalf("manual tag trained: %+v", tr)
		}
	})
	t.Run("remove", func(t *testing.T) {
		if e.idx.Len("ns") != 1 {
			t.Fatalf("index %d", e.idx.Len("ns"))
		}
		r := e.call("tags/remove", map[string]string{"tids": aliceTID})
		if len(r.RemovedTags) != 1 || r.RemovedTags[0].RemovedTID != aliceTID {
			t.Fatalf("removed %+v", r.RemovedTags)
		}
		if e.idx.Len("ns") != 0 {
			t.Fatal("removed tag still in the index")
		}
		rec := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person("alice", 1, 50)))
		if len(rec.Photos[0].Tags[0].UIDs) != 0 {
			t.Fatal("removed tag still recognised")
		}
		if g := e.call("tags/get", map[string]string{"uids": "alice@ns"}); len(g.Photos) != 1 {
			t.Fatalf("after remove %d photos", len(g.Photos))
		}
		st := e.call("faces/status", map[string]string{"uids": "alice@ns"})
		if (*st.UserStatuses)[0].TrainingSetSize != 0 {
			t.Fatalf("status after remove %+v", st.UserStatuses)
		}
		_, err := e.try("alice-co", "tags/remove", map[string]string{"tids": aliceTID})
		wantCode(t, err, 301)
	})
	t.Run("remove temp tag", func(t *testing.T) {
		d := e.call("faces/detect", nil, img(person("dave", 1, 50)))
		tid := d.Photos[0].Tags[0].TID
		e.call("tags/remove", map[string]string{"tids": tid})
		_, err := e.try("alice-co", "tags/save", map[string]string{"uid": "d@ns", "tids": tid})
		wantCode(t, err, 301)
	})
}

func TestTempTagsExpire(t *testing.T) {
	e := newEnv(t)
	e.svc.opts.TempTTL = time.Second
	d := e.call("faces/detect", nil, img(person("alice", 1, 50)))
	time.Sleep(2100 * time.Millisecond) // Badger's TTL has one-second resolution
	_, err := e.try("alice-co", "tags/save", map[string]string{"uid": "a@ns", "tids": d.Photos[0].Tags[0].TID})
	wantCode(t, err, 301)
}
