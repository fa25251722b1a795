package plugin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/facegate/facegate/store"
)

func probe(t *testing.T, h *Health, method string) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, httptest.NewRequest(method, "/readyz", nil), nil); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil && method != http.MethodHead {
		t.Fatalf("%s: not JSON: %q", method, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("probe answer may be cached")
	}
	return w.Code, body
}

func TestHealthProbes(t *testing.T) {
	app := &App{started: make(chan struct{})}
	live, ready := &Health{Probe: "live", app: app}, &Health{Probe: "ready", app: app}
	for _, h := range []*Health{live, ready, {Probe: "other"}} {
		if err := h.Validate(); (err == nil) != (h.Probe != "other") {
			t.Errorf("Validate(%q) = %v", h.Probe, err)
		}
	}

	// Before the app has started: alive, not ready.
	if code, body := probe(t, live, http.MethodGet); code != 200 || body["status"] != "alive" {
		t.Errorf("live before start: %d %v", code, body)
	}
	if code, body := probe(t, ready, http.MethodGet); code != 503 || body["reason"] != "starting" {
		t.Errorf("ready before start: %d %v", code, body)
	}

	// Started: ready.
	s := newProbeState(t, "", 3)
	app.state.Store(s)
	if code, body := probe(t, ready, http.MethodGet); code != 200 || body["status"] != "ready" || len(body) != 2 {
		t.Errorf("ready: %d %v", code, body)
	} else if c, _ := body["components"].(map[string]any); len(c) != 3 || c["store"] != "ok" || c["policies"] != "ok" || c["index"] != "ok" {
		t.Errorf("ready components (embedded mode: no redis): %v", body["components"])
	}
	if code, _ := probe(t, ready, http.MethodHead); code != 200 {
		t.Errorf("HEAD ready: %d", code)
	}
	if code, body := probe(t, ready, http.MethodPost); code != http.StatusMethodNotAllowed || body["status"] != "failure" {
		t.Errorf("POST ready: %d %v", code, body)
	}

	// Each missing part is named, and nothing else is said.
	validator := s.validator
	s.validator = nil
	if code, body := probe(t, ready, http.MethodGet); code != 503 || body["reason"] != "policies not loaded" {
		t.Errorf("without schemas: %d %v", code, body)
	}
	saved := s.service
	s.validator, s.service = validator, nil
	if code, body := probe(t, ready, http.MethodGet); code != 503 || body["reason"] != "index not built" {
		t.Errorf("without index: %d %v", code, body)
	}
	s.service = saved
	if err := s.store.Close(); err != nil {
		t.Fatal(err)
	}
	var err error
	code, body := probe(t, ready, http.MethodGet)
	if code != 503 || body["reason"] != "store closed" {
		t.Errorf("store closed: %d %v", code, body)
	}
	if code, _ := probe(t, live, http.MethodGet); code != 200 {
		t.Errorf("live with the store closed: %d (liveness is the process, not its parts)", code)
	}
	raw, _ := json.Marshal(body)
	if strings.Contains(string(raw), "/") {
		t.Errorf("the answer names a path: %s", raw)
	}
	// The state's cleanup closes its store: give it an open one.
	if s.store, err = store.Open(store.Options{InMemory: true, EncryptionKey: make([]byte, store.KeySize)}); err != nil {
		t.Fatal(err)
	}

	// Stopped: not ready again.
	app.state.Store(nil)
	if code, body := probe(t, ready, http.MethodGet); code != 503 || body["reason"] != "starting" {
		t.Errorf("after stop: %d %v", code, body)
	}
}
