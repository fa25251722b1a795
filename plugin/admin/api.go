package admin

import (
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/keyring"
)

// DefaultPrefix is where the admin API is mounted when no prefix is set.
const DefaultPrefix = "/admin"

// Backend is what the API needs from the facegate app; *plugin.App
// implements it. Keyring may return nil before the app has started.
type Backend interface {
	Keyring() *keyring.Keyring
	ReloadPolicies() error
	EraseKeyData(keyID string) error
}

// NamespaceEraser is implemented by backends that can erase a namespace's
// data (uids, tags, templates). Without it, DELETE /namespaces/{name} is
// refused: dropping only the registry entry would leave data that the next
// owner of the name could read.
type NamespaceEraser interface {
	EraseNamespaceData(name string) error
}

// Options configures an API.
type Options struct {
	// Prefix is the path the API is mounted at (default "/admin").
	Prefix string
	// Logger receives one line per call (never a secret); nil discards.
	Logger *zap.Logger
	// AllowPlainHTTP serves requests that did not arrive over TLS. Only
	// for tests: admin tokens are secrets.
	AllowPlainHTTP bool
	// SessionTTL is how long an admin session opened with POST /sessions
	// lasts (and the most a caller may ask for); default
	// keyring.DefaultSessionTTL, at most keyring.MaxSessionTTL.
	SessionTTL time.Duration
}

// API is the admin JSON API as a plain http.Handler.
type API struct {
	backend Backend
	opts    Options
	mux     *http.ServeMux
}

// New returns the API over backend.
func New(backend Backend, opts Options) *API {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	opts.Prefix = "/" + strings.Trim(opts.Prefix, "/")
	if opts.Prefix == "/" {
		opts.Prefix = ""
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = keyring.DefaultSessionTTL
	}
	opts.SessionTTL = min(opts.SessionTTL, keyring.MaxSessionTTL)
	a := &API{backend: backend, opts: opts, mux: http.NewServeMux()}
	a.routes()
	return a
}

// Owns reports whether path is under the API's prefix.
func (a *API) Owns(path string) bool {
	p := a.opts.Prefix
	return p == "" || path == p || strings.HasPrefix(path, p+"/")
}

// ServeHTTP authenticates the call (HTTPS, bearer token, TOTP code), routes
// it, and audits it.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil && !a.opts.AllowPlainHTTP {
		WriteProblem(w, http.StatusForbidden, errHTTPS, "the admin API is only served over HTTPS")
		return
	}
	kr := a.backend.Keyring()
	if kr == nil {
		WriteProblem(w, http.StatusServiceUnavailable, errUnavailable, "facegate app is not started")
		return
	}
	remote := remoteAddr(r)
	name, sessionID, err := a.authenticate(kr, r, remote)
	if err != nil {
		authProblem(w, err)
		if errors.Is(err, keyring.ErrSessionExpired) {
			// Its expiry is audited once by the keyring; using it is not a
			// failed authentication.
			a.opts.Logger.Info("admin API call with an expired admin session", zap.String("method", r.Method),
				zap.String("path", a.relPath(r)), zap.String("remote", remote))
			return
		}
		if !isLockout(err) { // lockout refusals are not written, so they cannot flood the log
			detail := "authentication failed"
			if errors.Is(err, keyring.ErrCodeReused) {
				detail = "TOTP code already used"
			}
			_ = kr.Audit(keyring.AuditEntry{Actor: "-", Action: "admin.api.auth", Target: r.Method + " " + a.relPath(r),
				RemoteAddr: remote, OK: false, Detail: detail})
		}
		a.opts.Logger.Info("admin API authentication failed", zap.String("method", r.Method),
			zap.String("path", a.relPath(r)), zap.String("remote", remote))
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	c := &call{kr: kr, admin: name, remote: remote, api: a, session: sessionID}
	if sessionID != "" {
		c.note = "session " + sessionID
	}
	a.dispatch(sw, r.WithContext(withCall(r.Context(), c)))
	status := sw.status()
	detail := "status " + strconv.Itoa(status)
	if c.note != "" {
		detail += "; " + c.note
	}
	_ = kr.Audit(keyring.AuditEntry{Actor: name, Action: "admin.api", Target: r.Method + " " + a.relPath(r),
		RemoteAddr: remote, OK: status < 400, Detail: detail})
	a.opts.Logger.Info("admin API call", zap.String("admin", name), zap.String("method", r.Method),
		zap.String("path", a.relPath(r)), zap.Int("status", status), zap.String("remote", remote))
}

// authenticate checks the call's credentials: `Authorization: Bearer
// <admin token>` with `X-TOTP-Code: <code>`, or `Authorization: Bearer
// <admin token>.<admin session>` (both in the one header that Caddy's
// access logs never write). It returns the administrator and the id of the
// session used, if any.
func (a *API) authenticate(kr *keyring.Keyring, r *http.Request, remote string) (string, string, error) {
	cred, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token, session, withSession := strings.Cut(strings.TrimSpace(cred), ".")
	if withSession {
		name, s, err := kr.VerifyAdminSession(token, session, remote)
		return name, s.ID, err
	}
	name, err := kr.VerifyAdmin(token, strings.TrimSpace(r.Header.Get("X-TOTP-Code")), remote)
	return name, "", err
}

// relPath is the request path below the prefix.
func (a *API) relPath(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, a.opts.Prefix)
	if p == "" {
		p = "/"
	}
	return p
}

// dispatch routes the call on its path below the prefix; unknown routes
// and methods get problem documents.
func (a *API) dispatch(w http.ResponseWriter, r *http.Request) {
	if !a.Owns(r.URL.Path) {
		WriteProblem(w, http.StatusNotFound, errNotFound, "no such admin route")
		return
	}
	rel := a.relPath(r)
	if rel != "/" && path.Clean(rel) != rel {
		// Non-canonical ("/keys//x", "/keys/", "/a/../keys"): the mux would
		// answer with a redirect; an API answers that there is no such route.
		WriteProblem(w, http.StatusNotFound, errNotFound, "no such admin route")
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = rel
	r2.URL.RawPath = ""
	h, pattern := a.mux.Handler(r2)
	if pattern == "" {
		// Let the mux tell 404 from 405 (and set Allow), then answer with
		// a problem document instead of its text body.
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r2)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if probe.code == http.StatusMethodNotAllowed {
			WriteProblem(w, http.StatusMethodNotAllowed, errMethod, "method not allowed on this admin route")
			return
		}
		WriteProblem(w, http.StatusNotFound, errNotFound, "no such admin route")
		return
	}
	a.mux.ServeHTTP(w, r2) // sets the path values
}

// remoteAddr is the client address Caddy determined (trusted proxies
// applied) or the connection's peer.
func remoteAddr(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	return r.RemoteAddr
}

func isLockout(err error) bool {
	var le *keyring.LockoutError
	return errors.As(err, &le)
}
