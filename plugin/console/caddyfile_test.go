package console

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
		{"bare", `facegate_console`, "", true, 0},
		{"prefix and ttl", "facegate_console {\n prefix /ops\n session_ttl 20m\n}", "/ops", true, 20 * time.Minute},
		{"ttl not a duration", "facegate_console {\n session_ttl soon\n}", "", false, 0},
		{"ttl zero", "facegate_console {\n session_ttl 0s\n}", "", false, 0},
		{"positional arg", `facegate_console /console`, "", false, 0},
		{"prefix with two values", "facegate_console {\n prefix /a /b\n}", "", false, 0},
		{"unknown option", "facegate_console {\n root /srv\n}", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if (err == nil) != tt.ok {
				t.Fatalf("UnmarshalCaddyfile = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (h.Prefix != tt.prefix || time.Duration(h.SessionTTL) != tt.ttl) {
				t.Errorf("prefix %q, session_ttl %s; want %q, %s", h.Prefix, time.Duration(h.SessionTTL), tt.prefix, tt.ttl)
			}
		})
	}
	for _, bad := range []Handler{{Prefix: "console"}, {Prefix: "/"}, {SessionTTL: caddy.Duration(2 * time.Hour)}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", bad)
		}
	}
}
