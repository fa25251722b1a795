package plugin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/keyring"
)

// In-process tests of the handlers' ServeHTTP on the fixture of
// guard_bench_test.go: what a client sees for each kind of denial, what the
// guard hands the next handler, and what facegate_api answers behind it.

// envelope is SkyBiometry's answer as the client reads it.
type envelope struct {
	Status       string `json:"status"`
	ErrorCode    int    `json:"error_code"`
	ErrorMessage string `json:"error_message"`
	OperationID  string `json:"operation_id"`
}

func decodeEnvelope(t *testing.T, w *httptest.ResponseRecorder) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("HTTP %d body %q: %v", w.Code, w.Body, err)
	}
	return e
}

// formRequest is a POST to /fc/<route> with form, over TLS unless plain.
func (b *benchGuard) formRequest(t *testing.T, route string, form url.Values, plain bool) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/fc/"+route, strings.NewReader(form.Encode()))
	r.Host = "localhost"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !plain {
		r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	}
	return r
}

func TestGuardDenials(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	key, secret := bg.plain[0], bg.plain[1]
	creds := func(extra ...string) url.Values {
		v := url.Values{"api_key": {key}, "api_secret": {secret}, "uids": {"someone@demo"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tests := []struct {
		name   string
		route  string
		form   url.Values
		plain  bool
		legacy bool
		status int
		code   int
		detail string
	}{
		{"unknown key", "tags/get", creds("api_key", "fg_live_nope"), false, false, 401, skyerr.APIKey, "invalid api key"},
		{"wrong secret", "tags/get", creds("api_secret", "not-it"), false, false, 401, skyerr.NotAuthenticated, "invalid api secret"},
		{"secret over plain HTTP", "tags/get", creds(), true, false, 403, skyerr.Authorization, "api_secret is refused over plain HTTP: use HTTPS"},
		{"namespace not owned", "tags/get", creds("uids", "someone@other"), false, false, 403, skyerr.Namespace, "namespace not owned by this api key"},
		{"unknown method", "faces/teleport", creds(), false, false, 404, skyerr.UnknownMethod, "unknown method"},
		{"invalid argument", "tags/get", creds("limit", "0"), false, false, 400, skyerr.InvalidArgs, ""},
		{"legacy status codes", "tags/get", creds("api_secret", "not-it"), false, true, 400, skyerr.NotAuthenticated, "invalid api secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bg.g.app.LegacyStatusCodes = tt.legacy
			defer func() { bg.g.app.LegacyStatusCodes = false }()
			called := false
			next := handlerFunc(func(http.ResponseWriter, *http.Request) error { called = true; return nil })
			w := httptest.NewRecorder()
			if err := bg.g.ServeHTTP(w, bg.formRequest(t, tt.route, tt.form, tt.plain), next); err != nil {
				t.Fatal(err)
			}
			e := decodeEnvelope(t, w)
			if called || w.Code != tt.status || e.Status != "failure" || e.ErrorCode != tt.code {
				t.Fatalf("next called %t, HTTP %d %+v; want HTTP %d code %d", called, w.Code, e, tt.status, tt.code)
			}
			want := skyerr.New(tt.code, tt.detail).Error()
			if tt.detail == "" && !strings.HasPrefix(e.ErrorMessage, skyerr.Name(tt.code)+" - ") || tt.detail != "" && e.ErrorMessage != want {
				t.Errorf("error_message %q, want %q", e.ErrorMessage, want)
			}
			if e.OperationID == "" || w.Header().Get("X-Operation-Id") != e.OperationID {
				t.Errorf("operation id: header %q body %q", w.Header().Get("X-Operation-Id"), e.OperationID)
			}
			if w.Header().Get("Strict-Transport-Security") != "" {
				t.Error("the guard set HSTS: that is the site's header directive")
			}
			if strings.Contains(w.Body.String(), secret) {
				t.Error("the answer echoes the secret")
			}
		})
	}
}

// TestGuardProxyDenial: in proxy mode a denial is application/problem+json
// with the same code and status.
func TestGuardProxyDenial(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	bg.g.Mode = "proxy"
	r := httptest.NewRequest(http.MethodGet, "https://localhost/v1/items", nil)
	r.TLS = bg.request(t, bg.plain, false).TLS
	r.Header.Set("X-Api-Key", bg.plain[0])
	r.Header.Set("X-Api-Secret", "not-it")
	w := httptest.NewRecorder()
	if err := bg.g.ServeHTTP(w, r, handlerFunc(bg.okNext)); err != nil {
		t.Fatal(err)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("HTTP %d %s %q: %v", w.Code, w.Header().Get("Content-Type"), w.Body, err)
	}
	if w.Code != 401 || p.Status != 401 || p.ErrorCode != skyerr.NotAuthenticated || p.Title != "API_KEY_NOT_AUTHENTICATED" || p.Detail != "invalid api secret" {
		t.Errorf("HTTP %d %+v", w.Code, p)
	}
}

// TestGuardRateLimitDenial: a key over its rate limit gets 429, error 202,
// Retry-After and the usage block, and the next handler is not called.
func TestGuardRateLimitDenial(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	k, secret, err := bg.st.keys.Create(keyring.CreateParams{Owner: "demo", Namespaces: []string{"demo"}, Scopes: []string{"*"},
		Tier: "unlimited", AuthModes: []string{"secret"},
		Limits: map[string]any{"key-rate": map[string]any{"kind": "rate", "rate": 1.0, "per_s": 3600.0, "burst": 1.0}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	next := handlerFunc(func(w http.ResponseWriter, _ *http.Request) error { calls++; return bg.okNext(w, nil) })
	var w *httptest.ResponseRecorder
	for range 2 {
		w = httptest.NewRecorder()
		if err := bg.g.ServeHTTP(w, bg.request(t, [2]string{k.ID, secret}, false), next); err != nil {
			t.Fatal(err)
		}
	}
	e := decodeEnvelope(t, w)
	if calls != 1 || w.Code != http.StatusTooManyRequests || e.ErrorCode != skyerr.Quota || w.Header().Get("Retry-After") == "" {
		t.Fatalf("calls %d, HTTP %d %+v Retry-After %q", calls, w.Code, e, w.Header().Get("Retry-After"))
	}
	if !strings.Contains(w.Body.String(), `"usage"`) {
		t.Errorf("no usage block in %s", w.Body)
	}
}

// TestGuardAdmits: an allowed call reaches the next handler with the key,
// the route and the operation id of the answer.
func TestGuardAdmits(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	var adm *admitted
	next := handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		adm = admittedFrom(r.Context())
		return bg.okNext(w, r)
	})
	w := httptest.NewRecorder()
	if err := bg.g.ServeHTTP(w, bg.request(t, bg.plain, true), next); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusOK || adm == nil {
		t.Fatalf("HTTP %d %s, admitted %v", w.Code, w.Body, adm)
	}
	if adm.Key.ID != bg.plain[0] || adm.Request.Route != "tags/get" || adm.OperationID != w.Header().Get("X-Operation-Id") {
		t.Errorf("admitted key %q route %q op %q (header %q)", adm.Key.ID, adm.Request.Route, adm.OperationID, w.Header().Get("X-Operation-Id"))
	}
	if w.Header().Get("Signature") == "" {
		t.Error("the answer to a signed request is not signed")
	}
}

// withService gives the fixture's state a face service (no analyzer: the
// routes used here read the store only).
func withService(t *testing.T, bg *benchGuard) *API {
	t.Helper()
	svc, err := service.New(bg.st.store, index.New(), nil, nil, service.Options{NamespaceOwner: bg.st.keys.NamespaceOwner})
	if err != nil {
		t.Fatal(err)
	}
	bg.st.service = svc
	return &API{app: bg.g.app, logger: bg.g.logger}
}

func TestAPIServeHTTP(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	api := withService(t, bg)
	through := func(t *testing.T, route string, form url.Values) (*httptest.ResponseRecorder, map[string]any) {
		t.Helper()
		form.Set("api_key", bg.plain[0])
		form.Set("api_secret", bg.plain[1])
		w := httptest.NewRecorder()
		next := handlerFunc(func(w http.ResponseWriter, r *http.Request) error { return api.ServeHTTP(w, r, nil) })
		if err := bg.g.ServeHTTP(w, bg.formRequest(t, route, form, false), next); err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("HTTP %d %q: %v", w.Code, w.Body, err)
		}
		return w, body
	}
	t.Run("not behind the guard", func(t *testing.T) {
		w := httptest.NewRecorder()
		if err := api.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/fc/tags/get", nil), nil); err != nil {
			t.Fatal(err)
		}
		if e := decodeEnvelope(t, w); w.Code != 500 || e.ErrorCode != skyerr.Internal {
			t.Fatalf("HTTP %d %+v, want fail closed", w.Code, e)
		}
	})
	t.Run("success", func(t *testing.T) {
		w, body := through(t, "account/authenticate", url.Values{})
		if w.Code != 200 || body["status"] != "success" || body["authenticated"] != true || body["operation_id"] != w.Header().Get("X-Operation-Id") {
			t.Fatalf("HTTP %d %v", w.Code, body)
		}
	})
	t.Run("service error", func(t *testing.T) {
		w, body := through(t, "tags/remove", url.Values{"tids": {"TEMP_F@0123456789abcdef0123456789abcdef_0.00_0.00_0_0"}})
		if w.Code == 200 || body["status"] != "failure" {
			t.Fatalf("HTTP %d %v", w.Code, body)
		}
		code := int(body["error_code"].(float64))
		if w.Code != skyerr.Status(code) || !strings.HasPrefix(fmt.Sprint(body["error_message"]), skyerr.Name(code)) {
			t.Errorf("HTTP %d for %v", w.Code, body)
		}
	})
	t.Run("jsonp off", func(t *testing.T) {
		w, body := through(t, "account/authenticate", url.Values{"callback": {"cb"}})
		if w.Code != 400 || body["error_code"] != float64(skyerr.InvalidArgs) || body["error_message"] != "INVALID_ARGUMENTS_VALUE - JSONP callbacks are disabled on this server" {
			t.Fatalf("HTTP %d %v", w.Code, body)
		}
	})
}

// TestGuardErrorsRouteVars: with denials errors, the handler error carries
// the status and SkyBiometry's message, and the facegate.* variables name
// the key, route, reason and code for handle_errors placeholders.
func TestGuardErrorsRouteVars(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	bg.g.Denials = "errors"
	r := bg.formRequest(t, "tags/get", url.Values{"api_key": {bg.plain[0]}, "api_secret": {bg.plain[1]}, "uids": {"x@other"}}, false)
	vars := map[string]any{}
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
	w := httptest.NewRecorder()
	err := bg.g.ServeHTTP(w, r, handlerFunc(bg.okNext))
	var he caddyhttp.HandlerError
	if !errors.As(err, &he) || he.StatusCode != 403 || he.Err.Error() != "UNAUTHORIZED_USER_NAMESPACE - namespace not owned by this api key" {
		t.Fatalf("err %v", err)
	}
	want := map[string]string{varKeyID: bg.plain[0], varRoute: "tags/get", varAllow: "false", varReason: "namespace_not_owned", varErrorCode: "404"}
	for k, v := range want {
		if got := fmt.Sprint(vars[k]); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
