package admin

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/plugin"
	"github.com/facegate/facegate/plugin/keyring"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler is the `http.handlers.facegate_admin` module: the admin JSON API
// (see API) mounted under Prefix. Requests outside the prefix go to the
// next handler. It uses the `facegate` app's keyring, so the app must be
// configured (Caddyfile global option `facegate { ... }`).
type Handler struct {
	// Prefix is the path the API is served under; default "/admin". The
	// route is the rest of the path, e.g. /admin/keys/{id}/rotate.
	Prefix string `json:"prefix,omitempty"`

	// SessionTTL is how long an admin session (POST /sessions, opened
	// with one TOTP code) lasts; default 10m, at most 1h.
	SessionTTL caddy.Duration `json:"session_ttl,omitempty"`

	api *API
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_admin",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision finds the facegate app. It opens nothing: the app's keyring is
// looked up on each request, since the app starts after provisioning.
func (h *Handler) Provision(ctx caddy.Context) error {
	app, err := plugin.AppFrom(ctx, "facegate_admin")
	if err != nil {
		return err
	}
	h.api = New(app, Options{Prefix: h.Prefix, Logger: ctx.Logger(), SessionTTL: time.Duration(h.SessionTTL)})
	return nil
}

// Validate checks the prefix and the session lifetime.
func (h *Handler) Validate() error {
	if h.Prefix != "" && h.Prefix[0] != '/' {
		return fmt.Errorf("facegate_admin: prefix must start with /: %q", h.Prefix)
	}
	if ttl := time.Duration(h.SessionTTL); ttl < 0 || ttl > keyring.MaxSessionTTL {
		return fmt.Errorf("facegate_admin: session_ttl must be between 1s and %s, got %s", keyring.MaxSessionTTL, ttl)
	}
	return nil
}

// ServeHTTP serves the admin API for paths under the prefix. A path that
// only reaches the prefix once cleaned or lower-cased ("/ADMIN/keys",
// "/fc/../admin/keys", which Caddy's case-insensitive, cleaning path
// matchers route here) gets the API's 404 problem, not the next handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !h.api.Owns(r.URL.Path) {
		if !h.api.Owns(path.Clean("/" + strings.ToLower(r.URL.Path))) {
			return next.ServeHTTP(w, r)
		}
		WriteProblem(w, http.StatusNotFound, errNotFound, "no such admin route")
		return nil
	}
	h.api.ServeHTTP(w, r)
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ http.Handler                = (*API)(nil)
)
