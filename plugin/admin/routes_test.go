package admin

import (
	"bytes"
	"errors"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestKeyEndpoints(t *testing.T) {
	e := newEnv(t)
	e.callJSON("POST", "/admin/namespaces", `{"name":"docs","owner":"acme"}`, 201)

	created := e.callJSON("POST", "/admin/keys", `{"owner":"acme","label":"ci","scopes":["faces/*"],"namespaces":["docs"]}`, 201)
	id, _ := created["api_key"].(string)
	secret, _ := created["api_secret"].(string)
	if !strings.HasPrefix(id, "fg_live_") || len(secret) < 43 {
		t.Fatalf("create answer lacks id or secret: %v", created)
	}
	if !e.kr.CheckSecret(id, secret) {
		t.Fatal("returned secret does not authenticate")
	}

	list := e.callJSON("GET", "/admin/keys?owner=acme", "", 200)
	if keys, _ := list["keys"].([]any); len(keys) != 1 {
		t.Fatalf("list = %v", list)
	}
	if keys := e.callJSON("GET", "/admin/keys?owner=other", "", 200)["keys"].([]any); len(keys) != 0 {
		t.Fatalf("list for another owner = %v", keys)
	}

	t.Run("no secret after creation", func(t *testing.T) {
		for _, path := range []string{"/admin/keys", "/admin/keys/" + id, "/admin/audit"} {
			w := e.call("GET", path, "")
			if w.Code != 200 || strings.Contains(w.Body.String(), secret) || strings.Contains(w.Body.String(), "secret_hash") {
				t.Errorf("GET %s (%d) exposes secret material", path, w.Code)
			}
		}
	})

	transitions := []struct {
		path, body, status string
		secretOK           bool
	}{
		{"/suspend", "", "suspended", false},
		{"/resume", "{}", "active", true},
	}
	for _, tr := range transitions {
		got := e.callJSON("POST", "/admin/keys/"+id+tr.path, tr.body, 200)
		if k, _ := got["key"].(map[string]any); k["status"] != tr.status {
			t.Errorf("%s: status %v, want %s", tr.path, k["status"], tr.status)
		}
		if e.kr.CheckSecret(id, secret) != tr.secretOK {
			t.Errorf("%s: secret accepted = %v", tr.path, !tr.secretOK)
		}
	}

	rot := e.callJSON("POST", "/admin/keys/"+id+"/rotate", `{"grace_s":3600}`, 200)
	fresh, _ := rot["api_secret"].(string)
	if fresh == "" || fresh == secret || rot["grace_s"] != 3600.0 || rot["previous_valid_until"] == nil {
		t.Fatalf("rotate answer = %v", rot)
	}
	if !e.kr.CheckSecret(id, fresh) || !e.kr.CheckSecret(id, secret) {
		t.Error("during grace both secrets must work")
	}
	e.callJSON("POST", "/admin/keys/"+id+"/rotate", "", 200) // no body: no grace
	if e.kr.CheckSecret(id, fresh) {
		t.Error("rotation without grace kept the previous secret")
	}

	upd := e.callJSON("PUT", "/admin/keys/"+id, `{"owner":"acme","tier":"pro","namespaces":["docs"]}`, 200)
	if k, _ := upd["key"].(map[string]any); k["tier"] != "pro" {
		t.Errorf("update answer = %v", upd)
	}

	revoked := e.callJSON("POST", "/admin/keys/"+id+"/revoke", "", 200)
	if k, _ := revoked["key"].(map[string]any); k["status"] != "revoked" {
		t.Errorf("revoke answer = %v", revoked)
	}
	if w := e.call("POST", "/admin/keys/"+id+"/resume", ""); w.Code != http.StatusConflict {
		t.Errorf("resume of a revoked key = %d, want 409", w.Code)
	}

	e.callJSON("DELETE", "/admin/keys/"+id, "", 200)
	if w := e.call("GET", "/admin/keys/"+id, ""); w.Code != 404 {
		t.Errorf("deleted key still shown: %d", w.Code)
	}
	if len(e.backend.erasedKey) != 0 {
		t.Error("data erased without ?erase=true")
	}

	t.Run("delete with erase", func(t *testing.T) {
		c := e.callJSON("POST", "/admin/keys", `{"owner":"acme","namespaces":["docs"]}`, 201)
		id2 := c["api_key"].(string)
		out := e.callJSON("DELETE", "/admin/keys/"+id2+"?erase=true", "", 200)
		if out["erased"] != true || len(e.backend.erasedKey) != 1 || e.backend.erasedKey[0] != id2 {
			t.Fatalf("erase: answer %v, hook calls %v", out, e.backend.erasedKey)
		}
		if _, err := e.kr.Get(id2); err == nil {
			t.Error("key survives delete with erase")
		}
		entries, _ := e.kr.ListAudit(time.Time{}, 20)
		for _, en := range entries {
			if en.Target == id2 && !en.OK {
				t.Errorf("delete with erase audited a failure: %+v", en)
			}
		}
	})
}

func TestNamespaceEndpoints(t *testing.T) {
	e := newEnv(t)
	got := e.callJSON("POST", "/admin/namespaces", `{"name":"docs","owner":"acme"}`, 201)
	if ns, _ := got["namespace"].(map[string]any); ns["owner"] != "acme" || ns["created_at"] == 0.0 {
		t.Fatalf("create namespace = %v", got)
	}
	if w := e.call("POST", "/admin/namespaces", `{"name":"docs","owner":"other"}`); w.Code != http.StatusConflict {
		t.Errorf("duplicate namespace = %d, want 409", w.Code)
	}
	if w := e.call("POST", "/admin/namespaces", `{"name":"../x","owner":"acme"}`); w.Code != 400 {
		t.Errorf("bad namespace name = %d, want 400", w.Code)
	}
	if list := e.callJSON("GET", "/admin/namespaces", "", 200)["namespaces"].([]any); len(list) != 1 {
		t.Errorf("namespaces = %v", list)
	}
	e.callJSON("DELETE", "/admin/namespaces/docs", "", 200)
	if len(e.backend.erasedNS) != 1 || e.backend.erasedNS[0] != "docs" {
		t.Errorf("namespace data not erased: %v", e.backend.erasedNS)
	}
	if _, ok := e.kr.NamespaceOwner("docs"); ok {
		t.Error("namespace still registered")
	}
	if w := e.call("DELETE", "/admin/namespaces/docs", ""); w.Code != 404 {
		t.Errorf("second delete = %d", w.Code)
	}

	t.Run("backend without erasure refuses", func(t *testing.T) {
		api := New(struct{ Backend }{e.backend}, Options{}) // no NamespaceEraser
		e.callJSON("POST", "/admin/namespaces", `{"name":"keep","owner":"acme"}`, 201)
		r := req("DELETE", "/admin/namespaces/keep", "")
		r.Header.Set("Authorization", "Bearer "+e.token)
		r.Header.Set("X-TOTP-Code", e.code())
		w := newRecorder()
		api.ServeHTTP(w, r)
		if w.Code != http.StatusNotImplemented {
			t.Fatalf("status = %d, want 501", w.Code)
		}
		if _, ok := e.kr.NamespaceOwner("keep"); !ok {
			t.Error("registry entry dropped although the data could not be erased")
		}
	})
}

func TestAuditAndPolicies(t *testing.T) {
	e := newEnv(t)
	e.clk.Advance(time.Second) // after the admin's creation
	start := e.clk.Now()
	e.callJSON("POST", "/admin/policies/reload", "", 200)
	if e.backend.reloads != 1 {
		t.Fatalf("reload hook called %d times", e.backend.reloads)
	}
	e.backend.reloadErr = errors.New("policy.rego:3: rego_parse_error")
	w := e.call("POST", "/admin/policies/reload", "")
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(problem(t, w).Detail, "rego_parse_error") {
		t.Fatalf("failed reload = %d %s", w.Code, w.Body)
	}

	out := e.callJSON("GET", "/admin/audit?since="+start.UTC().Format(time.RFC3339)+"&limit=10", "", 200)
	entries, _ := out["entries"].([]any)
	if len(entries) != 2 { // the two reload calls; this GET is audited after it answers
		t.Fatalf("audit entries = %d: %v", len(entries), entries)
	}
	first := entries[0].(map[string]any)
	if first["actor"] != "root" || first["remote_addr"] != "192.0.2.10:4000" || first["target"] != "POST /policies/reload" || first["ok"] != true {
		t.Errorf("audit entry = %v", first)
	}
	if second := entries[1].(map[string]any); second["ok"] != false {
		t.Errorf("failed reload audited as ok: %v", second)
	}
	if out := e.callJSON("GET", "/admin/audit?since=1&limit=1", "", 200); len(out["entries"].([]any)) != 1 {
		t.Errorf("limit not applied: %v", out)
	}
}

func TestAdminEndpoints(t *testing.T) {
	e := newEnv(t)
	created := e.callJSON("POST", "/admin/admins", `{"name":"ops"}`, 201)
	token, _ := created["admin_token"].(string)
	uri, _ := created["admin_totp_uri"].(string)
	if token == "" || !strings.HasPrefix(uri, "otpauth://totp/") {
		t.Fatalf("create admin = %v", created)
	}
	if list := e.callJSON("GET", "/admin/admins", "", 200)["admins"].([]any); len(list) != 2 {
		t.Fatalf("admins = %v", list)
	}
	if w := e.call("POST", "/admin/admins", `{"name":"ops"}`); w.Code != http.StatusConflict {
		t.Errorf("duplicate admin = %d", w.Code)
	}

	// The new admin can call the API with its own token and code.
	r := req("GET", "/admin/admins", "")
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("X-TOTP-Code", totpCode(t, uri, e.clk.Now()))
	w := newRecorder()
	e.api.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("new admin refused: %d %s", w.Code, w.Body)
	}

	// QR code: once after enrollment, again after re-enrollment.
	for i, want := range []int{200, 410} {
		w := e.call("GET", "/admin/admins/ops/totp.png", "")
		if w.Code != want {
			t.Fatalf("QR fetch %d = %d, want %d", i, w.Code, want)
		}
		if want == 200 {
			if w.Header().Get("Content-Type") != "image/png" {
				t.Errorf("QR content type %q", w.Header().Get("Content-Type"))
			}
			if _, err := png.Decode(bytes.NewReader(w.Body.Bytes())); err != nil {
				t.Errorf("QR is not a PNG: %v", err)
			}
		}
	}
	re := e.callJSON("POST", "/admin/admins/ops/totp", "", 200)
	if re["admin_totp_uri"] == uri || !strings.HasPrefix(re["admin_totp_uri"].(string), "otpauth://") {
		t.Errorf("re-enroll = %v", re)
	}
	if w := e.call("GET", "/admin/admins/ops/totp.png", ""); w.Code != 200 {
		t.Errorf("QR after re-enrollment = %d", w.Code)
	}
	e.callJSON("DELETE", "/admin/admins/ops", "", 200)
	if w := e.call("DELETE", "/admin/admins/root", ""); w.Code != http.StatusConflict {
		t.Errorf("deleting the last admin = %d, want 409", w.Code)
	}
}
