package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestLimitsExact fires bounded bursts of concurrent requests on loopback
// at keys with custom limits (set through the admin API) and checks that
// exactly the allowed number pass, the rest get 429 with error 202/203 and
// Retry-After, and usage.remaining counts down by images.
func TestLimitsExact(t *testing.T) {
	png := secPNG(t, 32, 32)
	up := newSecUpstream(t, png)
	s := secStartConfig(t, t.TempDir(), func(*server) string {
		return secCaddyfile("\t\turl_allow_hosts " + up.Listener.Addr().String())
	})
	adm := newSecAdmin(t, s)
	adm.createNamespace("limitsns", "limits")
	newKey := func(limits map[string]any) (string, string) {
		return adm.createKey(map[string]any{"owner": "limits", "namespaces": []string{"limitsns"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret"}, "limits": limits})
	}
	c := secClient(t, s)

	t.Run("quota of 30 images under 50 concurrent calls", func(t *testing.T) {
		k, sec := newKey(map[string]any{"quota": map[string]any{"kind": "quota", "count": 30, "per_s": 3600}})
		cred := map[string]string{"api_key": k, "api_secret": sec}
		res := secBurst(t, 50, func(int) *secResp { return secDo(t, c, secMultipart(s, "faces/detect", cred, png)) })
		var remaining []int
		for _, r := range res {
			switch {
			case r.ok():
				remaining = append(remaining, secUsage(r).Remaining)
			case r.Status == http.StatusTooManyRequests && r.code() == 202 && r.Header.Get("Retry-After") != "":
			default:
				t.Errorf("unexpected answer: %s", r)
			}
		}
		slices.Sort(remaining)
		want := make([]int, 30)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(remaining, want) {
			t.Errorf("%d calls passed with usage.remaining %v, want exactly 30 with 0..29 each once", len(remaining), remaining)
		}
	})

	t.Run("quota counts images", func(t *testing.T) {
		k, sec := newKey(map[string]any{"quota": map[string]any{"kind": "quota", "count": 10, "per_s": 3600}})
		cred := map[string]string{"api_key": k, "api_secret": sec}
		for i, step := range []struct {
			images    int
			ok        bool
			remaining int
		}{{3, true, 7}, {3, true, 4}, {3, true, 1}, {3, false, 1}, {1, true, 0}, {1, false, 0}} {
			imgs := make([][]byte, step.images)
			for j := range imgs {
				imgs[j] = png
			}
			r := secDo(t, c, secMultipart(s, "faces/detect", cred, imgs...))
			u := secUsage(r)
			if r.ok() != step.ok || u.Remaining != step.remaining || u.Limit != 10 {
				t.Errorf("step %d (%d images): %s usage %+v, want ok=%v remaining %d of 10", i, step.images, r, u, step.ok, step.remaining)
			}
			if !step.ok && (r.Status != http.StatusTooManyRequests || r.code() != 202 || r.Header.Get("Retry-After") == "") {
				t.Errorf("step %d: %s, want 429 error 202 with Retry-After", i, r)
			}
		}
		// account/* routes are not charged to the quota.
		if r := secCall(t, c, s, "account/authenticate", k, sec, nil); !r.ok() {
			t.Errorf("account/authenticate with the quota used up: %s", r)
		}
	})

	t.Run("burst of 20 under 60 concurrent calls", func(t *testing.T) {
		// One token an hour: the bucket does not refill during the test,
		// so exactly the burst passes however the calls are scheduled.
		k, sec := newKey(map[string]any{"burst": map[string]any{"kind": "rate", "rate": 1, "per_s": 3600, "burst": 20}})
		res := secBurst(t, 60, func(int) *secResp { return secCall(t, c, s, "account/authenticate", k, sec, nil) })
		passed := 0
		for _, r := range res {
			switch {
			case r.ok():
				passed++
				if r.Header.Get("RateLimit") == "" {
					t.Errorf("admitted call without a RateLimit header: %v", r.Header)
				}
			case r.Status != http.StatusTooManyRequests || r.code() != 202 || r.Header.Get("Retry-After") == "":
				t.Errorf("refused call: %s Retry-After %q, want 429 error 202", r, r.Header.Get("Retry-After"))
			}
		}
		if passed != 20 {
			t.Errorf("%d of 60 calls passed, want exactly 20", passed)
		}
	})

	t.Run("rate 20/s burst 20", func(t *testing.T) {
		k, sec := newKey(map[string]any{"key-rate": map[string]any{"kind": "rate", "rate": 20, "per_s": 1, "burst": 20}})
		start := time.Now()
		res := secBurst(t, 80, func(int) *secResp { return secCall(t, c, s, "account/authenticate", k, sec, nil) })
		elapsed := time.Since(start)
		passed := 0
		for _, r := range res {
			if r.ok() {
				passed++
			} else if r.Status != http.StatusTooManyRequests || r.code() != 202 {
				t.Errorf("refused call: %s", r)
			}
		}
		// The burst plus what refilled while the calls ran.
		most := 20 + int(elapsed.Seconds()*20) + 1
		if passed < 20 || passed > most {
			t.Errorf("%d of 80 calls passed in %v, want between 20 and %d", passed, elapsed, most)
		}
		t.Logf("%d of 80 passed in %v", passed, elapsed)
	})

	t.Run("concurrency of 3 under 12 slow calls", func(t *testing.T) {
		k, sec := newKey(map[string]any{"concurrency": map[string]any{"kind": "concurrency", "count": 3}})
		res := secBurst(t, 12, func(int) *secResp {
			return secCall(t, c, s, "faces/detect", k, sec, url.Values{"urls": {up.URL + "/slow.png"}})
		})
		passed := 0
		for _, r := range res {
			switch {
			case r.ok():
				passed++
			case r.Status != http.StatusTooManyRequests || r.code() != 203 || r.Header.Get("Retry-After") == "":
				t.Errorf("refused call: %s, want 429 error 203 with Retry-After", r)
			}
		}
		if passed != 3 {
			t.Errorf("%d of 12 concurrent slow calls passed, want exactly 3", passed)
		}
		// The slots are free again afterwards.
		if r := secCall(t, c, s, "faces/detect", k, sec, url.Values{"urls": {up.URL + "/good.png"}}); !r.ok() {
			t.Errorf("after the burst: %s", r)
		}
	})
}

// secBurst runs n calls at once (released together) and returns their
// answers; it fails the test if they take longer than a minute.
func secBurst(t testing.TB, n int, call func(i int) *secResp) []*secResp {
	t.Helper()
	out := make([]*secResp, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = call(i)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	close(start)
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%d calls did not finish within a minute", n)
	}
	return out
}

// secUsageBlock is the part of SkyBiometry's usage block the tests read.
type secUsageBlock struct {
	Used      int `json:"used"`
	Remaining int `json:"remaining"`
	Limit     int `json:"limit"`
}

func secUsage(r *secResp) secUsageBlock {
	var u secUsageBlock
	_ = json.Unmarshal(secRaw(r.JSON["usage"]), &u)
	return u
}
