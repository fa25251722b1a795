package plugin

import (
	"context"
	"sync"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Readiness is the answer of the ready probe: the overall status, the
// first reason the app cannot serve API calls (a fixed phrase, "" when
// ready) and each component's state, with fixed values only ("ok",
// "closed", "not loaded", "building", "failed", "unreachable"). The redis
// component appears in the cluster mode only.
type Readiness struct {
	Status     string            `json:"status"`
	Reason     string            `json:"reason,omitempty"`
	Components map[string]string `json:"components,omitempty"`
}

// readiness checks the store, the policies, the search index and, in the
// cluster mode, Redis (through redisProbe, at most one PING a second).
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

// notReady is why the app cannot serve API calls yet (a fixed phrase), or
// "" when it can.
func (a *App) notReady() string { return a.readiness(context.Background()).Reason }

// redisProbeTimeout bounds the ready probe's PING; redisProbeTTL is how
// long its answer is reused, so that load balancers' probes (every second
// from each of them) cost Redis at most one PING a second per node.
const (
	redisProbeTimeout = 500 * time.Millisecond
	redisProbeTTL     = time.Second
)

// redisProbe PINGs the cluster's Redis for the ready probe and caches the
// answer for ttl. Concurrent probes wait for the one PING under way.
type redisProbe struct {
	c   valkey.Client
	now func() time.Time
	ttl time.Duration

	mu     sync.Mutex
	at     time.Time
	result bool
}

func newRedisProbe(c valkey.Client) *redisProbe {
	return &redisProbe{c: c, now: time.Now, ttl: redisProbeTTL}
}

// ok reports whether Redis answered a PING within redisProbeTimeout, as of
// at most ttl ago.
func (p *redisProbe) ok(ctx context.Context) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && p.now().Sub(p.at) < p.ttl {
		return p.result
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redisProbeTimeout)
	defer cancel()
	p.result = p.c.Do(ctx, p.c.B().Ping().Build()).Error() == nil
	p.at = p.now()
	return p.result
}
