package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
)

// A state whose index is still loading refuses exactly the methods that
// read or change the index (105, HTTP 503), reports "index building" to
// the ready probe, the status and the metrics, refuses the admin erasures,
// and serves everything once the load is done; a failed load keeps them
// refused.
func TestIndexLoadGate(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	initMetrics(reg)
	s := newProbeState(t, "", 10)
	app := &App{started: make(chan struct{})}
	app.state.Store(s)
	t.Cleanup(func() { app.state.Store(nil) })
	l := &indexLoader{done: make(chan struct{})}
	l.progress.Store(&index.LoadProgress{Done: 4096, Estimate: 12288, Elapsed: time.Second})
	s.indexLoad = l

	for route := range indexMethods {
		e := s.indexGate(route)
		if e == nil || e.Code != skyerr.Unavailable || e.HTTPStatus != http.StatusServiceUnavailable {
			t.Errorf("%s while the index loads: %v, want 105 with HTTP 503", route, e)
		}
	}
	for _, route := range []string{"faces/detect", "tags/save", "tags/get", "faces/status", "account/authenticate"} {
		if e := s.indexGate(route); e != nil {
			t.Errorf("%s while the index loads: %v, want served", route, e)
		}
	}
	if r := app.readiness(context.Background()); r.Reason != "index building" || r.Components["index"] != "building" || r.Components["store"] != "ok" {
		t.Errorf("readiness while loading: %+v", r)
	}
	st, err := app.IndexStatus()
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "building" || st.Rebuild.Templates != 4096 || st.Rebuild.Estimate != 12288 || st.Rebuild.PerSecond != 4096 || st.Rebuild.ETASeconds != 2 {
		t.Errorf("status while loading: %+v", st)
	}
	fams := gather(t, reg)
	if v := value(t, fams, "facegate_index_building"); v != 1 {
		t.Errorf("index_building = %v while loading", v)
	}
	if v := value(t, fams, "facegate_index_rebuild_templates"); v != 4096 {
		t.Errorf("index_rebuild_templates = %v while loading, want the count so far", v)
	}
	if v := value(t, fams, "facegate_index_rebuild_estimated_templates"); v != 12288 {
		t.Errorf("index_rebuild_estimated_templates = %v", v)
	}
	if err := app.EraseNamespaceData("a"); !errors.Is(err, errIndexLoading) {
		t.Errorf("namespace erasure while loading: %v", err)
	}
	if err := app.EraseKeyData("any"); !errors.Is(err, errIndexLoading) {
		t.Errorf("key erasure while loading: %v", err)
	}
	if n := s.index.Len("a"); n != 5 {
		t.Errorf("the refused erasure changed the index: %d templates in a", n)
	}

	l.progress.Store(&index.LoadProgress{Done: 10, Estimate: 10, Elapsed: time.Second})
	close(l.done)
	if e := s.indexGate("faces/recognize"); e != nil {
		t.Errorf("recognize once loaded: %v", e)
	}
	if r := app.readiness(context.Background()); r.Status != "ready" || r.Components["index"] != "ok" {
		t.Errorf("readiness once loaded: %+v", r)
	}
	if st, _ := app.IndexStatus(); st.State != "ready" || st.Rebuild.ETASeconds != 0 {
		t.Errorf("status once loaded: %+v", st)
	}
	if v := value(t, gather(t, reg), "facegate_index_building"); v != 0 {
		t.Errorf("index_building = %v once loaded", v)
	}

	failed := &indexLoader{done: make(chan struct{}), err: errors.New("boom")}
	failed.progress.Store(&index.LoadProgress{})
	close(failed.done)
	s.indexLoad = failed
	if e := s.indexGate("faces/train"); e == nil || e.Code != skyerr.Unavailable {
		t.Errorf("train after a failed load: %v", e)
	}
	if r := app.readiness(context.Background()); r.Reason != "index failed" {
		t.Errorf("readiness after a failed load: %+v", r)
	}
	if err := app.EraseNamespaceData("a"); err == nil {
		t.Error("erasure after a failed load was accepted")
	}
}

// Through the guard and the API: while the index loads, tags/remove (which
// changes it) is refused with 105, HTTP 503 and Retry-After before any
// work, and a method that does not need the index is served.
func TestGuardWhileIndexLoads(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	api := withService(t, bg)
	l := &indexLoader{done: make(chan struct{})}
	l.progress.Store(&index.LoadProgress{})
	bg.st.indexLoad = l
	call := func(route string, form url.Values) (*httptest.ResponseRecorder, map[string]any) {
		t.Helper()
		form.Set("api_key", bg.plain[0])
		form.Set("api_secret", bg.plain[1])
		w := httptest.NewRecorder()
		next := handlerFunc(func(w http.ResponseWriter, r *http.Request) error { return api.ServeHTTP(w, r, nil) })
		if err := bg.g.ServeHTTP(w, bg.formRequest(t, route, form, false), next); err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("HTTP %d %q: %v", w.Code, w.Body, err)
		}
		return w, body
	}
	tid := url.Values{"tids": {"TEMP_F@0123456789abcdef0123456789abcdef_0.00_0.00_0_0"}}
	w, body := call("tags/remove", tid)
	if w.Code != http.StatusServiceUnavailable || body["error_code"] != float64(skyerr.Unavailable) || w.Header().Get("Retry-After") == "" {
		t.Errorf("tags/remove while the index loads: HTTP %d %v Retry-After %q", w.Code, body, w.Header().Get("Retry-After"))
	}
	if w, body := call("account/authenticate", url.Values{}); w.Code != http.StatusOK || body["status"] != "success" {
		t.Errorf("account/authenticate while the index loads: HTTP %d %v", w.Code, body)
	}
	close(l.done)
	if w, body := call("tags/remove", tid); w.Code == http.StatusServiceUnavailable {
		t.Errorf("tags/remove once loaded: HTTP %d %v", w.Code, body)
	}
}

// startIndexLoad loads the store in the background: once done the index
// holds every template and the progress is the final count; stop ends a
// load under way.
func TestStartIndexLoad(t *testing.T) {
	s := newProbeState(t, "", 9000)
	x := index.New()
	l := startIndexLoad(x, s.store, zap.NewNop(), time.Hour, 0)
	l.wait()
	if l.err != nil || l.state() != "ok" {
		t.Fatalf("load: %v %s", l.err, l.state())
	}
	if _, n := x.Stats(); n != 9000 {
		t.Errorf("%d templates loaded, want 9000", n)
	}
	if p := l.progress.Load(); p.Done != 9000 || p.Elapsed <= 0 {
		t.Errorf("final progress %+v", p)
	}
	if x.LastLoad().Done != 9000 {
		t.Errorf("LastLoad %+v", x.LastLoad())
	}

	// stop (the state's Destruct) ends a load under way and waits for it.
	l = startIndexLoad(index.New(), s.store, zap.NewNop(), time.Hour, 0)
	l.stop()
	if st := l.state(); st != "ok" && !errors.Is(l.err, context.Canceled) {
		t.Errorf("stopped load: state %s, %v", st, l.err)
	}
}
