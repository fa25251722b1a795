package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consolePages are the console pages whose load time depends on what the
// store holds, each with the element that shows it loaded.
var consolePages = []struct{ name, ready string }{
	{"namespaces", `#ns-body tr[data-ns="demo"] td.templates`},
	{"status", `#index-state[data-state="ready"]`},
	{"usage", `#usage-total-requests`},
}

// TestConsolePagesWithTemplates measures in Chromium how long the
// namespaces, status and usage pages take to show their data on a server
// whose store holds FACEGATE_CONSOLE_TEMPLATES templates (default 20 000,
// as CI runs it; 1000000 for BENCHMARKS.md) in the namespace demo, against
// a server with the initial store (no templates) in the same run: the two
// servers run side by side, each with its own browser, and the loads
// alternate between them (median of 7 loads after one warm-up; 3 in CI), so that
// the load of the machine weighs on both alike. It asserts that the pages
// show the seeded counts; the times are reported. When the index is still
// loading once a browser has signed in (a large store), it also checks that
// the status page shows the load and follows its count.
func TestConsolePagesWithTemplates(t *testing.T) {
	n, loads := 20_000, 4 // CI: a warm-up and 3 measured loads
	if v := os.Getenv("FACEGATE_CONSOLE_TEMPLATES"); v != "" {
		loads = 8
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("FACEGATE_CONSOLE_TEMPLATES=%q: want a positive count", v)
		}
	}
	base := startServer(t, t.TempDir())
	dir := t.TempDir()
	many := startServer(t, dir)
	many.stop()
	start := time.Now()
	seedTemplates(t, dir, "demo", n)
	seeded := time.Since(start)
	start = time.Now()
	many.start()
	codes := &consoleCodes{t: t, uri: many.creds.AdminTOTPURI, used: map[int64]bool{}} // each TOTP step works once
	followIndexLoad(t, many, codes)
	for {
		code, body := readyz(t, many)
		if code == 200 {
			break
		}
		if body.Reason != "index building" || time.Since(start) > 5*time.Minute {
			t.Fatalf("/readyz: HTTP %d %+v", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d templates seeded in %s, /readyz 200 %s after the start", n, seeded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	ctxBase := consoleSignedIn(t, base, &consoleCodes{t: t, uri: base.creds.AdminTOTPURI, used: map[int64]bool{}}, 0)
	ctxMany := consoleSignedIn(t, many, codes, n)
	for _, p := range consolePages {
		var tb, tm []time.Duration
		for i := range loads {
			b, m := loadConsolePage(t, ctxBase, base, p.name, p.ready), loadConsolePage(t, ctxMany, many, p.name, p.ready)
			if i > 0 { // the first load warms the browser's cache
				tb, tm = append(tb, b), append(tm, m)
			}
		}
		slices.Sort(tb)
		slices.Sort(tm)
		mb, mm := tb[len(tb)/2], tm[len(tm)/2]
		t.Logf("console %s page, data shown (median of %d loads): %d templates %s, none %s, ratio %.2f",
			p.name, loads-1, n, mm.Round(time.Millisecond), mb.Round(time.Millisecond), float64(mm)/float64(mb))
	}
}

// consoleSignedIn starts a browser for s, signs in and checks that the
// namespaces and status pages show templates templates in demo.
func consoleSignedIn(t *testing.T, s *server, codes *consoleCodes, templates int) context.Context {
	t.Helper()
	ctx := newBrowser(t, s)
	run(t, ctx, "sign in", chromedp.Navigate(s.url("/console/")), chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys("#signin-token", s.creds.AdminToken), chromedp.SendKeys("#signin-code", codes.next()),
		chromedp.Click("#signin-submit"), chromedp.WaitVisible("#keys-table"))
	var nsCount, indexCount string
	run(t, ctx, "read the counts",
		chromedp.Navigate(s.url("/console/#namespaces")), chromedp.WaitVisible(consolePages[0].ready, chromedp.ByQuery),
		chromedp.Text(consolePages[0].ready, &nsCount, chromedp.ByQuery),
		chromedp.Navigate(s.url("/console/#status")), chromedp.WaitVisible(consolePages[1].ready, chromedp.ByQuery),
		chromedp.Text("#index-templates", &indexCount, chromedp.ByQuery))
	want := strconv.Itoa(templates)
	if strings.TrimSpace(nsCount) != want || strings.TrimSpace(indexCount) != want {
		t.Errorf("the console shows %q templates in demo and %q in the index, want %s", nsCount, indexCount, want)
	}
	return ctx
}

// loadConsolePage opens the console at page from a blank tab and returns
// how long until its ready element shows.
func loadConsolePage(t *testing.T, ctx context.Context, s *server, page, ready string) time.Duration {
	t.Helper()
	run(t, ctx, "leave the console", chromedp.Navigate("about:blank"))
	begin := time.Now()
	run(t, ctx, fmt.Sprintf("load the %s page", page), chromedp.Navigate(s.url("/console/#"+page)),
		chromedp.WaitVisible(ready, chromedp.ByQuery))
	return time.Since(begin)
}

// followIndexLoad signs in to s while its index may still load and, if it
// does, checks that the status page says so and that the count it shows
// grows (the page refreshes itself every second while the index loads).
func followIndexLoad(t *testing.T, s *server, codes *consoleCodes) {
	t.Helper()
	ctx := newBrowser(t, s)
	run(t, ctx, "sign in while the index loads", chromedp.Navigate(s.url("/console/")), chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys("#signin-token", s.creds.AdminToken), chromedp.SendKeys("#signin-code", codes.next()),
		chromedp.Click("#signin-submit"), chromedp.WaitVisible("#keys-table"),
		chromedp.Navigate(s.url("/console/#status")), chromedp.WaitVisible("#index-state", chromedp.ByQuery))
	var seen []int
	for {
		var state, count string
		var ok bool
		run(t, ctx, "read the status page",
			chromedp.AttributeValue("#index-state", "data-state", &state, &ok, chromedp.ByQuery),
			chromedp.AttributeValue("#index-rebuild", "data-templates", &count, &ok, chromedp.ByQuery))
		if state != "building" {
			break
		}
		if n, err := strconv.Atoi(count); err == nil && (len(seen) == 0 || n != seen[len(seen)-1]) {
			seen = append(seen, n)
			if len(seen) == 3 {
				screenshot(t, ctx, "status-building")
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	if len(seen) == 0 {
		t.Logf("the index was loaded before the browser signed in: the live status page is not checked (raise FACEGATE_CONSOLE_TEMPLATES)")
		return
	}
	t.Logf("the status page followed the index load: %v", seen)
	if len(seen) < 2 || !slices.IsSorted(seen) {
		t.Errorf("the status page's count while the index loads: %v, want it to grow", seen)
	}
}
