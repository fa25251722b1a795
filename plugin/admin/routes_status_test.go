package admin

import (
	"errors"
	"net/http"
	"testing"

	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/policies"
)

// countingBackend adds policy status and namespace counts to fakeBackend.
type countingBackend struct {
	*fakeBackend
	status policies.Status
	counts map[string][2]int
}

func (c *countingBackend) PolicyStatus() (policies.Status, error) { return c.status, nil }

func (c *countingBackend) NamespaceCounts(name string) (int, int, error) {
	n, ok := c.counts[name]
	if !ok {
		return 0, 0, errors.New("no counts")
	}
	return n[0], n[1], nil
}

func TestPolicyStatusAndNamespaceCounts(t *testing.T) {
	e := newEnv(t)
	// Without the optional interfaces: 501, and namespaces without counts.
	if w := e.call(http.MethodGet, "/admin/policies", ""); w.Code != http.StatusNotImplemented {
		t.Fatalf("GET /policies without a status backend = %d", w.Code)
	}
	e.callJSON(http.MethodPost, "/admin/namespaces", `{"name":"ns1","owner":"acme"}`, http.StatusCreated)
	plain := e.callJSON(http.MethodGet, "/admin/namespaces", "", http.StatusOK)
	if ns := plain["namespaces"].([]any)[0].(map[string]any); ns["templates"] != nil || ns["name"] != "ns1" {
		t.Fatalf("namespace without counts: %v", ns)
	}

	b := &countingBackend{fakeBackend: e.backend, status: policies.Status{Version: "abc123", LoadedAt: 42, LastError: "limits.rego:3: parse error"},
		counts: map[string][2]int{"ns1": {7, 3}}}
	e.api = New(b, Options{})
	got := e.callJSON(http.MethodGet, "/admin/policies", "", http.StatusOK)["policies"].(map[string]any)
	if got["version"] != "abc123" || got["last_error"] != "limits.rego:3: parse error" || got["loaded_at"] != float64(42) {
		t.Errorf("policy status %v", got)
	}
	ns := e.callJSON(http.MethodGet, "/admin/namespaces", "", http.StatusOK)["namespaces"].([]any)[0].(map[string]any)
	if ns["templates"] != float64(7) || ns["uids"] != float64(3) || ns["owner"] != "acme" {
		t.Errorf("namespace with counts %v", ns)
	}
	// A counting failure is an error, not a zero.
	e.callJSON(http.MethodPost, "/admin/namespaces", `{"name":"ns2","owner":"acme"}`, http.StatusCreated)
	if w := e.call(http.MethodGet, "/admin/namespaces", ""); w.Code != http.StatusInternalServerError {
		t.Errorf("namespaces with a failing count = %d", w.Code)
	}
}

func TestListKeysPages(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		if _, _, err := e.kr.Create(keyring.CreateParams{Owner: "acme", Scopes: []string{"faces/*"}}, "t"); err != nil {
			t.Fatal(err)
		}
	}
	all := e.callJSON(http.MethodGet, "/admin/keys", "", http.StatusOK)
	if n := len(all["keys"].([]any)); n != 5 || all["next"] != nil {
		t.Fatalf("unpaged list: %d keys, next %v", n, all["next"])
	}
	seen := map[string]bool{}
	after := ""
	for range 3 {
		page := e.callJSON(http.MethodGet, "/admin/keys?limit=2&after="+after, "", http.StatusOK)
		for _, k := range page["keys"].([]any) {
			seen[k.(map[string]any)["id"].(string)] = true
		}
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		after = next
	}
	if len(seen) != 5 {
		t.Errorf("pages of 2 walked %d distinct keys, want 5", len(seen))
	}
	for _, bad := range []string{"?limit=0", "?limit=1001", "?limit=x", "?after=nope"} {
		if w := e.call(http.MethodGet, "/admin/keys"+bad, ""); w.Code != http.StatusBadRequest {
			t.Errorf("GET /keys%s = %d, want 400", bad, w.Code)
		} else if p := problem(t, w); p.Error != errBadRequest {
			t.Errorf("GET /keys%s error %q", bad, p.Error)
		}
	}
}
