package plugin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

// A key that is not cached while the cluster's PostgreSQL is down cannot be
// read: the guard answers 105 (HTTP 503, Retry-After), not 401 (nor, for a
// large body, the refusal of a body before credentials), and does not
// count it as a failed authentication (more calls than the per-address
// lockout allows are all 105, never 204); the same key is admitted once
// PostgreSQL is back.
func TestGuardKeyStoreUnreachable(t *testing.T) {
	srv := pgtest.Start(t)
	dsn, err := srv.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	bg := newBenchGuard(t)
	defer bg.teardown()
	st, err := store.Open(storeOptions(stateConfig{PostgresURL: dsn}, bytes.Repeat([]byte{3}, store.KeySize), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kkey := bytes.Repeat([]byte{4}, keyring.ServerKeySize)
	writer, err := keyring.New(st, kkey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.CreateNamespace("demo", "demo", "test"); err != nil {
		t.Fatal(err)
	}
	k, secret, err := writer.Create(keyring.CreateParams{Owner: "demo", Namespaces: []string{"demo"}, Scopes: []string{"*"},
		Tier: "unlimited", AuthModes: []string{"secret"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	// The guard's keyring is another node's: nothing of the key cached.
	if bg.st.keys, err = keyring.New(st, kkey, time.Now); err != nil {
		t.Fatal(err)
	}
	bg.st.store = st
	call := func() *httptest.ResponseRecorder {
		t.Helper()
		w := httptest.NewRecorder()
		if err := bg.g.ServeHTTP(w, bg.request(t, [2]string{k.ID, secret}, false), handlerFunc(bg.okNext)); err != nil {
			t.Fatal(err)
		}
		return w
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	// a body past the size read before credentials check out, with them in
	// front of it (the body gate) or in the query: 105 as well, not counted
	big := func(inQuery bool) *httptest.ResponseRecorder {
		t.Helper()
		form := url.Values{"uids": {"someone@demo"}, "zpad": {strings.Repeat("a", preAuthBody+1)}}
		if !inQuery {
			form.Set("api_key", k.ID)
			form.Set("api_secret", secret)
		}
		r := bg.formRequest(t, "tags/get", form, false)
		if inQuery {
			r.URL.RawQuery = url.Values{"api_key": {k.ID}, "api_secret": {secret}}.Encode()
		}
		w := httptest.NewRecorder()
		if err := bg.g.ServeHTTP(w, r, handlerFunc(bg.okNext)); err != nil {
			t.Fatal(err)
		}
		return w
	}
	for i := range 15 {
		w := call()
		switch i % 3 {
		case 1:
			w = big(false)
		case 2:
			w = big(true)
		}
		e := decodeEnvelope(t, w)
		if w.Code != http.StatusServiceUnavailable || e.ErrorCode != skyerr.Unavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("call %d with postgres down: HTTP %d %+v Retry-After %q", i, w.Code, e, w.Header().Get("Retry-After"))
		}
		if bytes.Contains(w.Body.Bytes(), []byte(secret)) {
			t.Fatal("the answer quotes the secret")
		}
	}

	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		w := call()
		if w.Code == http.StatusOK {
			break
		}
		if e := decodeEnvelope(t, w); e.ErrorCode != skyerr.Unavailable || time.Now().After(deadline) {
			t.Fatalf("after postgres came back: HTTP %d %+v", w.Code, e)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
