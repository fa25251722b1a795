package console

import (
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin"
	"github.com/facegate/facegate/plugin/admin"
	"github.com/facegate/facegate/plugin/keyring"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// DefaultPrefix is where the console is mounted when no prefix is set.
const DefaultPrefix = "/console"

//go:embed assets
var assets embed.FS

// ContentSecurityPolicy is sent with every console answer: scripts, styles
// and fetches only from the console's own origin, images also from blob:
// (the try-it photo, QR codes), nothing inline, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Handler is the `http.handlers.facegate_console` module: the web console
// (see the package doc) mounted under Prefix. Requests outside the prefix
// go to the next handler. It uses the `facegate` app.
type Handler struct {
	// Prefix is the path the console is served under; default "/console".
	Prefix string `json:"prefix,omitempty"`
	// SessionTTL is how long a sign-in lasts; default 10m, at most 1h.
	SessionTTL caddy.Duration `json:"session_ttl,omitempty"`

	console *Console
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_console",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision finds the facegate app.
func (h *Handler) Provision(ctx caddy.Context) error {
	app, err := plugin.AppFrom(ctx, "facegate_console")
	if err != nil {
		return err
	}
	c, err := New(app, Options{Prefix: h.Prefix, SessionTTL: time.Duration(h.SessionTTL), Logger: ctx.Logger()})
	if err != nil {
		return err
	}
	h.console = c
	return nil
}

// Validate checks the prefix and the sign-in lifetime.
func (h *Handler) Validate() error {
	if h.Prefix != "" && (h.Prefix[0] != '/' || strings.Trim(h.Prefix, "/") == "") {
		return fmt.Errorf("facegate_console: prefix must be a path below /: %q", h.Prefix)
	}
	if ttl := time.Duration(h.SessionTTL); ttl < 0 || ttl > keyring.MaxSessionTTL {
		return fmt.Errorf("facegate_console: session_ttl must be between 1s and %s, got %s", keyring.MaxSessionTTL, ttl)
	}
	return nil
}

// ServeHTTP serves the console for paths under the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !h.console.Owns(r.URL.Path) {
		return next.ServeHTTP(w, r)
	}
	h.console.ServeHTTP(w, r)
	return nil
}

// Options configures a Console.
type Options struct {
	// Prefix is the path the console is mounted at (default "/console").
	Prefix string
	// SessionTTL is how long a sign-in lasts (default and bound as for
	// admin sessions).
	SessionTTL time.Duration
	// Logger receives sign-in and sign-out lines (never a secret).
	Logger *zap.Logger
	// AllowPlainHTTP serves requests that did not arrive over TLS. Only
	// for tests.
	AllowPlainHTTP bool
}

// Console is the web console as a plain http.Handler.
type Console struct {
	opts   Options
	admin  *admin.API // the admin API at the root: routes are /keys, /sessions, ...
	static fs.FS
	seal   *sealer
}

// New returns the console over backend (the facegate app in production).
func New(backend admin.Backend, opts Options) (*Console, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	opts.Prefix = "/" + strings.Trim(opts.Prefix, "/")
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	s, err := processSealer()
	if err != nil {
		return nil, err
	}
	api := admin.New(backend, admin.Options{Prefix: "/", SessionTTL: opts.SessionTTL, Logger: opts.Logger,
		AllowPlainHTTP: opts.AllowPlainHTTP})
	return &Console{opts: opts, admin: api, static: static, seal: s}, nil
}

// Owns reports whether p is the prefix or under it.
func (c *Console) Owns(p string) bool {
	return p == c.opts.Prefix || strings.HasPrefix(p, c.opts.Prefix+"/")
}

// ServeHTTP serves the application's files and its API.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.TLS == nil && !c.opts.AllowPlainHTTP {
		admin.WriteProblem(w, http.StatusForbidden, "https_required", "the console is only served over HTTPS")
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, c.opts.Prefix)
	switch {
	case rel == "":
		http.Redirect(w, r, c.opts.Prefix+"/", http.StatusPermanentRedirect)
	case strings.HasPrefix(rel, "/api/"):
		c.serveAPI(w, r, strings.TrimPrefix(rel, "/api"))
	default:
		c.serveFile(w, r, rel)
	}
}

// setSecurityHeaders sets what every console answer carries.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Cache-Control", "no-store")
}

// serveFile answers GET and HEAD for the embedded files; "/" is index.html.
func (c *Console) serveFile(w http.ResponseWriter, r *http.Request, rel string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		admin.WriteProblem(w, http.StatusMethodNotAllowed, "method_not_allowed", "console files are read with GET")
		return
	}
	name := strings.TrimPrefix(rel, "/")
	if name == "" {
		name = "index.html"
	}
	if path.Clean("/"+name) != "/"+name || !fs.ValidPath(name) {
		admin.WriteProblem(w, http.StatusNotFound, "not_found", "no such console file")
		return
	}
	body, err := fs.ReadFile(c.static, name)
	if err != nil {
		admin.WriteProblem(w, http.StatusNotFound, "not_found", "no such console file")
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ http.Handler                = (*Console)(nil)
)
