package service

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/skyerr"
)

var (
	pidRE     = regexp.MustCompile(`^F@[0-9a-f]{32}_[0-9a-f]{13}$`)
	tempTIDRE = regexp.MustCompile(`^TEMP_F@[0-9a-f]{32}_[0-9a-f]{13}_\d+\.\d{1,2}_\d+\.\d{1,2}_\d+_1$`)
	savedRE   = regexp.MustCompile(`^[0-9a-f]{8}_[0-9a-f]{13}$`)
)

func TestDetect(t *testing.T) {
	e := newEnv(t)
	r := e.call("faces/detect", nil, img(person("alice", 1, 30.123), person("bob", 1, 70)))
	if r.Status != "success" || len(r.Photos) != 1 {
		t.Fatalf("response %+v", r)
	}
	p := r.Photos[0]
	if !pidRE.MatchString(p.PID) || p.Width != 640 || p.Height != 480 || len(p.Tags) != 2 {
		t.Fatalf("photo %+v", p)
	}
	tag := p.Tags[0]
	if !tempTIDRE.MatchString(tag.TID) || !strings.HasPrefix(tag.TID, "TEMP_"+p.PID) {
		t.Fatalf("temp tid %q", tag.TID)
	}
	if tag.Center.X != 30.12 || tag.Width != 20.12 || tag.Height != 26.67 || tag.Yaw != 3 || tag.Roll != -2 {
		t.Fatalf("rounding: %+v", tag)
	}
	if tag.EyeLeft.ID != 449 || tag.EyeRight.ID != 450 || tag.Nose.ID != 403 || tag.MouthCenter.ID != 615 || tag.EyeLeft.X != 34.57 {
		t.Fatalf("points: %+v %+v", tag.EyeLeft, tag.EyeRight)
	}
	raw, _ := json.Marshal(r)
	for _, want := range []string{`"uids":[]`, `"label":null`, `"points":null`, `"similarities":null`, `"confirmed":false`,
		`"manual":false`, `"attributes":{"face":{"value":"true","confidence":90}`, `"operation_id":""`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("detect JSON lacks %s", want)
		}
	}
	for _, absent := range []string{"descriptor", "Descriptor", "threshold", "error_code", "groups"} {
		if strings.Contains(string(raw), absent) {
			t.Errorf("detect JSON contains %s", absent)
		}
	}
	var tmp tempRec
	if err := e.st.GetJSON(tempKey(tag.TID), &tmp); err != nil || len(tmp.Face.Descriptor) != 128 || tmp.Owner != "alice-co" {
		t.Fatalf("temp tag not stored with its descriptor: %v", err)
	}

	t.Run("all points", func(t *testing.T) {
		r := e.call("faces/detect", map[string]string{"detect_all_feature_points": "true"}, img(person("a", 1, 10)))
		if pts := r.Photos[0].Tags[0].Points; len(pts) != 68 || pts[5].ID != 0x0305 {
			t.Fatalf("points = %v", pts)
		}
	})
	t.Run("urls and partial", func(t *testing.T) {
		r := e.call("faces/detect", map[string]string{"urls": "http://img/alice.jpg, http://img/missing.jpg"})
		if r.Status != "partial" || len(r.Photos) != 2 {
			t.Fatalf("status %s, %d photos", r.Status, len(r.Photos))
		}
		if r.Photos[0].URL != "http://img/alice.jpg" || len(r.Photos[0].Tags) != 1 {
			t.Fatalf("photo 0 %+v", r.Photos[0])
		}
		if p := r.Photos[1]; p.ErrorCode != 31 || !strings.HasPrefix(p.ErrorMessage, "DOWNLOAD_ERROR_FILE_NOT_FOUND") || p.Tags == nil {
			t.Fatalf("photo 1 %+v", p)
		}
	})
}

func TestDetectErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		params map[string]string
		files  [][]byte
		code   int
	}{
		{"no images", nil, nil, 402},
		{"bad detector", map[string]string{"detector": "fast"}, [][]byte{img()}, 406},
		{"bad bool", map[string]string{"detect_all_feature_points": "maybe"}, [][]byte{img()}, 406},
		{"undecodable", nil, [][]byte{[]byte("garbage")}, 20},
		{"all urls fail", map[string]string{"urls": "http://img/none.jpg"}, nil, 31},
		{"bad url content", map[string]string{"urls": "http://img/bad.jpg"}, nil, 20},
		{"too many images", map[string]string{"urls": strings.Repeat("http://img/alice.jpg,", 11)}, nil, 407},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.try("alice-co", "faces/detect", tt.params, tt.files...)
			wantCode(t, err, tt.code)
		})
	}
	t.Run("unknown method", func(t *testing.T) {
		_, err := e.try("alice-co", "faces/teleport", nil)
		wantCode(t, err, 401)
	})
	t.Run("error message", func(t *testing.T) {
		_, err := e.try("alice-co", "faces/detect", nil)
		if err.Error() != "MISSING_ARGUMENTS - urls or files required" || err.(*skyerr.Error).HTTPStatus != 400 {
			t.Fatalf("got %q", err)
		}
	})
}

func TestImages(t *testing.T) {
	tests := []struct {
		files []File
		urls  string
		want  int
	}{
		{[]File{{}}, "a,b", 3},
		{nil, " , a", 1},
		{nil, "", 0},
		{[]File{{}, {}}, ",,", 2},
	}
	for _, tt := range tests {
		if got := Images(tt.files, tt.urls); got != tt.want {
			t.Errorf("Images(%d files, %q) = %d, want %d", len(tt.files), tt.urls, got, tt.want)
		}
	}
}

func TestMissingBackends(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		an     Analyzer
		fe     Fetcher
		params map[string]string
		files  [][]byte
		code   int
	}{
		{"no fetcher", &fakeAnalyzer{}, nil, map[string]string{"urls": "http://img/alice.jpg"}, nil, 30},
		{"no analyzer", nil, nil, nil, [][]byte{img()}, 105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := New(e.st, e.idx, tt.an, tt.fe, e.svc.opts)
			if err != nil {
				t.Fatal(err)
			}
			e.svc = svc
			_, err = e.try("alice-co", "faces/detect", tt.params, tt.files...)
			wantCode(t, err, tt.code)
		})
	}
	if _, err := New(e.st, e.idx, nil, nil, Options{}); err == nil {
		t.Fatal("New without NamespaceOwner accepted")
	}
}
