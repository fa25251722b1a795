package plugin

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/limits/redistest"
	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

// The ready probe PINGs the cluster's Redis at most once per TTL, reports
// it per component, and follows it going away and coming back.
func TestReadinessRedis(t *testing.T) {
	srv := redistest.Start(t)
	c, err := openRedis(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Unix(1000, 0)
	rp := newRedisProbe(c)
	rp.now = func() time.Time { return now }

	app := &App{started: make(chan struct{})}
	s := newProbeState(t, "", 2)
	s.redisProbe = rp
	app.state.Store(s)
	ready := &Health{Probe: "ready", app: app}
	ctx := context.Background()

	r := app.readiness(ctx)
	want := map[string]string{"store": "ok", "policies": "ok", "index": "ok", "redis": "ok"}
	if r.Status != "ready" || r.Reason != "" || len(r.Components) != len(want) {
		t.Fatalf("with redis up: %+v", r)
	}
	for k, v := range want {
		if r.Components[k] != v {
			t.Errorf("component %s = %q, want %q", k, r.Components[k], v)
		}
	}

	srv.Kill()
	if !rp.ok(ctx) {
		t.Error("the answer of less than a TTL ago was not reused")
	}
	now = now.Add(redisProbeTTL)
	start := time.Now()
	r = app.readiness(ctx)
	if took := time.Since(start); took > 10*redisProbeTimeout {
		t.Errorf("the probe of a dead redis took %s", took)
	}
	if r.Status != "unavailable" || r.Reason != "redis unreachable" || r.Components["redis"] != "unreachable" || r.Components["store"] != "ok" {
		t.Errorf("with redis down: %+v", r)
	}
	if code, body := probe(t, ready, http.MethodGet); code != http.StatusServiceUnavailable || body["reason"] != "redis unreachable" {
		t.Errorf("HTTP probe with redis down: %d %v", code, body)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now = now.Add(redisProbeTTL)
		if r = app.readiness(ctx); r.Status == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %+v 10 s after redis came back", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// In the cluster mode the ready probe names PostgreSQL: unreachable while
// the server is stopped (the store itself stays open), ok again after it
// is back, each answer reused for a TTL.
func TestReadinessPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	dsn, err := srv.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(storeOptions(stateConfig{PostgresURL: dsn}, bytes.Repeat([]byte{5}, store.KeySize), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Unix(1000, 0)
	sp := newStoreProbe(st)
	sp.now = func() time.Time { return now }

	app := &App{started: make(chan struct{})}
	s := newProbeState(t, "", 2)
	s.storeProbe = sp
	app.state.Store(s)
	ready := &Health{Probe: "ready", app: app}
	ctx := context.Background()

	if r := app.readiness(ctx); r.Status != "ready" || r.Components["postgres"] != "ok" {
		t.Fatalf("with postgres up: %+v", r)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if r := app.readiness(ctx); r.Status != "ready" {
		t.Errorf("the answer of less than a TTL ago was not reused: %+v", r)
	}
	now = now.Add(redisProbeTTL)
	r := app.readiness(ctx)
	if r.Status != "unavailable" || r.Reason != "postgres unreachable" || r.Components["postgres"] != "unreachable" || r.Components["store"] != "ok" {
		t.Errorf("with postgres down: %+v", r)
	}
	if code, body := probe(t, ready, http.MethodGet); code != http.StatusServiceUnavailable || body["reason"] != "postgres unreachable" {
		t.Errorf("HTTP probe with postgres down: %d %v", code, body)
	}
	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now = now.Add(redisProbeTTL)
		if r = app.readiness(ctx); r.Status == "ready" && r.Components["postgres"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %+v 10 s after postgres came back", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
