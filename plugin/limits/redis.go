package limits

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
// that L requests pass in total whichever nodes they hit; Admit checks the
// caller's failed-authentication blocks and records a signature's nonce in
// the same script (see Checks). Time comes from the Redis server's clock
// (one clock for all nodes) unless a Clock is given (tests). Concurrency
// slots are leased for ConcurrencyLease, so that the slots of a node that
// dies come back by themselves; Release frees them in Redis, waiting for
// it only when the grant took a limit's last free slot, otherwise with the
// node's next admission or within ReleaseDelay (see release).
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
	blockedAddrs map[string]time.Time // address blocks read by Lockouts or Admit, until they end

	argsMu sync.RWMutex
	args   map[Spec][4]string // specArgs

	genMu  sync.Mutex // held to replace gens
	gens   atomic.Pointer[genTable]
	genMax int // maxScripts (tests change it)

	relMu      sync.Mutex
	relPending []pendingRelease // released slots not yet written (see release)
	relArmed   bool             // relTimer runs
	relTimer   *time.Timer      // runs flushDue
	start      time.Time        // the origin of pendingRelease.at
	relDelay   time.Duration    // ReleaseDelay (tests change it)

	closed    atomic.Bool
	unflushed atomic.Int64 // releases being written

	deadline atomic.Pointer[sharedDeadline] // callCtx
	hashes   hashCache                      // hashKey
}

// pendingRelease is one released slot not yet removed from Redis: its
// sorted set, grant id and when it was released (since Redis.start).
type pendingRelease struct {
	zkey, id string
	at       time.Duration
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
		authMax: DefaultFailedAuthMax, authPer: DefaultFailedAuthPer, blockedAddrs: map[string]time.Time{}, args: map[Spec][4]string{},
		genMax: maxScripts}
	r.setAhead()
	r.relDelay = ReleaseDelay
	r.start = time.Now()
	r.relTimer = time.AfterFunc(time.Hour, r.flushDue)
	r.relTimer.Stop()
	return r
}

// Close waits until the releases being written are done (the client stays
// open: it is the caller's). Releases after Close are written before
// Release returns.
func (r *Redis) Close() {
	r.closed.Store(true)
	r.relTimer.Stop()
	r.flushReleases()
}

// now is the time argument of the scripts: empty for the server's clock.
func (r *Redis) now() string {
	if r.clock == nil {
		return ""
	}
	return strconv.FormatInt(r.clock.Now().UnixMicro(), 10)
}

// Acquire is Limiter.Acquire on the shared counters: Admit without checks.
func (r *Redis) Acquire(subject string, specs []Spec) (Grant, Denial) {
	return r.Admit(subject, specs, Checks{})
}

// Admit checks c, then every spec for subject, and only if all allow it
// charges the specs and records c's nonce, in one round trip. It returns
// the Grant, or a Denial whose Denied() is true: KindBlocked or
// KindReplayed from c (nothing charged), a limit's refusal (the nonce not
// recorded), KindUnavailable when Redis cannot be reached.
func (r *Redis) Admit(subject string, specs []Spec, c Checks) (Grant, Denial) {
	if d, bad := invalid(specs); bad {
		return Grant{}, d
	}
	var idBuf [32]byte
	id := string(strconv.AppendUint(append(append(idBuf[:0], r.node...), '-'), r.seq.Add(1), 36))
	rel := r.takePending(maxCarried)
	res, zkeys, err := r.run(subject, specs, true, id, &c, rel)
	if err != nil {
		r.requeue(rel)
		return Grant{}, unavailableDenial(err)
	}
	r.written(rel)
	if res.worst < 0 {
		return Grant{}, r.checkDenial(res, c)
	}
	var slots [4]slot
	e := &entry{slots: slots[:0]}
	t := res.fill(e, specs)
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
	if len(zkeys) > 0 {
		g.rel = &releaser{redis: r, zkeys: zkeys, id: id}
		for i, s := range specs {
			g.rel.await = g.rel.await || (s.Kind == KindConcurrency && res.state[i] >= int64(s.Count))
		}
	}
	return g, Denial{}
}

// Usage is Limiter.Usage on the shared counters; an unreachable Redis gives
// an error.
func (r *Redis) Usage(subject string, specs []Spec) (Usage, error) {
	if _, bad := invalid(specs); bad {
		return Usage{}, nil
	}
	res, _, err := r.run(subject, specs, false, "", &Checks{}, nil)
	if err != nil {
		return Usage{}, err
	}
	var slots [4]slot
	e := &entry{slots: slots[:0]}
	t := res.fill(e, specs)
	u, _, _ := report(time.Unix(0, 0), e, specs, t)
	return u, nil
}

func unavailableDenial(err error) Denial {
	return Denial{Kind: KindUnavailable, Code: CodeUnavailable, Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Err: err}
}

// acquireResult is the acquire script's answer.
type acquireResult struct {
	worst        int
	retry, nowUS int64
	state        []int64
}

// errAnswer is an answer of the acquire script that does not parse.
var errAnswer = errors.New("charging limits in redis: unexpected answer")

// run calls the acquire script for specs and c, removing the released
// slots rel first; it returns the answer and the keys of the specs'
// concurrency sets. An admission runs the script generated for its shape
// (redis_script.go) while there is one, the generic script otherwise.
func (r *Redis) run(subject string, specs []Spec, charge bool, id string, c *Checks, rel []pendingRelease) (acquireResult, []string, error) {
	h := r.hashKey("l", subject)
	nconc := 0
	for _, s := range specs {
		if s.Kind == KindConcurrency {
			nconc++
		}
	}
	var gen *acquireGen
	if charge {
		gen = r.acquireFor(specs, c)
	}
	var keys, args []string
	var first int // index of the first concurrency set in keys
	script := acquireScript
	if gen != nil {
		script = gen.lua
		keys, args, first = r.genCall(h, specs, nconc, id, c, rel)
	} else {
		keys, args = r.genericCall(h, specs, nconc, charge, id, c, rel)
		first = 4
	}
	msgs, err := script.Exec(r.callCtx(), r.c, keys, args).ToArray()
	if err != nil {
		return acquireResult{}, nil, fmt.Errorf("charging limits in redis: %w", err)
	}
	if len(msgs) < 3 {
		return acquireResult{}, nil, errAnswer
	}
	var res acquireResult
	var nums [3]int64
	for i := range nums {
		if nums[i], err = msgs[i].AsInt64(); err != nil {
			return acquireResult{}, nil, errAnswer
		}
	}
	res.worst, res.retry, res.nowUS = int(nums[0]), nums[1], nums[2]
	if res.worst < 0 {
		return res, nil, nil
	}
	if len(msgs) != 3+len(specs) {
		return acquireResult{}, nil, errAnswer
	}
	res.state = make([]int64, len(specs))
	for i := range specs {
		if res.state[i], err = msgs[3+i].AsInt64(); err != nil {
			return acquireResult{}, nil, errAnswer
		}
	}
	return res, keys[first : first+nconc], nil
}

// genericCall lays out the generic script's keys and arguments (see
// redis_acquire.lua).
func (r *Redis) genericCall(h string, specs []Spec, nconc int, charge bool, id string, c *Checks, rel []pendingRelease) ([]string, []string) {
	keys := make([]string, 4, 4+nconc+len(rel))
	keys[0], keys[1], keys[2], keys[3] = h, h, h, h
	args := make([]string, 9, 9+5*len(specs)+2*len(rel))
	args[0], args[1], args[2], args[3] = r.now(), "0", id, leaseArg
	args[7] = strconv.Itoa(len(specs))
	if charge {
		args[1] = "1"
	}
	if c.NonceKey != "" {
		keys[1] = c.NonceKey
		args[4] = strconv.FormatInt(max(c.NonceTTL.Milliseconds(), 1), 10)
	}
	if c.Address != "" || c.KeySource != "" {
		ahead := r.gens.Load().ahead
		if c.Address != "" {
			keys[2] = r.sourceKey(c.Address)
			args[5] = ahead[0]
		}
		if c.KeySource != "" {
			keys[3] = r.hashKey("a", c.KeySource)
			args[6] = ahead[1]
		}
	}
	for _, s := range specs {
		v := r.specArgs(s)
		if s.Kind == KindConcurrency {
			keys = append(keys, h+":c:"+s.Name)
		}
		args = append(args, s.Kind, v[0], v[1], v[2], v[3])
	}
	keys, args, sets := appendReleases(keys, args, rel)
	args[8] = strconv.Itoa(sets)
	return keys, args
}

// appendReleases adds the released slots rel to the acquire script's keys
// and arguments: one set after the other, each with the number of its ids
// and the ids; it returns the number of sets.
func appendReleases(keys, args []string, rel []pendingRelease) ([]string, []string, int) {
	sets := 0
	for i, p := range rel {
		if slices.ContainsFunc(rel[:i], func(q pendingRelease) bool { return q.zkey == p.zkey }) {
			continue // listed with the set's first
		}
		sets++
		keys = append(keys, p.zkey)
		at := len(args)
		args = append(args, "", p.id)
		n := 1
		for _, q := range rel[i+1:] {
			if q.zkey == p.zkey {
				args = append(args, q.id)
				n++
			}
		}
		args[at] = strconv.Itoa(n)
	}
	return keys, args, sets
}

// leaseArg is ConcurrencyLease in µs, as the script takes it.
var leaseArg = strconv.FormatInt(ConcurrencyLease.Microseconds(), 10)

// blockAhead is how far (µs) a failed-authentication tat of spec s may
// run ahead of now before it blocks: burst - 1 intervals (failedauth.go's
// Blocked, computed as the embedded limiter does).
func blockAhead(s Spec) string {
	return strconv.FormatFloat(s.PerS*1e6/s.Rate*float64(s.Burst-1), 'g', -1, 64)
}

// specArgs are the script's field, a, b and c for s (see
// redis_acquire.lua), formatted once per distinct spec: the policies hand
// out few.
func (r *Redis) specArgs(s Spec) [4]string {
	r.argsMu.RLock()
	v, ok := r.args[s]
	r.argsMu.RUnlock()
	if ok {
		return v
	}
	switch s.Kind {
	case KindRate:
		v = [4]string{"r:" + s.Name, strconv.FormatFloat(s.PerS*1e6/s.Rate, 'g', -1, 64), strconv.Itoa(s.Burst), strconv.FormatInt(s.rateCost(), 10)}
	case KindQuota:
		v = [4]string{"q:" + s.Name, strconv.Itoa(s.Count), strconv.FormatFloat(s.PerS*1e6, 'f', 0, 64), strconv.Itoa(s.Cost)}
	default:
		v = [4]string{"", strconv.Itoa(s.Count), "0", "0"}
	}
	r.argsMu.Lock()
	if len(r.args) >= maxCachedSpecs {
		clear(r.args)
	}
	r.args[s] = v
	r.argsMu.Unlock()
	return v
}

// maxCachedSpecs bounds the specs whose arguments are kept formatted.
const maxCachedSpecs = 4096

// fill turns the script's state into the in-memory form that report reads
// (rate state in ns since the Unix epoch), in e (the caller's, on its
// stack: report keeps nothing of it), and returns the script's time.
func (res acquireResult) fill(e *entry, specs []Spec) instant {
	now := res.nowUS * 1000
	t := instant{mono: now, wall: now}
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
	return t
}

// release frees a grant's concurrency slots in Redis. The guard releases
// a grant before its answer is complete; when the grant took the last free
// slot of a limit (await), release waits until Redis has freed it, so that
// a client that sends its next request after the answer finds the slot
// free, whichever node the request reaches (a release sent without waiting
// was seen to lose that race). Otherwise the slots are removed by this
// node's next acquire script, in the same round trip as that request's
// limits, or by a write of their own after ReleaseDelay when no request
// comes first: a release then costs no round trip of its own on a busy
// node. A client's next request finds room even while the slot is still
// counted, since with it the set was not full (and every grant that leaves
// a slot counted this way leaves room for one more, so that a client never
// finds its own stale slots filling the set); only requests of other
// clients that fill the set meanwhile can be refused with 203; never more
// than the limit is admitted. If Redis cannot be reached, the slots' lease
// ends them.
func (r *Redis) release(zkeys []string, id string, await bool) {
	if await || r.closed.Load() {
		r.unflushed.Add(1)
		defer r.unflushed.Add(-1)
		rel := r.takePending(maxCarried)
		own := make([]pendingRelease, 0, len(rel)+len(zkeys))
		for _, z := range zkeys {
			own = append(own, pendingRelease{zkey: z, id: id})
		}
		r.writeReleases(append(own, rel...))
		r.written(rel)
		return
	}
	r.relMu.Lock()
	at := time.Since(r.start)
	for _, z := range zkeys {
		r.relPending = append(r.relPending, pendingRelease{z, id, at})
	}
	if !r.relArmed {
		r.relArmed = true
		r.relTimer.Reset(r.relDelay)
	}
	full := len(r.relPending) >= maxPending
	r.relMu.Unlock()
	if full {
		go r.flushPending()
	}
}

// ReleaseDelay is how long a released concurrency slot may wait for the
// node's next acquire script before it is written on its own (the timer
// writes only the slots that waited that long: on a busy node the next
// admissions carry the others).
const ReleaseDelay = time.Millisecond

const (
	maxCarried = 64   // released slots written by one acquire script at most
	maxPending = 1024 // released slots waiting at most; more are written at once
)

// takePending removes up to n released slots from the waiting ones and
// returns them; the caller writes them and calls written, or requeue.
func (r *Redis) takePending(n int) []pendingRelease {
	r.relMu.Lock()
	defer r.relMu.Unlock()
	if len(r.relPending) == 0 {
		return nil
	}
	n = min(n, len(r.relPending))
	rel := slices.Clone(r.relPending[:n])
	r.relPending = append(r.relPending[:0], r.relPending[n:]...)
	if n > 0 {
		r.unflushed.Add(1) // until written or requeued
	}
	return rel
}

// requeue puts back released slots that an acquire script could not
// write (Redis unreachable), before the others (they are older): the next
// script or the timer writes them.
func (r *Redis) requeue(rel []pendingRelease) {
	if len(rel) == 0 {
		return
	}
	r.relMu.Lock()
	r.relPending = append(rel, r.relPending...)
	if !r.relArmed {
		r.relArmed = true
		r.relTimer.Reset(r.relDelay)
	}
	r.relMu.Unlock()
	r.unflushed.Add(-1)
}

// written ends the writing of released slots that takePending returned.
func (r *Redis) written(rel []pendingRelease) {
	if len(rel) > 0 {
		r.unflushed.Add(-1)
	}
}

// flushDue writes the released slots that waited ReleaseDelay, oldest
// first, and sets relTimer for the next one that will have (relTimer runs
// it; relArmed holds until it ends).
func (r *Redis) flushDue() {
	for {
		r.relMu.Lock()
		due := time.Since(r.start) - r.relDelay
		n := 0
		for n < len(r.relPending) && n < maxPending && r.relPending[n].at <= due {
			n++
		}
		if n == 0 {
			if len(r.relPending) > 0 {
				r.relTimer.Reset(r.relPending[0].at - due)
			} else {
				r.relArmed = false
			}
			r.relMu.Unlock()
			return
		}
		rel := slices.Clone(r.relPending[:n])
		r.relPending = append(r.relPending[:0], r.relPending[n:]...)
		r.unflushed.Add(1)
		r.relMu.Unlock()
		r.writeReleases(rel)
		r.written(rel)
	}
}

// flushPending writes every waiting released slot.
func (r *Redis) flushPending() {
	for {
		rel := r.takePending(maxPending)
		if rel == nil {
			return
		}
		r.writeReleases(rel)
		r.written(rel)
	}
}

// flushReleases writes the waiting released slots and waits until every
// release being written is done.
func (r *Redis) flushReleases() {
	r.flushPending()
	for r.unflushed.Load() > 0 {
		time.Sleep(100 * time.Microsecond)
	}
}

// writeReleases removes released slots from Redis, one ZREM per set.
func (r *Redis) writeReleases(rel []pendingRelease) {
	if len(rel) == 0 {
		return
	}
	ctx := r.callCtx()
	cmds := make(valkey.Commands, 0, 1)
	for i, p := range rel {
		if slices.ContainsFunc(rel[:i], func(q pendingRelease) bool { return q.zkey == p.zkey }) {
			continue
		}
		ids := []string{p.id}
		for _, q := range rel[i+1:] {
			if q.zkey == p.zkey {
				ids = append(ids, q.id)
			}
		}
		cmds = append(cmds, r.c.B().Zrem().Key(p.zkey).Member(ids...).Build())
	}
	if len(cmds) == 1 {
		r.c.Do(ctx, cmds[0])
		return
	}
	r.c.DoMulti(ctx, cmds...)
}
