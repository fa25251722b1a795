package admin

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/facegate/facegate/plugin"
)

func init() {
	plugin.RegisterDirective[Handler]("facegate_admin", "respond")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	facegate_admin {
//		prefix      <path>
//		session_ttl <duration>
//	}
//
// The prefix (default /admin) is where the API lives; mount it with e.g.
// `handle /admin/* { facegate_admin }` (nothing is stripped). A path given
// right after the directive name is a Caddy request matcher, not a prefix.
// session_ttl (default 10m, at most 1h) is how long an admin session opened
// with one TOTP code lasts.
func (a *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	return UnmarshalPrefixTTL(d, &a.Prefix, &a.SessionTTL)
}

// UnmarshalPrefixTTL reads a directive with no arguments and the block
// options prefix and session_ttl (facegate_admin, facegate_console).
func UnmarshalPrefixTTL(d *caddyfile.Dispenser, prefix *string, sessionTTL *caddy.Duration) error {
	d.Next() // directive name
	name := d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "prefix":
			if !d.NextArg() {
				return d.ArgErr()
			}
			*prefix = d.Val()
		case "session_ttl":
			if !d.NextArg() {
				return d.ArgErr()
			}
			ttl, err := caddy.ParseDuration(d.Val())
			if err != nil || ttl <= 0 {
				return d.Errf("session_ttl: want a positive duration like 10m, got %q", d.Val())
			}
			*sessionTTL = caddy.Duration(ttl)
		default:
			return d.Errf("unrecognized %s option %q", name, d.Val())
		}
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	return nil
}

// Interface guard.
var _ caddyfile.Unmarshaler = (*Handler)(nil)
