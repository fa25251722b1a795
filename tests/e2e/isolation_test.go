package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNamespaceIsolationMatrix checks, on the real binary, that a key sees
// and changes only its own namespaces, whichever way a request reaches stored
// data (uids, uid, namespace, namespaces, pids, tids, urls, uploads, all): a
// key of the same owner limited to another namespace and a key of another
// owner try every way against the data of a namespace they may not use; the
// data's own key doing the same proves that each way does reach it.
func TestNamespaceIsolationMatrix(t *testing.T) {
	faces := facesDir(t)
	photoPath := filepath.Join(faces, "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0001.jpg")
	photo, err := readFileT(photoPath)
	if err != nil {
		t.Fatal(err)
	}
	urlPhoto, err := readFileT(filepath.Join(faces, "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0002.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(urlPhoto)
	}))
	t.Cleanup(up.Close)
	photoURL := up.URL + "/aaron.jpg"

	s := secStartConfig(t, t.TempDir(), func(*server) string {
		return secCaddyfile("\t\turl_allow_hosts " + up.Listener.Addr().String())
	})
	adm := newSecAdmin(t, s)
	adm.createNamespace("nsa", "alice")
	adm.createNamespace("nsb", "alice")
	adm.createNamespace("nsc", "bob")
	keyFor := func(owner string, nss ...string) [2]string {
		id, secret := adm.createKey(map[string]any{"owner": owner, "namespaces": nss, "scopes": []string{"*"}, "tier": "unlimited"})
		return [2]string{id, secret}
	}
	own := keyFor("alice", "nsa")
	others := map[string][2]string{
		"same owner, other namespace": keyFor("alice", "nsb"),
		"other owner":                 keyFor("bob", "nsc"),
	}
	c := secClient(t, s)
	call := func(k [2]string, route string, params url.Values, upload []byte) *secResp {
		t.Helper()
		p := map[string]string{"api_key": k[0], "api_secret": k[1]}
		for name, v := range params {
			p[name] = v[0]
		}
		if upload != nil {
			return secDo(t, c, secMultipart(s, route, p, upload))
		}
		v := url.Values{}
		for name, val := range p {
			v.Set(name, val)
		}
		return secDo(t, c, secForm(s, route, v))
	}
	mustOK := func(r *secResp, what string) *secResp {
		t.Helper()
		if !r.ok() {
			t.Fatalf("%s: %s", what, r)
		}
		return r
	}

	// The data: ann@nsa from an upload and from a url, labelled and trained.
	det := mustOK(call(own, "faces/detect", nil, photo), "detect upload")
	pid := secFindStrings(det.JSON, "pid")[0]
	saved := mustOK(call(own, "tags/save", url.Values{"uid": {"ann@nsa"}, "tids": {secFindStrings(det.JSON, "tid")[0]}, "label": {"ann-label"}}, nil), "save")
	tid := secFindStrings(saved.JSON, "tid")[0]
	detURL := mustOK(call(own, "faces/detect", url.Values{"urls": {photoURL}}, nil), "detect url")
	mustOK(call(own, "tags/save", url.Values{"uid": {"ann@nsa"}, "tids": {secFindStrings(detURL.JSON, "tid")[0]}}, nil), "save url tag")
	mustOK(call(own, "faces/train", url.Values{"uids": {"ann@nsa"}}, nil), "train")

	secretsOf := []string{"ann@nsa", "ann-label", tid}
	leaks := func(r *secResp) string {
		for _, s := range secretsOf {
			if strings.Contains(string(r.Body), s) {
				return s
			}
		}
		return ""
	}
	type way struct {
		name   string
		route  string
		params url.Values
		upload []byte
		write  bool // changes data when allowed
	}
	reads := []way{
		{"tags/get uids", "tags/get", url.Values{"uids": {"ann@nsa"}}, nil, false},
		{"tags/get uids=all namespace", "tags/get", url.Values{"uids": {"all"}, "namespace": {"nsa"}}, nil, false},
		{"tags/get uid without @ and namespace", "tags/get", url.Values{"uids": {"ann"}, "namespace": {"nsa"}}, nil, false},
		{"tags/get pids", "tags/get", url.Values{"pids": {pid}}, nil, false},
		{"tags/get urls", "tags/get", url.Values{"urls": {photoURL}}, nil, false},
		{"tags/get upload", "tags/get", nil, photo, false},
		{"faces/recognize uids=all upload", "faces/recognize", url.Values{"uids": {"all"}, "namespace": {"nsa"}}, photo, false},
		{"faces/recognize uids urls", "faces/recognize", url.Values{"uids": {"ann@nsa"}, "urls": {photoURL}}, nil, false},
		{"faces/group uids=all", "faces/group", url.Values{"uids": {"all"}, "namespace": {"nsa"}, "urls": {photoURL}}, nil, false},
		{"faces/status uids", "faces/status", url.Values{"uids": {"ann@nsa"}}, nil, false},
		{"account/users namespaces", "account/users", url.Values{"namespaces": {"nsa"}}, nil, false},
		{"account/namespaces", "account/namespaces", nil, nil, false},
	}
	writes := []way{
		{"tags/remove tids", "tags/remove", url.Values{"tids": {tid}}, nil, true},
		{"tags/add uid into the namespace", "tags/add", url.Values{"uid": {"mallory@nsa"}, "url": {photoURL}, "x": {"50"}, "y": {"50"}, "width": {"10"}, "height": {"10"}}, nil, true},
		{"tags/save into the namespace", "tags/save", url.Values{"uid": {"mallory@nsa"}}, photo, true},
		{"faces/train uids", "faces/train", url.Values{"uids": {"ann@nsa"}}, nil, true},
		{"extensions/erase uids", "extensions/erase", url.Values{"uids": {"ann@nsa"}}, nil, true},
		{"extensions/erase namespace all", "extensions/erase", url.Values{"namespace": {"nsa"}, "all": {"true"}}, nil, true},
	}
	for who, k := range others {
		for _, w := range append(slices.Clone(reads), writes...) {
			t.Run(fmt.Sprintf("%s: %s", who, w.name), func(t *testing.T) {
				params := w.params
				if w.route == "tags/save" {
					// The attacker saves a temporary tag of its own upload into nsa.
					d := call(k, "faces/detect", nil, w.upload)
					if !d.ok() {
						t.Fatalf("attacker detect: %s", d)
					}
					params = url.Values{"uid": w.params["uid"], "tids": {secFindStrings(d.JSON, "tid")[0]}}
					w.upload = nil
				}
				r := call(k, w.route, params, w.upload)
				if w.route == "tags/remove" {
					r.Body = []byte(strings.ReplaceAll(string(r.Body), tid, "<the tid sent>")) // echoed in the error
				}
				if l := leaks(r); l != "" {
					t.Errorf("answer names %q: %s", l, r)
				}
				if w.write && r.ok() {
					t.Errorf("a write into nsa succeeded: %s", r)
				}
				if w.route == "account/namespaces" && strings.Contains(string(r.Body), `"nsa"`) {
					t.Errorf("account/namespaces lists nsa: %s", r)
				}
			})
		}
	}
	// The data is intact, and every read way reaches it for its own key.
	for _, w := range reads {
		t.Run("own key: "+w.name, func(t *testing.T) {
			r := call(own, w.route, w.params, w.upload)
			if !r.ok() {
				t.Fatalf("%s", r)
			}
			want := "ann@nsa"
			switch w.route {
			case "account/namespaces":
				want = `"nsa"`
			case "tags/get":
				if w.params.Has("pids") || w.upload != nil {
					want = tid
				}
			}
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("own key does not see %s: %s", want, r)
			}
		})
	}
}
