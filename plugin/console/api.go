package console

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/admin"
	"github.com/facegate/facegate/plugin/keyring"
)

// signinRequest is the body of POST /api/signin.
type signinRequest struct {
	Token string `json:"token"`
	Code  string `json:"code"`
}

// Me is the answer to signin and GET /api/me: who is signed in until when,
// and the CSRF token the page sends with every change. No secret.
type Me struct {
	Admin     string `json:"admin"`
	ExpiresAt int64  `json:"expires_at"`
	CSRF      string `json:"csrf"`
}

// serveAPI routes /api/... (rel is the path after /api).
func (c *Console) serveAPI(w http.ResponseWriter, r *http.Request, rel string) {
	if !sameSite(r) {
		admin.WriteProblem(w, http.StatusForbidden, "cross_site", "cross-site calls to the console are refused")
		return
	}
	switch {
	case rel == "/signin":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		c.signin(w, r)
	case rel == "/signout":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		c.withSignIn(w, r, c.signout)
	case rel == "/me":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, http.MethodGet)
			return
		}
		c.withSignIn(w, r, func(w http.ResponseWriter, r *http.Request, s signIn) {
			c.me(w, r, s)
		})
	case strings.HasPrefix(rel, "/admin/"):
		c.withSignIn(w, r, func(w http.ResponseWriter, r *http.Request, s signIn) {
			c.forward(w, r, s, strings.TrimPrefix(rel, "/admin"))
		})
	default:
		admin.WriteProblem(w, http.StatusNotFound, "not_found", "no such console route")
	}
}

// sameSite refuses calls that a browser marks as coming from another site
// (Sec-Fetch-Site) or whose Origin is not this host over HTTPS.
func sameSite(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host || (r.TLS != nil && u.Scheme != "https") {
			return false
		}
	}
	return true
}

// changes reports whether a method changes something (and needs CSRF).
func changes(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// withSignIn opens the cookie and, for changes, checks the CSRF token.
func (c *Console) withSignIn(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request, signIn)) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		admin.WriteProblem(w, http.StatusUnauthorized, "signed_out", "sign in with the admin token and a TOTP code")
		return
	}
	s, err := c.seal.open(ck.Value)
	if err != nil {
		clearCookie(w, c.opts.Prefix)
		admin.WriteProblem(w, http.StatusUnauthorized, "signed_out", "the sign-in is no longer valid; sign in again")
		return
	}
	if changes(r.Method) {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
			admin.WriteProblem(w, http.StatusForbidden, "csrf", "missing or wrong X-CSRF-Token")
			return
		}
	}
	next(w, r, s)
}

// signin opens an admin session through the admin API (POST /sessions
// with the token and the code: the admin lockout and audit apply) and sets
// the cookie.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	var req signinRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Token == "" || req.Code == "" || strings.Contains(req.Token, ".") {
		admin.WriteProblem(w, http.StatusBadRequest, "bad_request", `send {"token": "<admin token>", "code": "<TOTP code>"}`)
		return
	}
	rec := c.call(r, http.MethodPost, "/sessions", "Bearer "+req.Token, req.Code, nil)
	if rec.Code != http.StatusCreated {
		relay(w, rec)
		return
	}
	var opened admin.SessionOpened
	if err := json.Unmarshal(rec.Body.Bytes(), &opened); err != nil || opened.Session == "" {
		admin.WriteProblem(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	s := signIn{Token: req.Token, Session: opened.Session, CSRF: randomToken()}
	value, err := c.seal.seal(s)
	if err != nil {
		admin.WriteProblem(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: value, Path: c.opts.Prefix + "/",
		MaxAge: int(opened.TTLS), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.opts.Logger.Info("console sign-in", zap.String("admin", opened.Info.Admin), zap.String("session_id", opened.Info.ID))
	writeJSONAnswer(w, http.StatusCreated, Me{Admin: opened.Info.Admin, ExpiresAt: opened.Info.ExpiresAt, CSRF: s.CSRF})
}

// signout closes the session through the admin API and drops the cookie,
// whatever the admin API answered.
func (c *Console) signout(w http.ResponseWriter, r *http.Request, s signIn) {
	rec := c.call(r, http.MethodDelete, "/sessions/current", "Bearer "+s.Token+"."+s.Session, "", nil)
	clearCookie(w, c.opts.Prefix)
	if rec.Code != http.StatusOK && rec.Code != http.StatusUnauthorized {
		relay(w, rec)
		return
	}
	writeJSONAnswer(w, http.StatusOK, map[string]any{"signed_out": true})
}

// me answers who is signed in (checked by the admin API).
func (c *Console) me(w http.ResponseWriter, r *http.Request, s signIn) {
	rec := c.call(r, http.MethodGet, "/sessions/current", "Bearer "+s.Token+"."+s.Session, "", nil)
	if rec.Code != http.StatusOK {
		if rec.Code == http.StatusUnauthorized {
			clearCookie(w, c.opts.Prefix)
		}
		relay(w, rec)
		return
	}
	var out struct {
		Session keyring.AdminSession `json:"session"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		admin.WriteProblem(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	writeJSONAnswer(w, http.StatusOK, Me{Admin: out.Session.Admin, ExpiresAt: out.Session.ExpiresAt, CSRF: s.CSRF})
}

// forward makes the call on the admin API route with the cookie's
// credentials and relays the answer; a 401 (session expired or closed)
// also drops the cookie.
func (c *Console) forward(w http.ResponseWriter, r *http.Request, s signIn, route string) {
	if route == "/sessions" && r.Method == http.MethodPost {
		admin.WriteProblem(w, http.StatusForbidden, "session_needs_totp", "the console opens sessions only by signing in")
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: route, RawQuery: r.URL.RawQuery}
	r2.RequestURI = r2.URL.RequestURI()
	r2.Header = http.Header{"Authorization": {"Bearer " + s.Token + "." + s.Session}}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		r2.Header.Set("Content-Type", ct)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		r2.Body, r2.ContentLength = http.NoBody, 0
	}
	if r.ContentLength == 0 && changes(r.Method) {
		r2.Body = http.NoBody
	}
	cw := &cookieDropper{ResponseWriter: w, prefix: c.opts.Prefix}
	c.admin.ServeHTTP(cw, r2)
}

// call makes one admin API call in-process, with the context (client
// address, TLS) of the console request r, and records the answer.
func (c *Console) call(r *http.Request, method, route, auth, code string, body []byte) *httptest.ResponseRecorder {
	r2 := r.Clone(r.Context())
	r2.Method = method
	r2.URL = &url.URL{Path: route}
	r2.RequestURI = route
	r2.Header = http.Header{"Authorization": {auth}}
	if code != "" {
		r2.Header.Set("X-TOTP-Code", code)
	}
	r2.Body, r2.ContentLength = http.NoBody, 0
	if body != nil {
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		r2.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	c.admin.ServeHTTP(rec, r2)
	return rec
}

// relay copies a recorded admin API answer (a problem document) to w.
func relay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for _, name := range []string{"Content-Type", "Retry-After"} {
		if v := rec.Header().Get(name); v != "" {
			w.Header().Set(name, v)
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// cookieDropper clears the sign-in cookie when the admin API answers 401.
type cookieDropper struct {
	http.ResponseWriter
	prefix string
	wrote  bool
}

func (d *cookieDropper) WriteHeader(code int) {
	if !d.wrote && code == http.StatusUnauthorized {
		clearCookie(d.ResponseWriter, d.prefix)
	}
	d.wrote = true
	d.ResponseWriter.WriteHeader(code)
}

func (d *cookieDropper) Write(b []byte) (int, error) {
	if !d.wrote {
		d.WriteHeader(http.StatusOK)
	}
	return d.ResponseWriter.Write(b)
}

// clearCookie tells the browser to forget the sign-in.
func clearCookie(w http.ResponseWriter, prefix string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: prefix + "/", MaxAge: -1,
		Expires: time.Unix(0, 0), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	admin.WriteProblem(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this console route")
}

// writeJSONAnswer answers status with v as JSON.
func writeJSONAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
