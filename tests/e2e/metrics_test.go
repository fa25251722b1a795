package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/policies"
)

// TestMetricsAndProbes drives the real binary: the load balancer probes
// answer without credentials and say nothing sensitive; after some traffic
// the admin endpoint's /metrics exports every series docs/metrics.md lists
// (and no undocumented facegate_* one), every metric the Grafana dashboard
// queries, and no key id.
func TestMetricsAndProbes(t *testing.T) {
	faces := facesDir(t)
	s := startServer(t, t.TempDir())

	t.Run("probes", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			status       int
			want         string
		}{
			{http.MethodGet, "/healthz", 200, `{"status":"alive"}`},
			{http.MethodGet, "/readyz", 200, `{"status":"ready","components":{"index":"ok","policies":"ok","store":"ok"}}`},
			{http.MethodPost, "/readyz", 405, `"status":"failure"`},
		} {
			req, _ := http.NewRequest(c.method, s.url(c.path), nil)
			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(body), c.want) {
				t.Errorf("%s %s: HTTP %d %s, want %d with %s", c.method, c.path, resp.StatusCode, body, c.status, c.want)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: cacheable", c.method, c.path)
			}
			for _, secret := range []string{s.dataDir, s.creds.APIKey, "facegate/", "policy"} {
				if strings.Contains(string(body), secret) {
					t.Errorf("%s %s reveals %q: %s", c.method, c.path, secret, body)
				}
			}
		}
	})

	// Traffic: an allowed detect with a face, a refused call, a url the
	// fetcher refuses (loopback), a saved tag.
	det := s.call("faces/detect", s.keyParams(), filepath.Join(faces, "detection", "images", "2008_001322.jpg"))
	if det.Status != "success" || len(det.Photos) != 1 || len(det.Photos[0].Tags) == 0 {
		t.Fatalf("detect: HTTP %d %s %s", det.HTTPStatus, det.Status, det.ErrorMessage)
	}
	if bad := s.call("faces/detect", map[string]string{"api_key": s.creds.APIKey, "api_secret": "wrong"}); bad.HTTPStatus != 401 {
		t.Errorf("wrong secret: HTTP %d", bad.HTTPStatus)
	}
	p := s.keyParams()
	p["urls"] = "http://127.0.0.1:9/face.jpg"
	s.call("faces/detect", p)
	p = s.keyParams()
	p["uid"], p["tids"] = "someone@demo", det.Photos[0].Tags[0].TID
	if r := s.call("tags/save", p); r.Status != "success" {
		t.Errorf("tags/save: HTTP %d %s %s", r.HTTPStatus, r.Status, r.ErrorMessage)
	}

	resp, err := http.Get("http://" + s.adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(raw)
	exported := exportedSeries(text)

	t.Run("traffic is counted", func(t *testing.T) {
		for series, atLeast := range map[string]float64{
			`facegate_guard_decisions_total{allow="true",reason="ok",route="faces/detect"}`: 2,
			`facegate_guard_denials_total{error="API_KEY_NOT_AUTHENTICATED"}`:               1,
			`facegate_api_url_fetches_total{outcome="refused"}`:                             1,
			`facegate_engine_stage_seconds_count{stage="decode"}`:                           1,
			`facegate_engine_stage_seconds_count{stage="detect"}`:                           1,
			`facegate_engine_faces_per_image_count`:                                         1,
			`facegate_store_write_seconds_count`:                                            1,
			`facegate_index_rebuild_seconds`:                                                0,
			`facegate_policy_reload_failing`:                                                0,
		} {
			if v := metricValue(text, series); v < atLeast {
				t.Errorf("%s = %v, want at least %v", series, v, atLeast)
			}
		}
		if v := metricValue(text, "facegate_guard_requests_in_flight"); v != 0 {
			t.Errorf("requests_in_flight = %v with nothing in flight", v)
		}
		if strings.Contains(text, s.creds.APIKey) || strings.Contains(text, "someone@demo") {
			t.Error("a key id or a uid appears in the metrics")
		}
		if !strings.Contains(s.logs.String(), "template index rebuilt") {
			t.Error("no index rebuild line in the log")
		}
	})

	t.Run("docs/metrics.md matches", func(t *testing.T) {
		doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "metrics.md"))
		if err != nil {
			t.Fatal(err)
		}
		documented := map[string]bool{}
		for _, m := range regexp.MustCompile("(?m)^\\| `(facegate_[a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
			documented[m[1]] = true
		}
		if len(documented) < 20 {
			t.Fatalf("only %d metrics read from docs/metrics.md", len(documented))
		}
		families := regexp.MustCompile(`(?m)^# TYPE (facegate_[a-z_]+) `).FindAllStringSubmatch(text, -1)
		seen := map[string]bool{}
		for _, f := range families {
			seen[f[1]] = true
			if !documented[f[1]] {
				t.Errorf("the binary exports %s, which docs/metrics.md does not list", f[1])
			}
		}
		for name := range documented {
			if !seen[name] {
				t.Errorf("docs/metrics.md lists %s, which the binary does not export", name)
			}
		}
	})

	t.Run("grafana dashboard queries exported metrics", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "grafana", "facegate.json"))
		if err != nil {
			t.Fatal(err)
		}
		var dash any
		if err := json.Unmarshal(raw, &dash); err != nil {
			t.Fatalf("dashboard is not JSON: %v", err)
		}
		exprs := secFindStrings(dash, "expr")
		if len(exprs) < 20 {
			t.Fatalf("only %d queries found in the dashboard", len(exprs))
		}
		ident := regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
		names := map[string]bool{}
		for _, e := range exprs {
			// Label values and matchers are strings: drop them before looking for names.
			e = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(e, `""`)
			for _, id := range ident.FindAllString(e, -1) {
				if strings.HasPrefix(id, "facegate_") {
					names[id] = true
				}
			}
		}
		var missing []string
		for n := range names {
			if !exported[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("the dashboard queries series the binary does not export: %v", missing)
		}
		if len(names) < 20 {
			t.Errorf("the dashboard names only %d facegate series", len(names))
		}
	})
}

// exportedSeries is the set of series names (histograms as their _bucket,
// _sum and _count) in a Prometheus text exposition.
func exportedSeries(text string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		out[name] = true
	}
	return out
}

// TestMetricsCountPolicyReloads breaks and mends the policies of a running
// binary (policies_dir, polled) and reads the reloads in its metrics.
func TestMetricsCountPolicyReloads(t *testing.T) {
	dir := t.TempDir()
	pdir := filepath.Join(dir, "policies")
	if err := os.CopyFS(pdir, policies.EmbeddedFS()); err != nil {
		t.Fatal(err)
	}
	s := secStartConfig(t, filepath.Join(dir, "data"), func(*server) string {
		return secCaddyfile("\t\tpolicies_dir " + pdir + "\n\t\tpolicy_poll 200ms")
	})
	scrape := func() string {
		resp, err := http.Get("http://" + s.adminAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitMetric := func(series string, ok func(float64) bool, what string) string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			text := scrape()
			if ok(metricValue(text, series)) {
				return text
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s = %v after 15 s", what, series, metricValue(text, series))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	text := scrape()
	if v := metricValue(text, "facegate_policy_reload_failing"); v != 0 {
		t.Fatalf("policy_reload_failing = %v at start", v)
	}
	loadedAt := metricValue(text, "facegate_policy_loaded_timestamp_seconds")
	routes := filepath.Join(pdir, "facegate", "routes", "routes.rego")
	good, err := os.ReadFile(routes)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(routes, []byte(secBrokenRego), 0o644); err != nil {
		t.Fatal(err)
	}
	text = waitMetric("facegate_policy_reload_failing", func(v float64) bool { return v == 1 }, "broken policy")
	if v := metricValue(text, "facegate_policy_reload_failures_total"); v < 1 {
		t.Errorf("policy_reload_failures_total = %v after a failed reload", v)
	}
	if v := metricValue(text, "facegate_policy_loaded_timestamp_seconds"); v != loadedAt {
		t.Errorf("the failed reload changed the serving policies' load time: %v, was %v", v, loadedAt)
	}
	// An edit that compiles: the original file with a comment added.
	if err := os.WriteFile(routes, append(good, []byte("\n# mended\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	text = waitMetric("facegate_policy_reload_failing", func(v float64) bool { return v == 0 }, "mended policy")
	if v := metricValue(text, "facegate_policy_reloads_total"); v < 2 {
		t.Errorf("policy_reloads_total = %v after a failed and a good reload", v)
	}
	if v := metricValue(text, "facegate_policy_reload_failures_total"); v < 1 {
		t.Errorf("policy_reload_failures_total = %v went down", v)
	}
}
