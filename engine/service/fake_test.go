package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// fakeImage is what the fake analyzer "decodes": the JSON of a list of people in a photo.
type fakeImage struct {
	W, H  int
	Faces []fakeFace
}

type fakeFace struct {
	ID    string // identity; its descriptor is a fixed random vector per ID
	Noise int    // seed of a small per-photo variation
	X, Y  float64
}

func img(faces ...fakeFace) []byte {
	b, _ := json.Marshal(fakeImage{W: 640, H: 480, Faces: faces})
	return b
}

func person(id string, noise int, x float64) fakeFace {
	return fakeFace{ID: id, Noise: noise, X: x, Y: 40}
}

func identity(id string, noise int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(id))
	r := rand.New(rand.NewPCG(h.Sum64(), 0))
	n := rand.New(rand.NewPCG(h.Sum64(), uint64(noise)+1))
	d := make([]float32, 128)
	for i := range d {
		d[i] = float32(r.NormFloat64()*0.09 + n.NormFloat64()*0.01)
	}
	return d
}

type fakeAnalyzer struct{}

func (f *fakeAnalyzer) Analyze(ctx context.Context, data []byte, opt AnalyzeOptions) (*Analyzed, error) {
	var im fakeImage
	if err := json.Unmarshal(data, &im); err != nil {
		return nil, fmt.Errorf("fake decode: %w", ErrImageDecode)
	}
	out := &Analyzed{Width: im.W, Height: im.H}
	for _, ff := range im.Faces {
		face := Face{
			CenterX: ff.X, CenterY: ff.Y, Width: 20.123, Height: 26.666, Yaw: 3.4, Roll: -1.6, Confidence: 90,
			Recognizable: true,
			EyeLeft:      Point{X: ff.X + 4.444, Y: ff.Y - 5, Confidence: 90, ID: 449},
			EyeRight:     Point{X: ff.X - 4.444, Y: ff.Y - 5, Confidence: 90, ID: 450},
			Nose:         Point{X: ff.X, Y: ff.Y, Confidence: 90, ID: 403},
			Mouth:        Point{X: ff.X, Y: ff.Y + 6, Confidence: 90, ID: 615},
			Attributes:   map[string]Attribute{"face": {"true", 90}, "gender": {"male", 70}},
		}
		if opt.AllPoints {
			face.Points = make([]Point, 68)
			for i := range face.Points {
				face.Points[i] = Point{X: ff.X, Y: ff.Y, Confidence: 80, ID: 0x0300 + i}
			}
		}
		if opt.Describe {
			face.Descriptor = identity(ff.ID, ff.Noise)
		}
		out.Faces = append(out.Faces, face)
	}
	return out, nil
}

type fakeFetcher map[string][]byte

func (f fakeFetcher) Fetch(ctx context.Context, url string) ([]byte, error) {
	if b, ok := f[url]; ok {
		return b, nil
	}
	return nil, skyerr.New(skyerr.DownloadNotFound, "no such file")
}

// env is a service over an in-memory store owned by "alice-co" (namespaces ns, ns2) with a
// second owner "bob-co" (namespace other).
type env struct {
	t   testing.TB
	st  *store.Store
	idx *index.Index
	svc *Service
	now time.Time
}

var nsOwners = map[string]string{"ns": "alice-co", "ns2": "alice-co", "other": "bob-co"}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, idx: index.New(), now: time.Unix(1700000000, 0)}
	e.svc, err = New(st, e.idx, &fakeAnalyzer{}, fakeFetcher{
		"http://img/alice.jpg": img(person("alice", 9, 30)),
		"http://img/bad.jpg":   []byte("not an image"),
	}, Options{
		NamespaceOwner: func(ns string) (string, bool) { o, ok := nsOwners[ns]; return o, ok },
		Namespaces: func(owner string) []string {
			var out []string
			for ns, o := range nsOwners {
				if o == owner {
					out = append(out, ns)
				}
			}
			return out
		},
		NamespaceLimit: 5,
		Now:            func() time.Time { e.now = e.now.Add(time.Second); return e.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// call runs a method as owner alice-co and fails the test on error.
func (e *env) call(method string, params map[string]string, files ...[]byte) *Response {
	e.t.Helper()
	r, err := e.try("alice-co", method, params, files...)
	if err != nil {
		e.t.Fatalf("%s %v: %v", method, params, err)
	}
	return r
}

// try runs a method as a key of owner that may use all of its namespaces.
func (e *env) try(owner, method string, params map[string]string, files ...[]byte) (*Response, error) {
	return e.tryKey(owner, []string{"*"}, method, params, files...)
}

// tryKey runs a method as a key of owner limited to namespaces.
func (e *env) tryKey(owner string, namespaces []string, method string, params map[string]string, files ...[]byte) (*Response, error) {
	req := &Request{Method: method, Owner: owner, Namespaces: namespaces, Params: params}
	for i, f := range files {
		req.Files = append(req.Files, File{Name: fmt.Sprint("f", i), Data: f})
	}
	return e.svc.Call(context.Background(), req)
}

// wantCode asserts that err is an *skyerr.Error with code.
func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	e, ok := err.(*skyerr.Error)
	if !ok || e == nil {
		t.Fatalf("error = %v (%T), want *skyerr.Error %d", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error = %v (code %d), want code %d", e, e.Code, code)
	}
}

// enroll detects a photo of id, saves its tag as uid and trains uid; returns the saved tid.
func (e *env) enroll(id string, noise int, uid string) string {
	e.t.Helper()
	d := e.call("faces/detect", nil, img(person(id, noise, 50)))
	s := e.call("tags/save", map[string]string{"uid": uid, "tids": d.Photos[0].Tags[0].TID})
	e.call("faces/train", map[string]string{"uids": uid})
	return s.SavedTags[0].TID
}
