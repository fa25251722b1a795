package service

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
)

func TestAccount(t *testing.T) {
	e := newEnv(t)
	e.enroll("alice", 1, "alice@ns")
	e.enroll("bob", 1, "bob@ns")

	t.Run("authenticate", func(t *testing.T) {
		r := e.call("account/authenticate", nil)
		raw, _ := json.Marshal(r)
		if string(raw) != `{"status":"success","authenticated":true,"operation_id":""}` {
			t.Fatalf("got %s", raw)
		}
	})
	t.Run("limits", func(t *testing.T) {
		r := e.call("account/limits", nil)
		u := r.Usage
		if u == nil || *u.NamespaceLimit != 5 || *u.NamespaceUsed != 2 || *u.NamespaceRemaining != 3 {
			t.Fatalf("usage %+v", u)
		}
		req := &Request{Method: "account/limits", Owner: "alice-co", Namespaces: []string{"ns"}, Usage: &Usage{Used: 3, Limit: 100, Remaining: 97}}
		r, err := e.svc.Call(t.Context(), req)
		if err != nil || r.Usage.Used != 3 || r.Usage.Remaining != 97 || *r.Usage.NamespaceUsed != 2 {
			t.Fatalf("usage passed in: %+v %v", r, err)
		}
	})
	t.Run("users", func(t *testing.T) {
		r := e.call("account/users", map[string]string{"namespaces": "ns,ns2"})
		if got := strings.Join(r.Users["ns"], ","); got != "alice@ns,bob@ns" {
			t.Fatalf("users ns = %s", got)
		}
		raw, _ := json.Marshal(r)
		if !strings.Contains(string(raw), `"ns2":[]`) {
			t.Fatalf("empty namespace not listed: %s", raw)
		}
		_, err := e.try("alice-co", "account/users", nil)
		wantCode(t, err, 402)
		_, err = e.try("alice-co", "account/users", map[string]string{"namespaces": "ns,other"})
		wantCode(t, err, 404)
	})
	t.Run("namespaces", func(t *testing.T) {
		r := e.call("account/namespaces", nil)
		want := []Namespace{{"ns", 2, "Private", true}, {"ns2", 0, "Private", true}}
		if len(*r.Namespaces) != 2 || (*r.Namespaces)[0] != want[0] || (*r.Namespaces)[1] != want[1] {
			t.Fatalf("namespaces %+v", *r.Namespaces)
		}
		r, _ = e.try("nobody", "account/namespaces", nil)
		raw, _ := json.Marshal(r)
		if !strings.Contains(string(raw), `"namespaces":[]`) {
			t.Fatalf("no namespaces: %s", raw)
		}
	})
}

// countKeys returns how many store keys start with prefix.
func countKeys(e *env, prefix string) int {
	n := 0
	e.st.ScanJSON(prefix, func(string, []byte) error { n++; return nil })
	return n
}

func TestErasure(t *testing.T) {
	tests := []struct {
		name  string
		erase func(e *env) error
		gone  []string // uids no longer recognisable or readable
		kept  []string
	}{
		{"uid", func(e *env) error { return e.svc.DeleteUID("ns", "alice@ns") }, []string{"alice@ns"}, []string{"bob@ns", "carol@ns2"}},
		{"namespace", func(e *env) error { return e.svc.DeleteNamespace("ns") }, []string{"alice@ns", "bob@ns"}, []string{"carol@ns2"}},
		{"owner", func(e *env) error { return e.svc.DeleteOwner("alice-co") }, []string{"alice@ns", "bob@ns", "carol@ns2"}, nil},
		{"extensions/erase uids", func(e *env) error {
			_, err := e.try("alice-co", "extensions/erase", map[string]string{"uids": "alice@ns"})
			return err
		}, []string{"alice@ns"}, []string{"bob@ns", "carol@ns2"}},
		{"extensions/erase namespace", func(e *env) error {
			_, err := e.try("alice-co", "extensions/erase", map[string]string{"namespace": "ns", "all": "true"})
			return err
		}, []string{"alice@ns", "bob@ns"}, []string{"carol@ns2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tids := map[string]string{
				"alice@ns":  e.enroll("alice", 1, "alice@ns"),
				"bob@ns":    e.enroll("bob", 1, "bob@ns"),
				"carol@ns2": e.enroll("carol", 1, "carol@ns2"),
			}
			if _, err := e.try("bob-co", "faces/detect", nil, img(person("zed", 1, 50))); err != nil {
				t.Fatal(err)
			}
			if err := tt.erase(e); err != nil {
				t.Fatal(err)
			}
			if tt.name == "owner" {
				for _, p := range []string{"tag/", "vec/", "train/", "tagref/", "ptag/", "otmp/alice-co", "ophoto/alice-co", "psrc/alice-co"} {
					if n := countKeys(e, p); n != 0 {
						t.Errorf("%d %s keys left", n, p)
					}
				}
				if countKeys(e, "tmp/") != 1 || countKeys(e, "photo/") != 1 {
					t.Error("bob-co's data was erased too")
				}
			}
			rebuilt := index.New()
			if _, err := rebuilt.Load(e.st); err != nil {
				t.Fatal(err)
			}
			for _, uid := range tt.gone {
				name, ns, _ := cutLast(uid)
				rec := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": ns}, img(person(name, 5, 50)))
				for _, m := range rec.Photos[0].Tags[0].UIDs {
					if m.UID == uid {
						t.Errorf("%s still recognised", uid)
					}
				}
				q, _ := vec128(identity(name, 5))
				for _, m := range rebuilt.Search(ns, q, 10, nil) {
					if m.UID == uid {
						t.Errorf("%s back in the index after a restart", uid)
					}
				}
				if g := e.call("tags/get", map[string]string{"uids": uid}); len(g.Photos) != 0 {
					t.Errorf("%s tags still readable", uid)
				}
				_, err := e.try("alice-co", "tags/remove", map[string]string{"tids": tids[uid]})
				wantCode(t, err, 301)
			}
			for _, uid := range tt.kept {
				name, ns, _ := cutLast(uid)
				rec := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": ns}, img(person(name, 5, 50)))
				if u := rec.Photos[0].Tags[0].UIDs; len(u) == 0 || u[0].UID != uid {
					t.Errorf("%s no longer recognised: %+v", uid, u)
				}
			}
		})
	}
	t.Run("bad input", func(t *testing.T) {
		e := newEnv(t)
		if err := e.svc.DeleteUID("ns", "a@ns2"); err == nil {
			t.Error("uid of another namespace accepted")
		}
		if err := e.svc.DeleteNamespace("a/b"); err == nil {
			t.Error("bad namespace accepted")
		}
		if err := e.svc.DeleteOwner(""); err == nil {
			t.Error("empty owner accepted")
		}
	})
}

// TestEraseCall: extensions/erase answers what it erased, and refuses, changing nothing, a
// namespace its caller does not own or its key may not use, and calls without a target.
func TestEraseCall(t *testing.T) {
	e := newEnv(t)
	e.enroll("alice", 1, "alice@ns")
	resp := e.call("extensions/erase", map[string]string{"uids": "alice@ns, ghost", "namespace": "ns"})
	if resp.Erased == nil || strings.Join(resp.Erased.UIDs, ",") != "alice@ns,ghost" || len(resp.Erased.Namespaces) != 0 {
		t.Fatalf("erased %+v", resp.Erased)
	}
	e.enroll("bob", 1, "bob@ns")
	refusals := []struct {
		name       string
		owner      string
		namespaces []string
		params     map[string]string
		code       int
	}{
		{"another owner's uid", "bob-co", []string{"*"}, map[string]string{"uids": "bob@ns"}, skyerr.Namespace},
		{"another owner's namespace", "bob-co", []string{"*"}, map[string]string{"namespace": "ns", "all": "true"}, skyerr.Namespace},
		{"namespace outside the key", "alice-co", []string{"ns2"}, map[string]string{"uids": "bob@ns"}, skyerr.Namespace},
		{"uid without namespace", "alice-co", []string{"*"}, map[string]string{"uids": "bob"}, skyerr.MissingNS},
		{"namespace without all", "alice-co", []string{"*"}, map[string]string{"namespace": "ns"}, skyerr.MissingArgs},
		{"nothing", "alice-co", []string{"*"}, map[string]string{}, skyerr.MissingArgs},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.tryKey(tt.owner, tt.namespaces, "extensions/erase", tt.params)
			wantCode(t, err, tt.code)
			got := e.call("tags/get", map[string]string{"uids": "bob@ns"})
			if len(got.Photos) == 0 {
				t.Fatal("a refused erasure erased bob@ns")
			}
		})
	}
}
