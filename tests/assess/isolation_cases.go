package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// way is one way a request can reach stored data.
type way struct {
	name    string
	route   string
	params  url.Values
	upload  bool // sends the photo as a file
	write   bool // changes data when allowed
	usesURL bool
}

// isolationCases are the namespace isolation matrix (API1): a key of the
// same owner limited to another namespace and a key of another owner try
// every way to a namespace's data (uids, uid, namespace, pids, tids, urls,
// uploads, all, erase); the data's own key doing the same afterwards
// proves that each way reaches the data and that none of it changed.
func (a *assessor) isolationCases() {
	sfx := a.sfx
	alice, bob := "assess-alice-"+sfx, "assess-bob-"+sfx
	nsa, nsb, nsc := "assess-a-"+sfx, "assess-b-"+sfx, "assess-c-"+sfx
	var own, sameOwner, otherOwner key
	err := firstErr(
		func() (err error) { own, err = a.adm.ownerKey(alice, nsa); return },
		func() (err error) { sameOwner, err = a.adm.ownerKey(alice, nsb); return },
		func() (err error) { otherOwner, err = a.adm.ownerKey(bob, nsc); return },
	)
	if err != nil {
		a.skip(API1, "namespace isolation matrix", "admin API setup", "owners, namespaces and keys", err.Error())
		return
	}
	// A loopback server the instance may fetch urls= from, if its operator
	// allows it (url_allow_hosts); by default the instance refuses it.
	photoURL, stop := a.photoServer()
	defer stop()

	c := a.t.client(a.t.nextSource())
	call := func(k key, w way) *resp {
		if w.upload {
			return a.upload(c, w.route, k, w.params, a.photo)
		}
		return a.call(c, w.route, k, w.params)
	}
	uid := "ann@" + nsa
	det := a.upload(c, "faces/detect", own, nil, a.photo)
	tids := findStrings(det.JSON, "tid")
	pids := findStrings(det.JSON, "pid")
	if !det.ok() || len(tids) == 0 || len(pids) == 0 {
		a.skip(API1, "namespace isolation matrix", "faces/detect of a real photo", "a face", "setup: "+det.String())
		return
	}
	saved := a.call(c, "tags/save", own, url.Values{"uid": {uid}, "tids": {tids[0]}, "label": {"ann-label-" + sfx}})
	if st := findStrings(saved.JSON, "tid"); saved.ok() && len(st) > 0 {
		tids[0] = st[0]
	}
	train := a.call(c, "faces/train", own, url.Values{"uids": {uid}})
	if !saved.ok() || !train.ok() {
		a.skip(API1, "namespace isolation matrix", "tags/save and faces/train", "data stored", "setup: "+saved.String()+"; "+train.String())
		return
	}
	tid, pid := tids[0], pids[0]
	urlsWork := false
	if d := a.call(c, "faces/detect", own, url.Values{"urls": {photoURL}}); d.ok() {
		if t := findStrings(d.JSON, "tid"); len(t) > 0 {
			urlsWork = a.call(c, "tags/save", own, url.Values{"uid": {uid}, "tids": {t[0]}}).ok()
		}
	}
	secrets := []string{uid, "ann-label-" + sfx, tid}

	reads := []way{
		{name: "tags/get uids", route: "tags/get", params: url.Values{"uids": {uid}}},
		{name: "tags/get uids=all namespace", route: "tags/get", params: url.Values{"uids": {"all"}, "namespace": {nsa}}},
		{name: "tags/get uid without @ and namespace", route: "tags/get", params: url.Values{"uids": {"ann"}, "namespace": {nsa}}},
		{name: "tags/get pids", route: "tags/get", params: url.Values{"pids": {pid}}},
		{name: "tags/get urls", route: "tags/get", params: url.Values{"urls": {photoURL}}, usesURL: true},
		{name: "tags/get upload", route: "tags/get", upload: true},
		{name: "faces/recognize uids=all upload", route: "faces/recognize", params: url.Values{"uids": {"all"}, "namespace": {nsa}}, upload: true},
		{name: "faces/recognize uids urls", route: "faces/recognize", params: url.Values{"uids": {uid}, "urls": {photoURL}}, usesURL: true},
		{name: "faces/group uids=all upload", route: "faces/group", params: url.Values{"uids": {"all"}, "namespace": {nsa}}, upload: true},
		{name: "faces/status uids", route: "faces/status", params: url.Values{"uids": {uid}}},
		{name: "account/users namespaces", route: "account/users", params: url.Values{"namespaces": {nsa}}},
		{name: "account/namespaces", route: "account/namespaces"},
	}
	writes := []way{
		{name: "tags/remove tids", route: "tags/remove", params: url.Values{"tids": {tid}}, write: true},
		{name: "tags/add uid into the namespace by url", route: "tags/add", params: url.Values{"uid": {"mallory@" + nsa}, "url": {photoURL},
			"x": {"50"}, "y": {"50"}, "width": {"10"}, "height": {"10"}}, write: true, usesURL: true},
		{name: "tags/save own upload's tag into the namespace", route: "tags/save", params: url.Values{"uid": {"mallory@" + nsa}}, write: true},
		{name: "faces/train uids", route: "faces/train", params: url.Values{"uids": {uid}}, write: true},
		{name: "extensions/erase uids", route: "extensions/erase", params: url.Values{"uids": {uid}}, write: true},
		{name: "extensions/erase namespace all", route: "extensions/erase", params: url.Values{"namespace": {nsa}, "all": {"true"}}, write: true},
	}
	attackers := []struct {
		who string
		k   key
	}{{"same owner, other namespace", sameOwner}, {"other owner", otherOwner}}
	for _, at := range attackers {
		for _, w := range append(append([]way{}, reads...), writes...) {
			sent := fmt.Sprintf("POST /fc/%s %s%s with the key of the %s", w.route, encodeShown(w.params), uploadNote(w), at.who)
			expected := "no uid, label or tid of the namespace in the answer; nothing listed or written"
			if w.usesURL && !urlsWork {
				a.skip(API1, at.who+": "+w.name, sent, expected, "the instance refuses loopback urls (SSRF protection; url_allow_hosts opens a host), so urls= cannot reach the data")
				continue
			}
			a.add(API1, at.who+": "+w.name+" (issue 11 finding 1)", sent, expected, func() (string, string) {
				params := w.params
				if w.route == "tags/save" {
					d := a.upload(c, "faces/detect", at.k, nil, a.photo2)
					t := findStrings(d.JSON, "tid")
					if len(t) == 0 {
						return "attacker's own detect: " + d.String(), Fail
					}
					params = url.Values{"uid": w.params["uid"], "tids": {t[0]}}
				}
				r := call(at.k, way{route: w.route, params: params, upload: w.upload})
				body := string(r.Body)
				if w.route == "tags/remove" { // its error echoes the tid sent
					body = strings.ReplaceAll(body, tid, "<the tid sent>")
				}
				for _, s := range secrets {
					if strings.Contains(body, s) {
						return r.String() + " names " + s, Fail
					}
				}
				if w.route == "account/namespaces" && strings.Contains(body, `"`+nsa+`"`) {
					return r.String() + " lists the namespace", Fail
				}
				if w.write && r.ok() {
					return r.String() + ": the write succeeded", Fail
				}
				return r.String(), Pass
			})
		}
	}
	// The data is intact and every read way reaches it for its own key.
	for _, w := range reads {
		sent := fmt.Sprintf("POST /fc/%s %s%s with the namespace's own key, after the attacks", w.route, encodeShown(w.params), uploadNote(w))
		if w.usesURL && !urlsWork {
			a.skip(API1, "control, own key: "+w.name, sent, "success naming the data", "the instance refuses loopback urls")
			continue
		}
		want := uid
		switch {
		case w.route == "account/namespaces":
			want = `"` + nsa + `"`
		case w.route == "tags/get" && (w.params.Has("pids") || w.upload):
			want = tid
		}
		a.add(API1, "control, own key: "+w.name, sent, "success naming "+want, func() (string, string) {
			r := call(own, w)
			return r.String(), verdict(r.ok() && strings.Contains(string(r.Body), want))
		})
	}
}

// photoServer serves a real photo on a loopback port until stop.
func (a *assessor) photoServer() (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "http://127.0.0.1:9/none.jpg", func() {}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(a.photo2)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/ann.jpg", func() { _ = srv.Close() }
}

// firstErr runs fns in order and returns the first error.
func firstErr(fns ...func() error) error {
	for _, f := range fns {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// encodeShown is the parameters as sent (they carry no secret).
func encodeShown(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return v.Encode()
}

func uploadNote(w way) string {
	if w.upload || w.route == "tags/save" {
		return " + a real photo"
	}
	return ""
}

// findStrings returns every string value of member name in a JSON document.
func findStrings(doc any, name string) []string {
	var out []string
	switch v := doc.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == name {
				out = append(out, s)
			} else {
				out = append(out, findStrings(x, name)...)
			}
		}
	case []any:
		for _, x := range v {
			out = append(out, findStrings(x, name)...)
		}
	}
	return out
}
