package limits

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/engine/skyerr"
)

// Redis is the Limiter of the cluster mode: the same limits and failed-
// authentication rules, with the counters in Redis (or Valkey) so that every
// node charges the same ones. All the specs of one request are checked and
// charged all-or-nothing by one server-side Lua script (one round trip), so
// that L requests pass in total whichever nodes they hit. Time comes from
// the Redis server's clock (one clock for all nodes) unless a Clock is
// given (tests). Concurrency slots are leased for ConcurrencyLease, so that
// the slots of a node that dies come back by themselves; Release frees them
// in Redis a round trip later, batched off the request's path. Blocks of
// failed authentications are read with one HGET against the node's clock.
//
// When Redis cannot be reached, Acquire refuses with KindUnavailable (HTTP
// 503, SkyBiometry 105, Retry-After 1 s) and the failed-authentication
// checks return an error: requests that need limits fail closed. The client
// reconnects by itself; requests pass again as soon as Redis answers.
type Redis struct {
	c       valkey.Client
	clock   Clock
	prefix  string
	timeout time.Duration
	node    string // grant ids: node + sequence
	seq     atomic.Uint64

	authMu  sync.Mutex
	authMax int
	authPer time.Duration

	blockedMu    sync.Mutex
	blockedAddrs map[string]time.Time // address blocks read by Lockouts, until they end

	// Released concurrency slots are removed from Redis in batches by
	// releaseLoop, off the request's path.
	releases  chan releaseItem
	stop      chan struct{}
	done      chan struct{}
	stopOnce  sync.Once
	unflushed atomic.Int64 // releases queued or being written
}

// releaseItem is one grant's slots to free.
type releaseItem struct {
	zkeys []string
	id    string
}

// ConcurrencyLease is how long a concurrency slot is held in Redis at most:
// the slots of a node killed with requests in flight come back after it,
// and a request still running after it no longer counts (facegate's calls
// take seconds).
const ConcurrencyLease = time.Minute

// RedisTimeout bounds one round trip to Redis (a loaded node or Redis can
// take a while; a Redis that is down refuses connections at once).
const RedisTimeout = 2 * time.Second

// Codes and kinds of a refusal because the shared counters are unreachable.
const (
	// KindUnavailable marks a Denial caused by an unreachable Redis.
	KindUnavailable = "unavailable"
	// CodeUnavailable is SERVICE_TEMPORARILY_UNAVAILABLE.
	CodeUnavailable = skyerr.Unavailable
)

var (
	//go:embed redis_acquire.lua
	acquireSrc    string
	acquireScript = valkey.NewLuaScript(acquireSrc)
	//go:embed redis_failedauth.lua
	failedAuthSrc    string
	failedAuthScript = valkey.NewLuaScript(failedAuthSrc)
)

// NewRedis returns a Limiter on client c whose keys start with prefix
// (e.g. "facegate:"). clock nil means the Redis server's clock.
func NewRedis(c valkey.Client, clock Clock, prefix string) *Redis {
	var b [6]byte
	_, _ = rand.Read(b[:])
	r := &Redis{c: c, clock: clock, prefix: prefix, timeout: RedisTimeout, node: hex.EncodeToString(b[:]),
		authMax: DefaultFailedAuthMax, authPer: DefaultFailedAuthPer, blockedAddrs: map[string]time.Time{},
		releases: make(chan releaseItem, releaseQueue), stop: make(chan struct{}), done: make(chan struct{})}
	go r.releaseLoop()
	return r
}

// releaseQueue bounds the releases waiting to be written; past it a
// release is written at once by its caller.
const releaseQueue = 4096

// Close writes the queued releases and stops the writer (the client stays
// open: it is the caller's). Releases after Close are written at once.
func (r *Redis) Close() {
	r.stopOnce.Do(func() { close(r.stop) })
	<-r.done
}

// hashKey names a subject's state without putting the subject (a client-
// chosen key id, an address) in Redis; {} keeps a subject's keys in one
// Redis Cluster slot.
func (r *Redis) hashKey(table, subject string) string {
	h := sha256.Sum256([]byte(subject))
	return r.prefix + table + ":{" + hex.EncodeToString(h[:16]) + "}"
}

// now is the time argument of the scripts: empty for the server's clock.
func (r *Redis) now() string {
	if r.clock == nil {
		return ""
	}
	return strconv.FormatInt(r.clock.Now().UnixMicro(), 10)
}

// Acquire is Limiter.Acquire on the shared counters.
func (r *Redis) Acquire(subject string, specs []Spec) (Grant, Denial) {
	if d, bad := invalid(specs); bad {
		return Grant{}, d
	}
	id := r.node + "-" + strconv.FormatUint(r.seq.Add(1), 36)
	res, err := r.run(subject, specs, true, id)
	if err != nil {
		return Grant{}, unavailableDenial(err)
	}
	e, t := res.entry(specs)
	if res.worst > 0 {
		s := specs[res.worst-1]
		d := Denial{Kind: s.Kind, Name: s.Name, RetryAfter: time.Duration(res.retry) * time.Microsecond, Code: CodeQuota, Status: http.StatusTooManyRequests}
		if s.Kind == KindConcurrency {
			d.Code = CodeConcurrency
		}
		d.Usage, d.Policy, d.RateLimit = report(time.Unix(0, 0), e, specs, t)
		return Grant{}, d
	}
	var g Grant
	g.Usage, g.Policy, g.RateLimit = report(time.Unix(0, 0), e, specs, t)
	var zkeys []string
	for _, s := range specs {
		if s.Kind == KindConcurrency {
			zkeys = append(zkeys, r.concKey(subject, s.Name))
		}
	}
	if len(zkeys) > 0 {
		g.rel = &releaser{redis: r, zkeys: zkeys, id: id}
	}
	return g, Denial{}
}

// Usage is Limiter.Usage on the shared counters; an unreachable Redis gives
// an error.
func (r *Redis) Usage(subject string, specs []Spec) (Usage, error) {
	if _, bad := invalid(specs); bad {
		return Usage{}, nil
	}
	res, err := r.run(subject, specs, false, "")
	if err != nil {
		return Usage{}, err
	}
	e, t := res.entry(specs)
	u, _, _ := report(time.Unix(0, 0), e, specs, t)
	return u, nil
}

func unavailableDenial(err error) Denial {
	return Denial{Kind: KindUnavailable, Code: CodeUnavailable, Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Err: err}
}

func (r *Redis) concKey(subject, name string) string {
	return r.hashKey("l", subject) + ":c:" + name
}

// acquireResult is the acquire script's answer.
type acquireResult struct {
	worst        int
	retry, nowUS int64
	state        []int64
}

// run calls the acquire script for specs.
func (r *Redis) run(subject string, specs []Spec, charge bool, id string) (acquireResult, error) {
	keys := []string{r.hashKey("l", subject)}
	args := make([]string, 0, 4+5*len(specs))
	ch := "0"
	if charge {
		ch = "1"
	}
	args = append(args, r.now(), ch, id, strconv.FormatInt(ConcurrencyLease.Microseconds(), 10))
	for _, s := range specs {
		var a, b, c string
		switch s.Kind {
		case KindRate:
			a = strconv.FormatFloat(s.PerS*1e6/s.Rate, 'g', -1, 64)
			b, c = strconv.Itoa(s.Burst), strconv.FormatInt(s.rateCost(), 10)
		case KindQuota:
			a, b, c = strconv.Itoa(s.Count), strconv.FormatFloat(s.PerS*1e6, 'f', 0, 64), strconv.Itoa(s.Cost)
		case KindConcurrency:
			a, b, c = strconv.Itoa(s.Count), "0", "0"
			keys = append(keys, r.concKey(subject, s.Name))
		}
		args = append(args, s.Kind, s.Name, a, b, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	vals, err := acquireScript.Exec(ctx, r.c, keys, args).AsStrSlice()
	if err != nil {
		return acquireResult{}, fmt.Errorf("charging limits in redis: %w", err)
	}
	if len(vals) != 3+len(specs) {
		return acquireResult{}, errors.New("charging limits in redis: unexpected answer")
	}
	nums := make([]int64, len(vals))
	for i, v := range vals {
		if nums[i], err = strconv.ParseInt(v, 10, 64); err != nil {
			return acquireResult{}, errors.New("charging limits in redis: unexpected answer")
		}
	}
	return acquireResult{worst: int(nums[0]), retry: nums[1], nowUS: nums[2], state: nums[3:]}, nil
}

// entry turns the script's state into the in-memory form that report reads
// (rate state in ns since the Unix epoch).
func (res acquireResult) entry(specs []Spec) (*entry, instant) {
	now := res.nowUS * 1000
	t := instant{mono: now, wall: now}
	e := &entry{}
	for i, s := range specs {
		st := e.slot(s.Kind, s.Name)
		switch s.Kind {
		case KindRate:
			st.tat = res.state[i] * 1000
		case KindQuota:
			st.window, st.used = now/s.window(), res.state[i]
		case KindConcurrency:
			st.inFlight = res.state[i]
		}
	}
	return e, t
}

// release frees a grant's concurrency slots: queued for releaseLoop, or
// written at once when the queue is full or stopped. If Redis cannot be
// reached, the slots' lease ends them.
func (r *Redis) release(zkeys []string, id string) {
	r.unflushed.Add(1)
	select {
	case <-r.stop:
	default:
		select {
		case r.releases <- releaseItem{zkeys, id}:
			return
		default:
		}
	}
	r.writeReleases([]releaseItem{{zkeys, id}})
}

// releaseLoop writes queued releases, as many as are waiting in one round
// trip.
func (r *Redis) releaseLoop() {
	defer close(r.done)
	batch := make([]releaseItem, 0, 256)
	for {
		select {
		case it := <-r.releases:
			batch = append(batch[:0], it)
		drain:
			for len(batch) < cap(batch) {
				select {
				case it := <-r.releases:
					batch = append(batch, it)
				default:
					break drain
				}
			}
			r.writeReleases(batch)
		case <-r.stop:
			for {
				select {
				case it := <-r.releases:
					r.writeReleases([]releaseItem{it})
				default:
					return
				}
			}
		}
	}
}

// flushReleases waits until every queued release is written (tests).
func (r *Redis) flushReleases() {
	for r.unflushed.Load() > 0 {
		time.Sleep(100 * time.Microsecond)
	}
}

func (r *Redis) writeReleases(items []releaseItem) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	var cmds valkey.Commands
	for _, it := range items {
		for _, k := range it.zkeys {
			cmds = append(cmds, r.c.B().Zrem().Key(k).Member(it.id).Build())
		}
	}
	r.c.DoMulti(ctx, cmds...)
	r.unflushed.Add(-int64(len(items)))
}
