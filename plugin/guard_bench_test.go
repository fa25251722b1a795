package plugin

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/policies"
	"github.com/facegate/facegate/store"
)

// The in-process cost of facegate_guard's ServeHTTP (everything but TLS,
// HTTP parsing and Caddy's routing, which `go run ./tests/bench guard`
// measures on the real binary): one allowed tags/get call in front of a
// handler that answers "ok", with the decision log encoded as JSON to a
// discarding writer, metrics live. Run:
//
//	go test ./plugin/ -run '^$' -bench Guard -benchmem

// benchGuard is a guard on an in-memory store with the embedded policies
// and two keys: plain (tier unlimited, no limit charged) and limited
// (three very high per-key limit overrides, charged on every request).
type benchGuard struct {
	g        *Guard
	st       *state
	plain    [2]string
	limited  [2]string
	okNext   func(w http.ResponseWriter, r *http.Request) error
	teardown func()
}

func newBenchGuard(tb testing.TB) *benchGuard {
	tb.Helper()
	initMetrics(prometheus.NewRegistry()) // metrics are live, as in a running server
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		tb.Fatal(err)
	}
	kr, err := keyring.New(st, bytes.Repeat([]byte{4}, 32), time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	if err := kr.CreateNamespace("demo", "demo", "bench"); err != nil {
		tb.Fatal(err)
	}
	create := func(lim map[string]any) [2]string {
		k, secret, err := kr.Create(keyring.CreateParams{Owner: "demo", Namespaces: []string{"demo"}, Scopes: []string{"*"},
			Tier: "unlimited", AuthModes: []string{"secret", "signature"}, Limits: lim}, "bench")
		if err != nil {
			tb.Fatal(err)
		}
		return [2]string{k.ID, secret}
	}
	huge := 1_000_000_000.0
	s := &state{logger: zap.NewNop(), store: st, keys: kr}
	if s.decider, err = policies.NewDecider(policies.Options{}); err != nil {
		tb.Fatal(err)
	}
	if s.validator, err = policies.NewValidator(""); err != nil {
		tb.Fatal(err)
	}
	s.limiter = limits.New(limits.SystemClock{}, 100_000)
	s.nonces = newNonceGuard(st, zap.NewNop())
	app := &App{}
	app.Limits.setDefaults()
	app.started = make(chan struct{})
	app.state.Store(s)
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	logger := zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	b := &benchGuard{
		g:     &Guard{Mode: "api", app: app, logger: logger},
		st:    s,
		plain: create(nil),
		limited: create(map[string]any{
			"concurrency": map[string]any{"kind": "concurrency", "count": 10_000.0},
			"key-rate":    map[string]any{"kind": "rate", "rate": huge, "per_s": 1.0, "burst": huge},
			"quota":       map[string]any{"kind": "quota", "count": huge, "per_s": 3600.0},
		}),
		okNext: func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusOK)
			_, err := io.WriteString(w, "ok")
			return err
		},
	}
	b.teardown = func() { s.nonces.Close(); _ = st.Close() }
	return b
}

// request builds one tags/get call as the bench client sends it: secret in
// the form body, or an RFC 9421 signature with a fresh nonce.
func (b *benchGuard) request(tb testing.TB, key [2]string, signed bool) *http.Request {
	form := url.Values{"uids": {"someone@demo"}}
	if !signed {
		form.Set("api_key", key[0])
		form.Set("api_secret", key[1])
	}
	body := []byte(form.Encode())
	c, err := http.NewRequest(http.MethodPost, "https://localhost/fc/tags/get", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if signed {
		if err := httpsig.SignRequest(c, body, key[0], []byte(key[1]), time.Now()); err != nil {
			tb.Fatal(err)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/fc/tags/get", bytes.NewReader(body))
	r.Host = "localhost"
	r.Header = c.Header.Clone()
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	return r
}

func benchmarkGuard(b *testing.B, limited, signed bool) {
	bg := newBenchGuard(b)
	defer bg.teardown()
	key := bg.plain
	if limited {
		key = bg.limited
	}
	// Requests are built outside the timer: signing is the client's work.
	const batch = 256
	reqs := make([]*http.Request, batch)
	next := handlerFunc(bg.okNext)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%batch == 0 {
			b.StopTimer()
			for j := range reqs {
				reqs[j] = bg.request(b, key, signed)
			}
			b.StartTimer()
		}
		w := httptest.NewRecorder()
		if err := bg.g.ServeHTTP(w, reqs[i%batch], next); err != nil {
			b.Fatal(err)
		}
		if w.Code != http.StatusOK || !strings.HasSuffix(w.Body.String(), "ok") {
			b.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
	}
}

// handlerFunc adapts a function to caddyhttp.Handler.
type handlerFunc func(http.ResponseWriter, *http.Request) error

func (f handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) error { return f(w, r) }

func BenchmarkGuardSecret(b *testing.B)           { benchmarkGuard(b, false, false) }
func BenchmarkGuardSecretLimited(b *testing.B)    { benchmarkGuard(b, true, false) }
func BenchmarkGuardSignature(b *testing.B)        { benchmarkGuard(b, false, true) }
func BenchmarkGuardSignatureLimited(b *testing.B) { benchmarkGuard(b, true, true) }
