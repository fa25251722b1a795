package plugin

import (
	"context"
	"sync"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/store"
)

// Readiness is the answer of the ready probe: the overall status, the
// first reason the app cannot serve API calls (a fixed phrase, "" when
// ready) and each component's state, with fixed values only ("ok",
// "closed", "not loaded", "building", "failed", "unreachable"). The redis
// and postgres components appear in the cluster mode only.
type Readiness struct {
	Status     string            `json:"status"`
	Reason     string            `json:"reason,omitempty"`
	Components map[string]string `json:"components,omitempty"`
}

// readiness checks the store, the policies, the search index and, in the
// cluster mode, Redis and PostgreSQL (through their probes, at most one PING
// a second each).
func (a *App) readiness(ctx context.Context) Readiness {
	st := a.current()
	if st == nil {
		return Readiness{Status: "unavailable", Reason: "starting"}
	}
	r := Readiness{Status: "ready", Components: map[string]string{}}
	check := func(name, state, reason string) {
		r.Components[name] = state
		if state != "ok" && r.Reason == "" {
			r.Status, r.Reason = "unavailable", reason
		}
	}
	if st.store == nil || st.store.Closed() {
		check("store", "closed", "store closed")
	} else {
		check("store", "ok", "")
	}
	if st.storeProbe != nil {
		if st.storeProbe.ok(ctx) {
			check("postgres", "ok", "")
		} else {
			check("postgres", "unreachable", "postgres unreachable")
		}
	}
	if st.currentDecider() == nil || st.validator == nil {
		check("policies", "not loaded", "policies not loaded")
	} else {
		check("policies", "ok", "")
	}
	switch is := st.indexState(); {
	case st.index == nil || st.service == nil:
		check("index", "not built", "index not built")
	case is == "ok":
		check("index", "ok", "")
	default:
		check("index", is, "index "+is)
	}
	if st.redisProbe != nil {
		if st.redisProbe.ok(ctx) {
			check("redis", "ok", "")
		} else {
			check("redis", "unreachable", "redis unreachable")
		}
	}
	return r
}

// redisProbeTimeout bounds the ready probe's PING (of Redis or PostgreSQL);
// redisProbeTTL is how long its answer is reused, so that load balancers'
// probes (every second from each of them) cost each engine at most one PING
// a second per node.
const (
	redisProbeTimeout = 500 * time.Millisecond
	redisProbeTTL     = time.Second
)

// pingProbe PINGs one of the cluster's engines for the ready probe and
// caches the answer for ttl. Concurrent probes wait for the one PING under
// way.
type pingProbe struct {
	ping func(context.Context) error
	now  func() time.Time
	ttl  time.Duration

	mu     sync.Mutex
	at     time.Time
	result bool
}

func newRedisProbe(c valkey.Client) *pingProbe {
	return &pingProbe{
		ping: func(ctx context.Context) error { return c.Do(ctx, c.B().Ping().Build()).Error() },
		now:  time.Now, ttl: redisProbeTTL,
	}
}

// newStoreProbe probes the cluster's PostgreSQL through store.Ping.
func newStoreProbe(st *store.Store) *pingProbe {
	return &pingProbe{ping: st.Ping, now: time.Now, ttl: redisProbeTTL}
}

// ok reports whether the engine answered a PING within redisProbeTimeout,
// as of at most ttl ago.
func (p *pingProbe) ok(ctx context.Context) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && p.now().Sub(p.at) < p.ttl {
		return p.result
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redisProbeTimeout)
	defer cancel()
	p.result = p.ping(ctx) == nil
	p.at = p.now()
	return p.result
}
