package service

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNamespaceIsolationWithinOwner checks that a key limited to one namespace of an owner
// reaches nothing of the owner's other namespaces, whichever parameter leads to the data:
// uids, uid, namespace(s), pids, tids, urls, uploaded images or account/namespaces.
func TestNamespaceIsolationWithinOwner(t *testing.T) {
	e := newEnv(t)
	photo := img(person("alice", 1, 30))
	// A key for ns (the fixture's full-owner key) enrolls alice@ns from an upload and from
	// a url; the ns2-only key below must see none of it.
	d := e.call("faces/detect", nil, photo)
	pid := d.Photos[0].PID
	saved := e.call("tags/save", map[string]string{"uid": "alice@ns", "tids": d.Photos[0].Tags[0].TID, "label": "secret label"})
	tid := saved.SavedTags[0].TID
	du := e.call("faces/detect", map[string]string{"urls": "http://img/alice.jpg"})
	e.call("tags/save", map[string]string{"uid": "alice@ns", "tids": du.Photos[0].Tags[0].TID})
	e.call("faces/train", map[string]string{"uids": "alice@ns"})

	onlyNS2 := []string{"ns2"}
	leaks := func(r *Response) bool {
		raw, _ := json.Marshal(r)
		return strings.Contains(string(raw), "alice@ns\"") || strings.Contains(string(raw), "secret label") || strings.Contains(string(raw), tid)
	}
	denied := []struct {
		name   string
		method string
		params map[string]string
		code   int
	}{
		{"tags/get uids", "tags/get", map[string]string{"uids": "alice@ns"}, 404},
		{"tags/get all", "tags/get", map[string]string{"uids": "all", "namespace": "ns"}, 404},
		{"tags/remove tids", "tags/remove", map[string]string{"tids": tid}, 301},
		{"faces/recognize uids", "faces/recognize", map[string]string{"uids": "all", "namespace": "ns", "urls": "http://img/alice.jpg"}, 404},
		{"faces/train", "faces/train", map[string]string{"uids": "alice@ns"}, 404},
		{"faces/status", "faces/status", map[string]string{"uids": "alice@ns"}, 404},
		{"account/users", "account/users", map[string]string{"namespaces": "ns"}, 404},
		{"tags/add into ns", "tags/add", map[string]string{"uid": "x@ns", "url": "http://img/alice.jpg", "x": "1", "y": "1", "width": "1", "height": "1"}, 404},
	}
	for _, tt := range denied {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			_, err := e.tryKey("alice-co", onlyNS2, tt.method, tt.params)
			wantCode(t, err, tt.code)
		})
	}
	hidden := []struct {
		name   string
		method string
		params map[string]string
		files  [][]byte
	}{
		{"tags/get pids", "tags/get", map[string]string{"pids": pid}, nil},
		{"tags/get urls", "tags/get", map[string]string{"urls": "http://img/alice.jpg"}, nil},
		{"tags/get upload", "tags/get", nil, [][]byte{photo}},
	}
	for _, tt := range hidden {
		t.Run("hidden: "+tt.name, func(t *testing.T) {
			r, err := e.tryKey("alice-co", onlyNS2, tt.method, tt.params, tt.files...)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if leaks(r) || len(r.Photos) != 0 {
				t.Fatalf("ns2 key sees ns data: %+v", r)
			}
			// The same call by a key of ns finds the tag: the data is there.
			r, err = e.tryKey("alice-co", []string{"ns"}, tt.method, tt.params, tt.files...)
			if err != nil || !leaks(r) {
				t.Fatalf("ns key does not find its own tag: %+v %v", r, err)
			}
		})
	}
	t.Run("account/namespaces names only the key's", func(t *testing.T) {
		r, err := e.tryKey("alice-co", onlyNS2, "account/namespaces", nil)
		if err != nil || len(*r.Namespaces) != 1 || (*r.Namespaces)[0].Name != "ns2" {
			t.Fatalf("namespaces %+v %v", r, err)
		}
	})
	t.Run("a key with no namespaces reaches none", func(t *testing.T) {
		r, err := e.tryKey("alice-co", nil, "tags/get", map[string]string{"pids": pid})
		if err != nil || len(r.Photos) != 0 {
			t.Fatalf("%+v %v", r, err)
		}
		_, err = e.tryKey("alice-co", nil, "tags/get", map[string]string{"uids": "alice@ns"})
		wantCode(t, err, 404)
	})
	t.Run("refused calls changed nothing", func(t *testing.T) {
		r := e.call("tags/get", map[string]string{"uids": "alice@ns"})
		if len(r.Photos) != 2 || !leaks(r) {
			t.Fatalf("ns data changed: %+v", r)
		}
		rm := e.call("tags/remove", map[string]string{"tids": tid}) // the owner's ns key may
		if len(rm.RemovedTags) != 1 {
			t.Fatalf("remove %+v", rm)
		}
	})
}
