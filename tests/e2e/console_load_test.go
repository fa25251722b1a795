package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleKeysPageLoad measures how long the console's keys page takes
// to show its first page in Chromium with FACEGATE_CONSOLE_KEYS keys (e.g.
// 10000), against the same page with the one initial key in the same run.
// It only reports (BENCHMARKS.md); it asserts that the page works.
func TestConsoleKeysPageLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("FACEGATE_CONSOLE_KEYS"))
	if n <= 1 {
		t.Skip("set FACEGATE_CONSOLE_KEYS=10000 to measure the keys page with that many keys")
	}
	s := startServer(t, t.TempDir())
	ctx := newBrowser(t, s)
	codes := &consoleCodes{t: t, uri: s.creds.AdminTOTPURI, used: map[int64]bool{}}
	run(t, ctx, "sign in", chromedp.Navigate(s.url("/console/")), chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys("#signin-token", s.creds.AdminToken), chromedp.SendKeys("#signin-code", codes.next()),
		chromedp.Click("#signin-submit"), chromedp.WaitVisible("#keys-table"))

	measure := func() time.Duration {
		var times []time.Duration
		for range 7 {
			run(t, ctx, "leave the console", chromedp.Navigate("about:blank"))
			start := time.Now()
			run(t, ctx, "load the keys page", chromedp.Navigate(s.url("/console/#keys")),
				chromedp.WaitVisible(`#keys-body tr[data-key]`, chromedp.ByQuery))
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		return times[len(times)/2]
	}
	base := measure()

	// The keys, created through the console's API with its cookie and CSRF token.
	resp := postJSON(t, s, "/console/api/signin", `{"token":"`+s.creds.AdminToken+`","code":"`+codes.next()+`"}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("signin = %d", resp.StatusCode)
	}
	ck := resp.Cookies()[0]
	var me struct{ CSRF string }
	req, _ := http.NewRequest(http.MethodGet, s.url("/console/api/me"), nil)
	req.AddCookie(ck)
	r, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(r.Body).Decode(&me)
	r.Body.Close()
	if err != nil || me.CSRF == "" {
		t.Fatalf("/me: %v", err)
	}
	csrf := me.CSRF
	start := time.Now()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i < int64(n); i = next.Add(1) {
				body := fmt.Sprintf(`{"owner":"load-%d","scopes":["faces/detect"]}`, i%100)
				if r := postJSON(t, s, "/console/api/admin/keys", body, map[string]string{"X-CSRF-Token": csrf}, ck); r.StatusCode != http.StatusCreated {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d key creations failed", failed.Load())
	}
	t.Logf("created %d keys in %s", n-1, time.Since(start).Round(time.Millisecond))
	many := measure()
	t.Logf("keys page, first page shown (median of 7 loads): %d keys %s, 1 key %s, ratio %.2f",
		n, many.Round(time.Millisecond), base.Round(time.Millisecond), float64(many)/float64(base))
}

func postJSON(t *testing.T, s *server, path, body string, hdr map[string]string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url(path), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Error(err)
		return &http.Response{StatusCode: 0}
	}
	resp.Body.Close()
	return resp
}
