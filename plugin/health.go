package plugin

import (
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Health{})
}

// Health answers load balancers' probes without credentials: "live"
// (/healthz) says the process serves HTTP; "ready" (/readyz) says the store
// is open, the policies are loaded, the search index is built and, in the
// cluster mode, Redis answers, each named in "components", or answers 503
// with the first fixed reason (readiness.go). Neither reveals anything
// about the data, the keys or the build.
type Health struct {
	// Probe is "live" or "ready".
	Probe string `json:"probe,omitempty"`

	app *App
}

// CaddyModule returns the Caddy module information.
func (Health) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_health",
		New: func() caddy.Module { return new(Health) },
	}
}

// Provision finds the facegate app.
func (h *Health) Provision(ctx caddy.Context) error {
	var err error
	h.app, err = AppFrom(ctx, "facegate_health")
	return err
}

// Validate checks the probe name.
func (h *Health) Validate() error {
	if h.Probe != "live" && h.Probe != "ready" {
		return fmt.Errorf("facegate_health: probe must be live or ready, not %q", h.Probe)
	}
	return nil
}

// ServeHTTP answers the probe; it never calls next.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"status": "failure", "reason": "use GET or HEAD"}, "")
		return nil
	}
	if h.Probe == "live" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"}, "")
		return nil
	}
	rd := h.app.readiness(r.Context())
	if rd.Reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, rd, "")
		return nil
	}
	writeJSON(w, http.StatusOK, rd, "")
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Health)(nil)
	_ caddy.Validator             = (*Health)(nil)
	_ caddyhttp.MiddlewareHandler = (*Health)(nil)
)
