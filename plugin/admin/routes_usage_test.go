package admin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin"
	"github.com/facegate/facegate/plugin/internal/usage"
)

// usageBackend adds a real usage recorder and a fixed index status to
// fakeBackend.
type usageBackend struct {
	*fakeBackend
	rec *usage.Recorder
}

func (u *usageBackend) Usage(q usage.Query) (usage.Report, error) { return u.rec.Query(q) }

func (u *usageBackend) IndexStatus() (plugin.IndexStatus, error) {
	var s plugin.IndexStatus
	s.Namespaces, s.Templates = 2, 42
	s.Rebuild.Templates, s.Rebuild.TookMS = 40, 12.5
	return s, nil
}

func TestUsageRoute(t *testing.T) {
	e := newEnv(t)
	if w := e.call(http.MethodGet, "/admin/usage", ""); w.Code != http.StatusNotImplemented {
		t.Fatalf("GET /usage without a recorder = %d, want 501", w.Code)
	}
	now := time.Now()
	rec := usage.New(usage.Options{})
	at := now.Add(-10 * time.Minute).Truncate(time.Minute)
	for i := range 5 {
		rec.Record(usage.Event{Key: "k1", Route: "faces/detect", At: at.Add(time.Duration(i) * time.Second), Images: 1, Latency: 8 * time.Millisecond})
	}
	rec.Record(usage.Event{Key: "k1", Route: "faces/recognize", At: at.Add(time.Minute), Images: 2, Latency: 20 * time.Millisecond})
	rec.Record(usage.Event{Key: "k2", Route: "faces/detect", At: at.Add(2 * time.Minute), Denied: true, Reason: "secret_invalid"})
	e.api = New(&usageBackend{fakeBackend: e.backend, rec: rec}, Options{})

	get := func(query string) map[string]any {
		t.Helper()
		return e.callJSON(http.MethodGet, "/admin/usage"+query, "", http.StatusOK)["usage"].(map[string]any)
	}
	totals := func(u map[string]any) string {
		t := u["totals"].(map[string]any)
		return fmt.Sprint(t["requests"], " ", t["images"], " ", t["denials"])
	}
	for _, tc := range []struct{ query, want string }{
		{"", "7 7 1"},
		{"?key=k1", "6 7 0"},
		{"?key=k1&route=faces/detect", "5 5 0"},
		{"?route=faces/detect", "6 5 1"},
		{"?key=nobody", "0 0 0"},
		{fmt.Sprintf("?since=%d", at.Add(2*time.Minute).Unix()), "1 0 1"},
		{fmt.Sprintf("?since=%d", at.Add(90*time.Second).Unix()), "2 2 1"}, // whole minutes
		{"?key=k1&step=5m", "6 7 0"},
		{"?step=3600", "7 7 1"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			if got := totals(get(tc.query)); got != tc.want {
				t.Errorf("totals %s, want %s", got, tc.want)
			}
		})
	}
	u := get("?key=k1&route=faces/detect&since=" + fmt.Sprint(at.Unix()) + "&until=" + fmt.Sprint(at.Add(2*time.Minute).Unix()))
	points := u["points"].([]any)
	if len(points) != 3 {
		t.Fatalf("%d points for 3 minutes", len(points))
	}
	if p := points[0].(map[string]any); p["requests"] != float64(5) || p["latency_avg_ms"] != float64(8) || p["t"] != float64(at.Unix()) {
		t.Errorf("first point %v", p)
	}
	if keys := fmt.Sprint(u["keys"]); keys != "[k1 k2]" {
		t.Errorf("keys tracked %s", keys)
	}
	r := get("?key=k2")["totals"].(map[string]any)["denials_by_reason"].(map[string]any)
	if r["secret_invalid"] != float64(1) {
		t.Errorf("denials by reason %v", r)
	}

	for _, bad := range []string{"?step=30s", "?step=7x", "?since=yesterday", "?until=1&since=2", "?key=" + strings.Repeat("k", 200)} {
		w := e.call(http.MethodGet, "/admin/usage"+bad, "")
		if w.Code != http.StatusBadRequest || problem(t, w).Error != errBadRequest {
			t.Errorf("GET /usage%s = %d %s, want 400 bad_request", bad, w.Code, w.Body)
		}
	}
	// Like every admin route: no credentials, no usage; and each call is audited.
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req(http.MethodGet, "/admin/usage", ""))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("GET /usage without credentials = %d", w.Code)
	}
	entries, _ := e.kr.ListAudit(time.Time{}, 100)
	audited := 0
	for _, en := range entries {
		if en.Action == "admin.api" && strings.HasPrefix(en.Target, "GET /usage") {
			audited++
		}
	}
	if audited < 10 {
		t.Errorf("%d audited GET /usage calls", audited)
	}
}

func TestStatusRoute(t *testing.T) {
	e := newEnv(t)
	if w := e.call(http.MethodGet, "/admin/status", ""); w.Code != http.StatusNotImplemented {
		t.Fatalf("GET /status without an index = %d, want 501", w.Code)
	}
	e.api = New(&usageBackend{fakeBackend: e.backend, rec: usage.New(usage.Options{})}, Options{})
	idx := e.callJSON(http.MethodGet, "/admin/status", "", http.StatusOK)["index"].(map[string]any)
	rb := idx["rebuild"].(map[string]any)
	if idx["templates"] != float64(42) || idx["namespaces"] != float64(2) || rb["templates"] != float64(40) || rb["took_ms"] != 12.5 {
		t.Errorf("index status %v", idx)
	}
}
