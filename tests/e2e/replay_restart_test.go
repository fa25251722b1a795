package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestReplayAfterRestart: a signed request accepted before a restart is
// still refused as a replay afterwards, after a graceful stop (the journal
// is complete) and after kill -9 right after the answer (signatures created
// up to the restart after a crash are refused, and one created ahead of the
// server's clock is served only once its nonce is in the journal).
func TestReplayAfterRestart(t *testing.T) {
	s := startServer(t, t.TempDir())
	signed := func(at time.Time) (*http.Request, []byte) {
		body := []byte(url.Values{"n": {at.String()}}.Encode())
		req, _ := http.NewRequest(http.MethodPost, s.url("/fc/account/authenticate"), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		secSign(t, req, body, s.creds.APIKey, s.creds.APISecret, at)
		return req, body
	}
	for _, tc := range []struct {
		name  string
		crash bool
		ahead time.Duration // the client's clock ahead of the server's
	}{
		{"graceful stop", false, 0},
		{"kill -9", true, 0},
		{"kill -9, client clock 20 s ahead", true, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond))) // past the start second
			req, body := signed(time.Now().Add(tc.ahead))
			if r := secDo(t, s.client, secResend(req, body)); !r.ok() {
				t.Fatalf("signed request refused: %s", r)
			}
			if tc.crash {
				s.kill() // at once: no time for a background flush
			} else {
				if r := secDo(t, s.client, secResend(req, body)); r.ok() || r.code() != 204 {
					t.Fatalf("replay before the restart: %s", r)
				}
				s.stop()
			}
			s.start()
			r := secDo(t, s.client, secResend(req, body))
			if r.ok() || r.Status != http.StatusUnauthorized || r.code() != 204 {
				t.Errorf("replay after the restart got %s", r)
			}
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
			fresh, fb := signed(time.Now())
			if r := secDo(t, s.client, secResend(fresh, fb)); !r.ok() {
				t.Errorf("a fresh signed request after the restart was refused: %s", r)
			}
		})
	}
}
