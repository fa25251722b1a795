package plugin

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/dustin/go-humanize"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("facegate", parseGlobalOption)
}

// parseGlobalOption turns the `facegate` global option into the facegate app.
func parseGlobalOption(d *caddyfile.Dispenser, _ any) (any, error) {
	app := new(App)
	if err := app.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "facegate", Value: caddyconfig.JSON(app, nil)}, nil
}

// UnmarshalCaddyfile sets up the app from the global option block:
//
//	{
//	    facegate {
//	        data_dir            <path>           # default ./data
//	        key_file            <path>           # default <data_dir>/encryption.key
//	        keyring_key_file    <path>           # default <data_dir>/keyring.key
//	        policies_dir        <path>           # override the embedded Rego + schemas
//	        policy_poll         <duration>       # default 2s
//	        url_allow_hosts     <host|cidr>...   # open hosts to server-side `urls` fetching
//	        legacy_status_codes                  # every failure answered with HTTP 400
//	        jsonp                                # allow the `callback` parameter
//	        cluster {                            # several nodes on shared engines
//	            redis           <url>            # e.g. {env.FACEGATE_REDIS_URL}; empty = embedded
//	        }
//	        limits {
//	            max_body        <size>           # default 20MiB
//	            max_images      <n>              # default 10
//	            max_image_bytes <size>           # default 10MiB
//	            max_pixels      <n>              # default 25000000
//	            max_pixels_in_flight <n>         # server-wide, default 40000000
//	            max_parts       <n>              # default 32
//	            max_param_bytes <size>           # default 64KiB
//	        }
//	    }
//	}
func (a *App) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the option name
	if d.NextArg() {
		return d.ArgErr()
	}
	paths := map[string]*string{"data_dir": &a.DataDir, "key_file": &a.KeyFile,
		"keyring_key_file": &a.KeyringKeyFile, "policies_dir": &a.PoliciesDir}
	for d.NextBlock(0) {
		if p, ok := paths[d.Val()]; ok {
			if !d.AllArgs(p) {
				return d.ArgErr()
			}
			continue
		}
		switch d.Val() {
		case "policy_poll":
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil {
				return d.Errf("policy_poll: %v", err)
			}
			a.PolicyPoll = caddy.Duration(dur)
		case "url_allow_hosts":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			a.URLAllowHosts = append(a.URLAllowHosts, args...)
		case "legacy_status_codes":
			a.LegacyStatusCodes = true
		case "jsonp":
			a.JSONP = true
		case "limits":
			if err := a.Limits.unmarshalCaddyfile(d); err != nil {
				return err
			}
		case "cluster":
			if err := a.Cluster.unmarshalCaddyfile(d); err != nil {
				return err
			}
		default:
			return d.Errf("unrecognized facegate option %q", d.Val())
		}
	}
	return nil
}

func (l *InputLimits) unmarshalCaddyfile(d *caddyfile.Dispenser) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		var v string
		if !d.AllArgs(&v) {
			return d.ArgErr()
		}
		switch name {
		case "max_body", "max_image_bytes", "max_param_bytes":
			n, err := humanize.ParseBytes(v)
			if err != nil {
				return d.Errf("%s: %v", name, err)
			}
			switch name {
			case "max_body":
				l.MaxBody = int64(n)
			case "max_image_bytes":
				l.MaxImageBytes = int64(n)
			default:
				l.MaxParamBytes = int64(n)
			}
		case "max_images", "max_parts":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return d.Errf("%s: want a whole number, got %q", name, v)
			}
			if name == "max_images" {
				l.MaxImages = n
			} else {
				l.MaxParts = n
			}
		case "max_pixels", "max_pixels_in_flight":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return d.Errf("%s: want a whole number, got %q", name, v)
			}
			if name == "max_pixels" {
				l.MaxPixels = n
			} else {
				l.MaxPixelsInFlight = n
			}
		default:
			return d.Errf("unrecognized facegate limit %q", name)
		}
	}
	return nil
}

// Interface guard.
var _ caddyfile.Unmarshaler = (*App)(nil)
