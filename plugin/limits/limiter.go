package limits

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Clock tells the time; inject a fake one in tests.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Limiter counts requests per subject (usually an API key) against the
// specs the policy chose. It is exact under concurrency: all specs of one
// call are checked and charged under the subject's shard lock, all or
// nothing. Memory is bounded by maxKeys subjects (least recently used idle
// subjects are evicted). Safe for concurrent use.
type Limiter struct {
	clock Clock
	epoch time.Time // rate state is kept in ns since epoch (monotonic when the clock is)
	keys  *store
	auth  *store
	// failed-authentication policy: authMax failures per authPer (the
	// Default values; tests set others).
	authMax int
	authPer time.Duration
}

// Default failed-authentication policy.
const (
	DefaultFailedAuthMax = 10
	DefaultFailedAuthPer = time.Minute
)

// New returns a Limiter reading time from clock and holding at most about
// maxKeys subjects (and as many failed-authentication addresses).
func New(clock Clock, maxKeys int) *Limiter {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Limiter{
		clock: clock, epoch: clock.Now(),
		keys: newStore(maxKeys), auth: newStore(maxKeys),
		authMax: DefaultFailedAuthMax, authPer: DefaultFailedAuthPer,
	}
}

// Usage is the SkyBiometry usage block: from the first quota spec, or the
// first rate spec when there is no quota (Limit = burst, Reset = when the
// bucket is full again).
type Usage struct {
	Used, Remaining, Limit int
	Reset                  time.Time
}

// Grant is an admitted request. Release it when the request is done.
type Grant struct {
	Usage Usage
	// Policy and RateLimit are the values of the RateLimit-Policy and
	// RateLimit fields (draft-ietf-httpapi-ratelimit-headers), e.g.
	// `"quota";q=1000;w=3600` and `"quota";r=12;t=30`; empty without
	// rate or quota specs.
	Policy, RateLimit string
	rel               *releaser
}

type releaser struct {
	l       *Limiter
	subject string
	names   []string
	done    atomic.Bool
	// cluster mode: the slots' sorted sets and the grant's id in them
	redis *Redis
	zkeys []string
	id    string
	await bool // wait for Redis to free the slots (see Redis.release)
}

// Release frees the grant's concurrency slots. It is safe to call more
// than once, and on a zero Grant.
func (g Grant) Release() {
	if g.rel == nil || !g.rel.done.CompareAndSwap(false, true) {
		return
	}
	if g.rel.redis != nil {
		g.rel.redis.release(g.rel.zkeys, g.rel.id, g.rel.await)
		return
	}
	sh := g.rel.l.keys.shard(g.rel.subject)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[g.rel.subject]
	for _, n := range g.rel.names {
		if st := e.find(KindConcurrency, n); st != nil && st.inFlight > 0 {
			st.inFlight--
		}
	}
}

// Denial says why a request was refused. The zero Denial means admitted.
type Denial struct {
	// Kind is the kind of the spec that refused, or "invalid" when the
	// specs themselves are unusable (fail closed: answer 500).
	Kind, Name string
	// RetryAfter is when the request could pass (the longest wait among the
	// refusing specs); for concurrency it is a 1 s hint.
	RetryAfter time.Duration
	// Code is the SkyBiometry error code: 202 for quota and rate, 203 for
	// concurrency, 0 for invalid specs.
	Code int
	// Status is the HTTP status to answer: 429, or 500 for invalid specs.
	Status int
	// Usage, Policy and RateLimit describe the state, uncharged.
	Usage             Usage
	Policy, RateLimit string
	// Err says why the shared counters could not be reached (KindUnavailable).
	Err error
}

// KindInvalid marks a Denial caused by unusable specs.
const KindInvalid = "invalid"

// Denied reports whether the request was refused.
func (d Denial) Denied() bool { return d.Kind != "" }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds (at least 1),
// for the Retry-After field.
func (d Denial) RetryAfterSeconds() int {
	s := int((d.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// concurrencyRetry is the hint given when all concurrency slots are taken.
const concurrencyRetry = time.Second

// Acquire checks every spec for subject and, only if all allow it, charges
// them all. It returns the Grant, or a Denial whose Denied() is true.
func (l *Limiter) Acquire(subject string, specs []Spec) (Grant, Denial) {
	if d, bad := invalid(specs); bad {
		return Grant{}, d
	}
	now := l.clock.Now()
	t := instant{mono: now.Sub(l.epoch).Nanoseconds(), wall: now.UnixNano()}
	sh := l.keys.shard(subject)
	sh.mu.Lock()
	e := sh.get(subject, true, l.keys.perShard)
	var worst Denial
	for _, s := range specs {
		if ok, retry := check(s, e.slot(s.Kind, s.Name), t); !ok && (!worst.Denied() || time.Duration(retry) > worst.RetryAfter) {
			worst = Denial{Kind: s.Kind, Name: s.Name, RetryAfter: time.Duration(retry), Code: CodeQuota, Status: http.StatusTooManyRequests}
			if s.Kind == KindConcurrency {
				worst.Code = CodeConcurrency
			}
		}
	}
	if worst.Denied() {
		worst.Usage, worst.Policy, worst.RateLimit = l.report(e, specs, t)
		sh.mu.Unlock()
		return Grant{}, worst
	}
	var conc []string
	for _, s := range specs {
		charge(s, e.slot(s.Kind, s.Name), t)
		if s.Kind == KindConcurrency {
			conc = append(conc, s.Name)
		}
	}
	sh.markDirty(e)
	var g Grant
	g.Usage, g.Policy, g.RateLimit = l.report(e, specs, t)
	sh.mu.Unlock()
	if len(conc) > 0 {
		g.rel = &releaser{l: l, subject: subject, names: conc}
	}
	return g, Denial{}
}

// Usage reports the state of subject for specs without charging anything
// (for account/limits).
func (l *Limiter) Usage(subject string, specs []Spec) Usage {
	if _, bad := invalid(specs); bad {
		return Usage{}
	}
	now := l.clock.Now()
	t := instant{mono: now.Sub(l.epoch).Nanoseconds(), wall: now.UnixNano()}
	sh := l.keys.shard(subject)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	u, _, _ := l.report(sh.get(subject, false, l.keys.perShard), specs, t)
	return u
}

// Stats returns the number of subjects held and how many were evicted.
func (l *Limiter) Stats() (subjects int, evicted uint64) { return l.keys.stats() }

// invalid validates specs and rejects duplicates (which would share state).
func invalid(specs []Spec) (Denial, bool) {
	for i, s := range specs {
		bad := s.Validate() != nil
		for _, o := range specs[:i] {
			bad = bad || (o.Kind == s.Kind && o.Name == s.Name)
		}
		if bad {
			return Denial{Kind: KindInvalid, Name: s.Name, Status: http.StatusInternalServerError}, true
		}
	}
	return Denial{}, false
}
