package plugin

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	RegisterDirective[Guard]("facegate_guard", "basic_auth")
	RegisterDirective[API]("facegate_api", "reverse_proxy")
	RegisterDirective[Health]("facegate_health", "basic_auth")
}

// RegisterDirective registers the Caddyfile directive of handler module T,
// parsed by its UnmarshalCaddyfile alone, and orders it before the standard
// directive before.
func RegisterDirective[T any, P interface {
	*T
	caddyhttp.MiddlewareHandler
	caddyfile.Unmarshaler
}](directive, before string) {
	httpcaddyfile.RegisterHandlerDirective(directive, func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		m := P(new(T))
		err := m.UnmarshalCaddyfile(h.Dispenser)
		return m, err
	})
	httpcaddyfile.RegisterDirectiveOrder(directive, httpcaddyfile.Before, before)
}

// UnmarshalCaddyfile sets up the guard:
//
//	facegate_guard [api|proxy] {
//	    mode         api|proxy   # default api
//	    denials      envelope|errors # default envelope; errors: to handle_errors
//	}
func (g *Guard) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		g.Mode = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "mode":
			if !d.AllArgs(&g.Mode) {
				return d.ArgErr()
			}
		case "denials":
			if !d.AllArgs(&g.Denials) {
				return d.ArgErr()
			}
		case "hsts_max_age":
			return d.Errf("facegate_guard: hsts_max_age was removed; set the header in the site: header Strict-Transport-Security \"max-age=<seconds>\"")
		default:
			return d.Errf("unrecognized facegate_guard option %q", d.Val())
		}
	}
	return nil
}

// UnmarshalCaddyfile sets up the API handler; it takes no options:
//
//	facegate_api
func (a *API) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() || d.NextBlock(0) {
		return d.Err("facegate_api takes no arguments or options")
	}
	return nil
}

// UnmarshalCaddyfile sets up the probe:
//
//	facegate_health live|ready
func (h *Health) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.ArgErr()
	}
	h.Probe = d.Val()
	if d.NextArg() || d.NextBlock(0) {
		return d.Err("facegate_health takes one argument, live or ready")
	}
	return nil
}

// Interface guards.
var (
	_ caddyfile.Unmarshaler = (*Guard)(nil)
	_ caddyfile.Unmarshaler = (*API)(nil)
	_ caddyfile.Unmarshaler = (*Health)(nil)
)
