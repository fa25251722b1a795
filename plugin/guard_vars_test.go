package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestGuardSetsPlaceholders runs the guard in process and checks the Caddy
// variables it leaves for placeholders, for an allowed and a denied call.
func TestGuardSetsPlaceholders(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	tests := []struct {
		name   string
		secret string
		status int
		want   map[string]string
	}{
		{"allowed", bg.plain[1], http.StatusOK, map[string]string{
			varKeyID: bg.plain[0], varOwner: "demo", varRoute: "tags/get", varAllow: "true"}},
		{"wrong secret", "not-the-secret", http.StatusUnauthorized, map[string]string{
			varKeyID: bg.plain[0], varOwner: "demo", varRoute: "tags/get", varAllow: "false",
			varReason: "secret_invalid", varErrorCode: "204"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bg.request(t, [2]string{bg.plain[0], tt.secret}, false)
			vars := map[string]any{}
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
			w := httptest.NewRecorder()
			if err := bg.g.ServeHTTP(w, r, handlerFunc(bg.okNext)); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status {
				t.Fatalf("HTTP %d %s", w.Code, w.Body)
			}
			for k, v := range tt.want {
				if got := fmt.Sprint(vars[k]); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tt.want[varAllow] == "true" {
				if _, ok := vars[varReason]; ok {
					t.Errorf("an allowed call has a reason: %v", vars[varReason])
				}
			}
			for k, v := range vars {
				if strings.Contains(fmt.Sprint(v), bg.plain[1]) {
					t.Errorf("variable %s holds the secret", k)
				}
			}
		})
	}
}

// TestGuardDenialsToErrorRoutes: with denials errors, a denial is returned
// to Caddy as an HTTP error (for handle_errors) instead of being written,
// and an allowed call is served as usual.
func TestGuardDenialsToErrorRoutes(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	bg.g.Denials = "errors"
	if err := bg.g.Validate(); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	err := bg.g.ServeHTTP(w, bg.request(t, [2]string{bg.plain[0], "wrong"}, false), handlerFunc(bg.okNext))
	var he caddyhttp.HandlerError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized || !strings.Contains(he.Err.Error(), "API_KEY_NOT_AUTHENTICATED") {
		t.Fatalf("denial: %v, want a 401 handler error with SkyBiometry's name", err)
	}
	if w.Body.Len() != 0 {
		t.Fatalf("the denial was written too: %s", w.Body)
	}
	w = httptest.NewRecorder()
	if err := bg.g.ServeHTTP(w, bg.request(t, bg.plain, false), handlerFunc(bg.okNext)); err != nil || w.Code != http.StatusOK {
		t.Fatalf("allowed call: %v HTTP %d", err, w.Code)
	}
	bg.g.Denials = "sometimes"
	if err := bg.g.Validate(); err == nil {
		t.Fatal("an unknown denials value was accepted")
	}
}

// TestGuardDecisionLogLevels: a denial is logged at INFO (without the
// secret), an allowed call only at DEBUG.
func TestGuardDecisionLogLevels(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	for _, level := range []zapcore.Level{zapcore.InfoLevel, zapcore.DebugLevel} {
		core, logs := observer.New(level)
		bg.g.logger = zap.New(core)
		for _, secret := range []string{bg.plain[1], "not-the-secret"} {
			w := httptest.NewRecorder()
			if err := bg.g.ServeHTTP(w, bg.request(t, [2]string{bg.plain[0], secret}, false), handlerFunc(bg.okNext)); err != nil {
				t.Fatal(err)
			}
		}
		var allowed, denied int
		for _, e := range logs.FilterMessage("decision").All() {
			f := e.ContextMap()
			if strings.Contains(fmt.Sprint(f), bg.plain[1]) {
				t.Fatalf("the decision log holds the secret: %v", f)
			}
			switch {
			case f["allow"] == true && e.Level == zapcore.DebugLevel:
				allowed++
			case f["allow"] == false && e.Level == zapcore.InfoLevel && f["reason"] == "secret_invalid" && f["key_id"] == bg.plain[0]:
				denied++
			default:
				t.Errorf("unexpected decision line at %s: %v", e.Level, f)
			}
		}
		wantAllowed := 0
		if level == zapcore.DebugLevel {
			wantAllowed = 1
		}
		if allowed != wantAllowed || denied != 1 {
			t.Errorf("logger at %s: %d allowed and %d denied decision lines, want %d and 1", level, allowed, denied, wantAllowed)
		}
	}
}
