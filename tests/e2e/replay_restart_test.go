package e2e

import (
	"net/http"
	"net/url"
	"testing"
)

// TestReplayAfterRestart: a signed request seen before a restart is still
// refused as a replay afterwards (the nonce journal in the store), both after
// a graceful stop and after kill -9 right after the answer: a nonce is
// journaled before its request is served.
func TestReplayAfterRestart(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, crash := range []bool{false, true} {
		req, body := secSignedForm(t, s, "account/authenticate", s.creds.APIKey, s.creds.APISecret, url.Values{})
		if r := secDo(t, s.client, req); !r.ok() {
			t.Fatalf("signed request refused: %s", r)
		}
		if r := secDo(t, s.client, secResend(req, body)); r.ok() || r.code() != 204 {
			t.Fatalf("replay before the restart: %s", r)
		}
		if crash {
			s.kill() // at once: no time for a background flush
		} else {
			s.stop()
		}
		s.start()
		r := secDo(t, s.client, secResend(req, body))
		if r.ok() || r.Status != http.StatusUnauthorized || r.code() != 204 {
			t.Errorf("crash=%v: replay after the restart got %s", crash, r)
		}
		fresh, _ := secSignedForm(t, s, "account/authenticate", s.creds.APIKey, s.creds.APISecret, url.Values{})
		if r := secDo(t, s.client, fresh); !r.ok() {
			t.Errorf("crash=%v: a fresh signed request after the restart was refused: %s", crash, r)
		}
	}
}
