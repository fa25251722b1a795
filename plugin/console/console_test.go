package console

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// backend is an admin.Backend over an in-memory keyring.
type backend struct{ kr *keyring.Keyring }

func (b backend) Keyring() *keyring.Keyring { return b.kr }
func (b backend) ReloadPolicies() error     { return errors.New("no policies here") }
func (b backend) EraseKeyData(string) error { return errors.New("no data here") }

type env struct {
	t     *testing.T
	kr    *keyring.Keyring
	clk   *clock
	c     *Console
	token string
	uri   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	kr, err := keyring.New(st, bytes.Repeat([]byte{2}, 32), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	token, uri, _, err := kr.CreateAdmin("root", "test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(backend{kr}, Options{SessionTTL: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, kr: kr, clk: clk, c: c, token: token, uri: uri}
}

// code moves to the next TOTP step and returns its code.
func (e *env) code() string {
	e.t.Helper()
	e.clk.Advance(30 * time.Second)
	key, err := otp.NewKeyFromURL(e.uri)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := totp.GenerateCodeCustom(key.Secret(), e.clk.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) do(method, path, body string, hdr map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://localhost"+path, strings.NewReader(body))
	r.TLS = &tls.ConnectionState{}
	r.RemoteAddr = "192.0.2.7:5000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.c.ServeHTTP(w, r)
	return w
}

// signin signs in and returns the cookie and the CSRF token.
func (e *env) signin() (*http.Cookie, string) {
	e.t.Helper()
	w := e.do(http.MethodPost, "/console/api/signin", `{"token":"`+e.token+`","code":"`+e.code()+`"}`, nil)
	if w.Code != http.StatusCreated {
		e.t.Fatalf("signin = %d: %s", w.Code, w.Body)
	}
	var me Me
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || me.CSRF == "" || me.Admin != "root" {
		e.t.Fatalf("signin answer %s", w.Body)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != CookieName {
		e.t.Fatalf("signin cookies %v", cookies)
	}
	return cookies[0], me.CSRF
}

func TestSigninCookieFlagsAndNoSecretInAnswers(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodPost, "/console/api/signin", `{"token":"`+e.token+`","code":"`+e.code()+`"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("signin = %d: %s", w.Code, w.Body)
	}
	set := w.Header().Get("Set-Cookie")
	for _, flag := range []string{"Secure", "HttpOnly", "SameSite=Strict", "Path=/console/", "Max-Age=300"} {
		if !strings.Contains(set, flag) {
			t.Errorf("cookie lacks %s: %s", flag, set)
		}
	}
	if strings.Contains(set, e.token) || strings.Contains(w.Body.String(), e.token) || strings.Contains(w.Body.String(), keyring.SessionPrefix) {
		t.Error("the admin token or the session is readable in the cookie or the answer")
	}
	if csp := w.Header().Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
		t.Errorf("CSP %q", csp)
	}
}

func TestCSRFGuardsEveryChange(t *testing.T) {
	e := newEnv(t)
	ck, csrf := e.signin()
	body := `{"owner":"acme","scopes":["faces/*"]}`
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"no token", nil},
		{"wrong token", map[string]string{"X-CSRF-Token": csrf + "x"}},
		{"other site", map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}},
		{"other origin", map[string]string{"X-CSRF-Token": csrf, "Origin": "https://evil.example"}},
	} {
		w := e.do(http.MethodPost, "/console/api/admin/keys", body, tc.hdr, ck)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: create key = %d, want 403", tc.name, w.Code)
		}
	}
	if keys, _ := e.kr.List(""); len(keys) != 0 {
		t.Fatalf("a refused change created %d keys", len(keys))
	}
	w := e.do(http.MethodPost, "/console/api/admin/keys", body, map[string]string{"X-CSRF-Token": csrf, "Origin": "https://localhost"}, ck)
	if w.Code != http.StatusCreated {
		t.Fatalf("create key with the CSRF token = %d: %s", w.Code, w.Body)
	}
	// Reads need no token; the answer is the admin API's.
	w = e.do(http.MethodGet, "/console/api/admin/keys?limit=10", "", nil, ck)
	var page keyring.KeyPage
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &page) != nil || len(page.Keys) != 1 {
		t.Fatalf("list keys = %d: %s", w.Code, w.Body)
	}
	// The change is audited under the administrator, as a session call.
	audit, _ := e.kr.ListAudit(time.Time{}, 100)
	found := false
	for _, a := range audit {
		found = found || (a.Action == "admin.api" && a.Actor == "root" && a.Target == "POST /keys")
	}
	if !found {
		t.Error("the console's change is not in the audit log as an admin API call")
	}
	// A forged or missing cookie is signed out.
	for _, c := range []*http.Cookie{{Name: CookieName, Value: "forged"}, {Name: CookieName, Value: ck.Value[:len(ck.Value)-2] + "AA"}} {
		if w := e.do(http.MethodGet, "/console/api/me", "", nil, c); w.Code != http.StatusUnauthorized {
			t.Errorf("forged cookie: /me = %d", w.Code)
		}
	}
	if w := e.do(http.MethodGet, "/console/api/admin/keys", "", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("no cookie: list = %d", w.Code)
	}
}

func TestSignoutAndExpiry(t *testing.T) {
	e := newEnv(t)
	ck, csrf := e.signin()
	if w := e.do(http.MethodGet, "/console/api/me", "", nil, ck); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), csrf) {
		t.Fatalf("/me = %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodPost, "/console/api/signout", "", nil, ck); w.Code != http.StatusForbidden {
		t.Errorf("sign-out without CSRF = %d", w.Code)
	}
	w := e.do(http.MethodPost, "/console/api/signout", "", map[string]string{"X-CSRF-Token": csrf}, ck)
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out = %d, cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	// The old cookie no longer works: the session is closed.
	w = e.do(http.MethodGet, "/console/api/admin/keys", "", nil, ck)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "admin_session_expired") ||
		!strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("after sign-out = %d %s", w.Code, w.Body)
	}

	ck, _ = e.signin()
	e.clk.Advance(5*time.Minute + time.Second)
	if w := e.do(http.MethodGet, "/console/api/me", "", nil, ck); w.Code != http.StatusUnauthorized {
		t.Errorf("expired sign-in: /me = %d", w.Code)
	}
}

func TestSigninLockout(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		w := e.do(http.MethodPost, "/console/api/signin", `{"token":"`+e.token+`","code":"000000"}`, nil)
		if w.Code != http.StatusUnauthorized || w.Header().Get("Set-Cookie") != "" {
			t.Fatalf("wrong code %d: %d, cookie %q", i, w.Code, w.Header().Get("Set-Cookie"))
		}
	}
	w := e.do(http.MethodPost, "/console/api/signin", `{"token":"`+e.token+`","code":"`+e.code()+`"}`, nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || w.Header().Get("Set-Cookie") != "" {
		t.Errorf("right code after 5 failures = %d (Retry-After %q)", w.Code, w.Header().Get("Retry-After"))
	}
	for _, bad := range []string{``, `{}`, `{"token":"a.b","code":"1"}`, `{"token":"x","code":"1","extra":1}`, strings.Repeat("x", 5000)} {
		if w := e.do(http.MethodPost, "/console/api/signin", bad, nil); w.Code != http.StatusBadRequest {
			t.Errorf("signin body %.20q = %d", bad, w.Code)
		}
	}
}

func TestFilesAndHeaders(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/console/", 200, "text/html"},
		{"/console/console.css", 200, "text/css"},
		{"/console/js/main.js", 200, "javascript"},
		{"/console/js/../index.html", 404, ""},
		{"/console/nope.js", 404, ""},
		{"/console", 308, ""},
		{"/console/api/nope", 404, ""},
	} {
		w := e.do(http.MethodGet, tc.path, "", nil)
		if w.Code != tc.status || !strings.Contains(w.Header().Get("Content-Type"), tc.ctype) {
			t.Errorf("GET %s = %d %q", tc.path, w.Code, w.Header().Get("Content-Type"))
		}
		for _, hdr := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if w.Header().Get(hdr) == "" {
				t.Errorf("GET %s: no %s", tc.path, hdr)
			}
		}
	}
	if w := e.do(http.MethodPost, "/console/", "", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/ = %d", w.Code)
	}
	r := httptest.NewRequest(http.MethodGet, "http://localhost/console/", nil)
	w := httptest.NewRecorder()
	e.c.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("plain HTTP = %d", w.Code)
	}
}

// TestNoInlineScriptOrStyle checks the page against its own CSP: every
// script is a file, no element has a style attribute or an on* handler.
func TestNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t)
	page := e.do(http.MethodGet, "/console/", "", nil).Body.String()
	low := strings.ToLower(page)
	if strings.Contains(low, "<style") || strings.Contains(low, " style=") || strings.Contains(low, " onclick=") || strings.Contains(low, " onload=") {
		t.Error("index.html has inline style or handlers")
	}
	for _, s := range strings.Split(low, "<script")[1:] {
		if !strings.Contains(s[:strings.Index(s, ">")], "src=") {
			t.Error("index.html has an inline script")
		}
	}
	for _, name := range []string{"main.js", "keys.js", "tryit.js", "admins.js", "audit.js", "namespaces.js", "policies.js", "dom.js", "api.js", "chart.js", "usage.js", "status.js"} {
		body, _ := io.ReadAll(e.do(http.MethodGet, "/console/js/"+name, "", nil).Body)
		for _, bad := range []string{"innerHTML", "outerHTML =", "eval(", "new Function", "document.write", "localStorage", "sessionStorage"} {
			if strings.Contains(string(body), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}
