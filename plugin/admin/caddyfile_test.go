package admin

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name, input, prefix string
		ok                  bool
	}{
		{"bare", `facegate_admin`, "", true},
		{"prefix", "facegate_admin {\n prefix /ops/admin\n}", "/ops/admin", true},
		{"positional arg", `facegate_admin /admin`, "", false},
		{"prefix without value", "facegate_admin {\n prefix\n}", "", false},
		{"prefix with two values", "facegate_admin {\n prefix /a /b\n}", "", false},
		{"unknown option", "facegate_admin {\n strip /admin\n}", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if (err == nil) != tt.ok {
				t.Fatalf("UnmarshalCaddyfile = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && h.Prefix != tt.prefix {
				t.Errorf("prefix = %q, want %q", h.Prefix, tt.prefix)
			}
		})
	}
	if err := (&Handler{Prefix: "admin"}).Validate(); err == nil {
		t.Error("prefix without a leading slash validated")
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
