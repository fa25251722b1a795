package keyring

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAuditTrail(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	start := clk.Now()
	key, secret := mustKey(t, k)
	clk.Advance(time.Second)
	mid := clk.Now()
	fresh, _ := k.Rotate(key.ID, time.Minute, "alice")
	_ = k.Suspend(key.ID, "alice")
	_ = k.Resume("fg_live_aaaaaaaaaaaaaaaaaaaaaaaa", "mallory") // fails: audited as not ok
	_ = k.Revoke(key.ID, "alice")
	_ = k.Delete(key.ID, "alice")
	token, _, _, _ := k.CreateAdmin("ops", "alice")
	if err := k.Audit(AuditEntry{Actor: "ops", Action: "http.request", Target: "/keys", RemoteAddr: "192.0.2.1", OK: true}); err != nil {
		t.Fatal(err)
	}

	all, err := k.ListAudit(start, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action, actor string
		ok            bool
	}{
		{"namespace.create", "test", true}, {"key.create", "test", true},
		{"key.rotate", "alice", true}, {"key.suspend", "alice", true}, {"key.resume", "mallory", false},
		{"key.revoke", "alice", true}, {"key.delete", "alice", true}, {"admin.create", "alice", true},
		{"http.request", "ops", true},
	}
	if len(all) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(all), len(want), all)
	}
	for i, w := range want {
		if all[i].Action != w.action || all[i].Actor != w.actor || all[i].OK != w.ok {
			t.Errorf("entry %d = %s by %s ok=%v, want %s by %s ok=%v", i, all[i].Action, all[i].Actor, all[i].OK, w.action, w.actor, w.ok)
		}
		if all[i].Time == "" {
			t.Errorf("entry %d has no time", i)
		}
	}
	raw, _ := json.Marshal(all)
	for what, s := range map[string]string{"secret": secret, "rotated secret": fresh, "token": token} {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s written to the audit log", what)
		}
	}
	t.Run("since", func(t *testing.T) {
		got, err := k.ListAudit(mid, 0)
		if err != nil || len(got) != len(want)-2 || got[0].Action != "key.rotate" {
			t.Fatalf("ListAudit(mid) = %d entries, %v", len(got), err)
		}
	})
	t.Run("limit", func(t *testing.T) {
		got, _ := k.ListAudit(start, 3)
		if len(got) != 3 || got[2].Action != "key.rotate" {
			t.Fatalf("ListAudit(limit 3) = %+v", got)
		}
	})
	t.Run("latest", func(t *testing.T) {
		got, _ := k.ListAudit(time.Time{}, 2)
		if len(got) != 2 || got[0].Action != "admin.create" || got[1].Action != "http.request" {
			t.Fatalf("ListAudit(latest 2) = %+v", got)
		}
	})
}

func TestBootstrap(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	creds, created, err := k.Bootstrap()
	if err != nil || !created || creds == nil {
		t.Fatalf("Bootstrap = %v, %v, %v", creds, created, err)
	}
	key, err := k.Get(creds.APIKey)
	if err != nil || key.Owner != "demo" || key.Namespaces[0] != "demo" || key.Scopes[0] != "*" || key.Tier != "free" || len(key.AuthModes) != 2 {
		t.Fatalf("bootstrap key = %+v, %v", key, err)
	}
	if !k.CheckSecret(creds.APIKey, creds.APISecret) {
		t.Error("bootstrap secret refused")
	}
	if owner, _ := k.NamespaceOwner("demo"); owner != "demo" {
		t.Errorf("demo namespace owner = %q", owner)
	}
	name, err := k.VerifyAdmin(creds.AdminToken, codeAt(t, creds.AdminTOTPURI, clk.Now()), "127.0.0.1:1")
	if err != nil || name != "admin" {
		t.Fatalf("bootstrap admin = %q, %v", name, err)
	}
	raw, _ := json.Marshal(creds)
	for _, f := range []string{`"api_key"`, `"api_secret"`, `"admin_token"`, `"admin_totp_uri"`} {
		if !strings.Contains(string(raw), f) {
			t.Errorf("credentials JSON lacks %s", f)
		}
	}
	entries, _ := k.ListAudit(time.Time{}, 10)
	if len(entries) != 1 || entries[0].Action != "bootstrap" || !entries[0].OK || strings.Contains(entries[0].Detail, creds.APISecret) {
		t.Errorf("bootstrap audit = %+v", entries)
	}
	again, created, err := k.Bootstrap()
	if err != nil || created || again != nil {
		t.Fatalf("second Bootstrap = %v, %v, %v", again, created, err)
	}
}
