package plugin

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/engine/skyerr"
)

func init() {
	caddy.RegisterModule(HTTPSOnly{})
	RegisterDirective[HTTPSOnly]("facegate_https_only", "redir")
}

// HTTPSOnly answers plain-HTTP requests in place of Caddy's automatic
// redirect. A request that carries credentials (api_key or api_secret in the
// query; an Authorization, X-Api-Key, X-Api-Secret, Signature,
// Signature-Input or X-TOTP-Code header) or a body, or whose method is not
// GET or HEAD, is refused with 403 and is not read: a redirect would make
// clients send the secret or the body again, and Caddy's redirect echoes the
// query string. Other requests are redirected (308) to the same path on
// HTTPS at HTTPSPort, without the query string.
type HTTPSOnly struct {
	// HTTPSPort is the port of the HTTPS server to redirect to (default 443,
	// left out of the Location).
	HTTPSPort int `json:"https_port,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (HTTPSOnly) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_https_only",
		New: func() caddy.Module { return new(HTTPSOnly) },
	}
}

// Validate checks the port.
func (h *HTTPSOnly) Validate() error {
	if h.HTTPSPort < 0 || h.HTTPSPort > 65535 {
		return fmt.Errorf("facegate_https_only: https port %d out of range", h.HTTPSPort)
	}
	return nil
}

// credentialHeaders are the request headers that carry credentials.
var credentialHeaders = []string{"Authorization", "X-Api-Key", "X-Api-Secret", "Signature", "Signature-Input", "X-Totp-Code"}

// refusePlain reports why a plain-HTTP request must not be redirected, or "".
func refusePlain(r *http.Request) string {
	for _, h := range credentialHeaders {
		if r.Header.Get(h) != "" {
			return "credentials"
		}
	}
	q := r.URL.Query()
	if q.Has("api_key") || q.Has("api_secret") {
		return "credentials"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "method"
	}
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return "body"
	}
	return ""
}

// ServeHTTP refuses or redirects; it never calls next.
func (h *HTTPSOnly) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	if why := refusePlain(r); why != "" {
		// The body is not read: close the connection instead of draining it.
		w.Header().Set("Connection", "close")
		e := skyerr.New(skyerr.Authorization, "plain HTTP is refused for calls with credentials or a body; nothing was processed: send it to %s", h.target(r, false))
		if strings.HasPrefix(r.URL.Path, "/fc/") {
			if urlFormat(r) == "xml" {
				w = withXMLAnswers(w)
			}
			writeFCError(w, e, nil, "", false)
		} else {
			writeProblem(w, e, "")
		}
		return nil
	}
	w.Header().Set("Location", h.target(r, true))
	w.WriteHeader(http.StatusPermanentRedirect)
	return nil
}

// target is the HTTPS URL of r's path (never its query); with path false,
// only the origin.
func (h *HTTPSOnly) target(r *http.Request, path bool) string {
	host := r.Host
	if hh, _, err := net.SplitHostPort(r.Host); err == nil {
		host = hh
	}
	host = strings.Trim(host, "[]")
	u := url.URL{Scheme: "https", Host: host}
	if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	}
	if h.HTTPSPort != 0 && h.HTTPSPort != 443 {
		u.Host = net.JoinHostPort(host, strconv.Itoa(h.HTTPSPort))
	}
	if path {
		u.Path, u.RawPath = r.URL.Path, r.URL.RawPath
	} else {
		u.Path = "/"
	}
	return u.String()
}

// UnmarshalCaddyfile sets up the handler:
//
//	http:// {
//	    facegate_https_only [<https port>]   # default 443
//	}
func (h *HTTPSOnly) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		p, err := strconv.Atoi(d.Val())
		if err != nil {
			return d.Errf("https port: %v", err)
		}
		h.HTTPSPort = p
	}
	if d.NextArg() || d.NextBlock(0) {
		return d.ArgErr()
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Validator             = (*HTTPSOnly)(nil)
	_ caddyhttp.MiddlewareHandler = (*HTTPSOnly)(nil)
	_ caddyfile.Unmarshaler       = (*HTTPSOnly)(nil)
)
