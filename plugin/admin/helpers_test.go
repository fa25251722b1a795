package admin

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
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

// clock is a settable clock shared by the keyring and the test client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeBackend is a Backend with hooks that record their calls.
type fakeBackend struct {
	kr        *keyring.Keyring
	reloadErr error
	mu        sync.Mutex
	reloads   int
	erasedKey []string
	erasedNS  []string
}

func (f *fakeBackend) Keyring() *keyring.Keyring { return f.kr }

func (f *fakeBackend) ReloadPolicies() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	return f.reloadErr
}

// EraseKeyData behaves like plugin.App's: it deletes the key too.
func (f *fakeBackend) EraseKeyData(id string) error {
	f.mu.Lock()
	f.erasedKey = append(f.erasedKey, id)
	f.mu.Unlock()
	return f.kr.Delete(id, "app")
}

func (f *fakeBackend) EraseNamespaceData(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.erasedNS = append(f.erasedNS, name)
	return nil
}

// env is an admin API over an in-memory keyring with one admin, "root".
type env struct {
	t       testing.TB
	kr      *keyring.Keyring
	clk     *clock
	backend *fakeBackend
	api     *API
	token   string
	uri     string
}

func newEnv(t testing.TB) *env {
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
	b := &fakeBackend{kr: kr}
	return &env{t: t, kr: kr, clk: clk, backend: b, api: New(b, Options{}), token: token, uri: uri}
}

// code moves the clock to the next TOTP step and returns its code, so that
// every call gets a fresh, unused code.
func (e *env) code() string {
	e.t.Helper()
	e.clk.Advance(30 * time.Second)
	return totpCode(e.t, e.uri, e.clk.Now())
}

func totpCode(t testing.TB, uri string, at time.Time) string {
	t.Helper()
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// req builds an HTTPS request to the API.
func req(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, "https://localhost"+path, strings.NewReader(body))
	r.TLS = &tls.ConnectionState{}
	r.RemoteAddr = "192.0.2.10:4000"
	return r
}

// call sends an authenticated request and returns the recorder.
func (e *env) call(method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := req(method, path, body)
	r.Header.Set("Authorization", "Bearer "+e.token)
	r.Header.Set("X-TOTP-Code", e.code())
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, r)
	return w
}

// callJSON sends an authenticated request, checks the status and decodes
// the JSON answer.
func (e *env) callJSON(method, path, body string, status int) map[string]any {
	e.t.Helper()
	w := e.call(method, path, body)
	if w.Code != status {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, w.Code, status, w.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return out
}

// problem decodes a problem document and checks its media type.
func problem(t *testing.T, w *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, w.Body)
	}
	var p Problem
	body, _ := io.ReadAll(w.Body)
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem is not JSON: %v", err)
	}
	if p.Status != w.Code || p.Title == "" || p.Error == "" {
		t.Fatalf("incomplete problem %+v for status %d", p, w.Code)
	}
	return p
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
