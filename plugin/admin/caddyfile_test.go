package admin

import (
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name, input, prefix string
		ok                  bool
		ttl                 time.Duration
	}{
		{"session ttl", "facegate_admin {\n session_ttl 5m\n}", "", true, 5 * time.Minute},
		{"session ttl not a duration", "facegate_admin {\n session_ttl soon\n}", "", false, 0},
		{"session ttl zero", "facegate_admin {\n session_ttl 0s\n}", "", false, 0},
		{"session ttl without value", "facegate_admin {\n session_ttl\n}", "", false, 0},
		{"bare", `facegate_admin`, "", true, 0},
		{"prefix", "facegate_admin {\n prefix /ops/admin\n}", "/ops/admin", true, 0},
		{"positional arg", `facegate_admin /admin`, "", false, 0},
		{"prefix without value", "facegate_admin {\n prefix\n}", "", false, 0},
		{"prefix with two values", "facegate_admin {\n prefix /a /b\n}", "", false, 0},
		{"unknown option", "facegate_admin {\n strip /admin\n}", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if (err == nil) != tt.ok {
				t.Fatalf("UnmarshalCaddyfile = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (h.Prefix != tt.prefix || time.Duration(h.SessionTTL) != tt.ttl) {
				t.Errorf("prefix = %q, session_ttl %s; want %q, %s", h.Prefix, time.Duration(h.SessionTTL), tt.prefix, tt.ttl)
			}
		})
	}
	if err := (&Handler{Prefix: "admin"}).Validate(); err == nil {
		t.Error("prefix without a leading slash validated")
	}
	if err := (&Handler{SessionTTL: caddy.Duration(2 * time.Hour)}).Validate(); err == nil {
		t.Error("session_ttl of 2h validated")
	}
}

func TestPrefixOwnership(t *testing.T) {
	tests := []struct {
		prefix, path string
		owns         bool
	}{
		{"", "/admin/keys", true},
		{"/admin", "/admin", true},
		{"/admin", "/admin/keys", true},
		{"/admin", "/adminx/keys", false},
		{"/admin", "/fc/faces/detect", false},
		{"/ops/admin/", "/ops/admin/keys", true},
		{"/", "/anything", true},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+" "+tt.path, func(t *testing.T) {
			if got := New(nil, Options{Prefix: tt.prefix}).Owns(tt.path); got != tt.owns {
				t.Errorf("Owns = %v, want %v", got, tt.owns)
			}
		})
	}
}
