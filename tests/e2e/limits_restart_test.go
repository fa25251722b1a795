package e2e

import (
	"net/http"
	"testing"
	"time"
)

// limitsLossWindow is plugin.limitsFlushEvery, the embedded limiter's stated
// loss window: a kill -9 forgets at most the charges of the last 250 ms.
const limitsLossWindow = 250 * time.Millisecond

// TestLimitsSurviveRestart: quotas, rate buckets and failed-authentication
// lockouts are not reset by a restart of the embedded mode: exactly after a
// graceful stop, exactly after a kill -9 that comes later than the stated
// loss window, and within that window after a kill -9 right after the calls.
func TestLimitsSurviveRestart(t *testing.T) {
	png := secPNG(t, 32, 32)
	s := secStartConfig(t, t.TempDir(), func(*server) string { return secCaddyfile("") })
	adm := newSecAdmin(t, s)
	adm.createNamespace("restartns", "restart")
	newKey := func() (string, string) {
		return adm.createKey(map[string]any{"owner": "restart", "namespaces": []string{"restartns"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret"}, "limits": map[string]any{
				"quota": map[string]any{"kind": "quota", "count": 10, "per_s": 3600},
				"burst": map[string]any{"kind": "rate", "rate": 1, "per_s": 3600, "burst": 6},
			}})
	}
	c := secClient(t, s)
	detect := func(k, sec string) *secResp {
		return secDo(t, c, secMultipart(s, "faces/detect", map[string]string{"api_key": k, "api_secret": sec}, png))
	}
	use := func(k, sec string, n int) {
		t.Helper()
		for i := range n {
			if r := detect(k, sec); !r.ok() {
				t.Fatalf("call %d: %s", i, r)
			}
		}
	}
	remainingAfterRestart := func(k, sec string) int {
		t.Helper()
		r := detect(k, sec)
		if !r.ok() {
			t.Fatalf("first call after the restart: %s", r)
		}
		return secUsage(r).Remaining
	}

	t.Run("graceful stop", func(t *testing.T) {
		k, sec := newKey()
		use(k, sec, 4)
		s.stop()
		s.start()
		if got := remainingAfterRestart(k, sec); got != 5 {
			t.Errorf("usage.remaining %d after 4+1 of 10, want 5", got)
		}
	})

	t.Run("kill -9 after the loss window", func(t *testing.T) {
		k, sec := newKey()
		use(k, sec, 4)
		time.Sleep(3 * limitsLossWindow)
		s.kill()
		s.start()
		if got := remainingAfterRestart(k, sec); got != 5 {
			t.Errorf("usage.remaining %d after 4+1 of 10, want 5", got)
		}
		// The rate bucket (burst 6, one unit an hour) was not refilled either.
		use(k, sec, 1)
		r := detect(k, sec)
		if r.Status != http.StatusTooManyRequests || r.code() != 202 || r.Header.Get("Retry-After") == "" {
			t.Errorf("7th call with a burst of 6: %s, want 429 error 202 with Retry-After", r)
		}
	})

	t.Run("kill -9 at once", func(t *testing.T) {
		k, sec := newKey()
		use(k, sec, 2)
		time.Sleep(3 * limitsLossWindow) // these two are past the window
		use(k, sec, 2)                   // these two may be lost
		s.kill()
		s.start()
		if got := remainingAfterRestart(k, sec); got < 10-4-1 || got > 10-2-1 {
			t.Errorf("usage.remaining %d: charges older than the %v loss window were lost (want 5 to 7)", got, limitsLossWindow)
		}
	})

	t.Run("failed-authentication lockout, kill -9", func(t *testing.T) {
		k, sec := newKey()
		attacker := secClient(t, s)
		for range 10 {
			secDo(t, attacker, secMultipart(s, "faces/detect", map[string]string{"api_key": k, "api_secret": "wrong"}, png))
		}
		time.Sleep(3 * limitsLossWindow)
		s.kill()
		s.start()
		r := secDo(t, attacker, secMultipart(s, "faces/detect", map[string]string{"api_key": k, "api_secret": sec}, png))
		if r.Status != http.StatusTooManyRequests || r.code() != 204 || r.Header.Get("Retry-After") == "" {
			t.Errorf("locked-out address after the restart: %s, want 429 error 204 with Retry-After", r)
		}
		if r := detect(k, sec); !r.ok() {
			t.Errorf("the key's holder from another address after the restart: %s", r)
		}
	})
}
