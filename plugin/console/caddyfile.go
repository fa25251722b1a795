package console

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/facegate/facegate/plugin"
	"github.com/facegate/facegate/plugin/admin"
)

func init() {
	plugin.RegisterDirective[Handler]("facegate_console", "respond")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	facegate_console {
//		prefix      <path>
//		session_ttl <duration>
//	}
//
// The prefix (default /console) is where the console lives; mount it with
// e.g. `handle /console* { facegate_console }` (nothing is stripped).
// session_ttl (default 10m, at most 1h) is how long a console sign-in (an
// admin session opened with one TOTP code) lasts.
func (c *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	return admin.UnmarshalPrefixTTL(d, &c.Prefix, &c.SessionTTL)
}

// Interface guard.
var _ caddyfile.Unmarshaler = (*Handler)(nil)
