package limits

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Failed authentications in the cluster mode: the rules of failedauth.go
// (see there), with the counters in Redis. Every method returns an error
// when Redis cannot be reached; the guard then fails closed.

// SetFailedAuthPolicy is Limiter.SetFailedAuthPolicy.
func (r *Redis) SetFailedAuthPolicy(max int, per time.Duration) {
	if max < 1 || per < time.Second {
		return
	}
	r.authMu.Lock()
	r.authMax, r.authPer = max, per
	r.authMu.Unlock()
	r.setAhead()
}

func (r *Redis) failSpec(scale int) Spec {
	r.authMu.Lock()
	defer r.authMu.Unlock()
	n := r.authMax * scale
	return Spec{Name: failName, Kind: KindRate, Rate: float64(n), PerS: r.authPer.Seconds(), Burst: n}
}

// authOp runs the failed-authentication script.
func (r *Redis) authOp(subject, op string, s Spec, capUnits int64) (int64, int64, error) {
	T := s.PerS * 1e6 / s.Rate
	args := []string{r.now(), op, strconv.FormatFloat(T, 'g', -1, 64), strconv.Itoa(s.Burst),
		strconv.FormatInt(capUnits, 10), strconv.FormatFloat(s.PerS*1e6, 'f', 0, 64)}
	vals, err := failedAuthScript.Exec(r.callCtx(), r.c, []string{r.hashKey("a", subject)}, args).AsStrSlice()
	if err != nil {
		return 0, 0, fmt.Errorf("counting failed authentications in redis: %w", err)
	}
	if len(vals) != 2 {
		return 0, 0, errors.New("counting failed authentications in redis: unexpected answer")
	}
	a, err1 := strconv.ParseInt(vals[0], 10, 64)
	b, err2 := strconv.ParseInt(vals[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, errors.New("counting failed authentications in redis: unexpected answer")
	}
	return a, b, nil
}

// FailedAuth is Limiter.FailedAuth.
func (r *Redis) FailedAuth(subject string) error {
	s := r.failSpec(1)
	_, _, err := r.authOp(subject, "fail", s, int64(s.Burst))
	return err
}

// Blocked is Limiter.Blocked.
func (r *Redis) Blocked(subject string) (bool, time.Duration, error) {
	return r.blocked(subject, r.failSpec(1))
}

// FailedSource is Limiter.FailedSource.
func (r *Redis) FailedSource(addr string) error {
	s := r.failSpec(SourceFactor)
	_, _, err := r.authOp(Source(addr), "fail", s, int64(s.Burst))
	return err
}

// SourceBlocked is Limiter.SourceBlocked.
func (r *Redis) SourceBlocked(addr string) (bool, time.Duration, error) {
	return r.blocked(Source(addr), r.failSpec(SourceFactor))
}

// blocked reads the subject's GCRA state with one HGET (no script: a read
// needs no atomicity) and compares it with this node's clock; clocks of
// the nodes that differ by d move the end of a block by d.
func (r *Redis) blocked(subject string, s Spec) (bool, time.Duration, error) {
	return blockedIn(r.c.Do(r.callCtx(), r.c.B().Hget().Key(r.hashKey("a", subject)).Field("t").Build()), s, r.nowTime())
}

// KeyFailure is Limiter.KeyFailure.
func (r *Redis) KeyFailure(keyID string) (time.Duration, bool, error) {
	s := r.failSpec(1)
	rep, excess, err := r.authOp("keyall:"+keyID, "key", s, int64(s.Burst)+keyBacklog)
	if err != nil || excess <= 0 {
		return 0, false, err
	}
	delay := min(FailureDelayBase<<min(excess-1, 16), MaxFailureDelay)
	return delay, rep == 1, nil
}

// Lockout is what Lockouts read: whether the address is blocked over all
// keys, and whether it is blocked for the key it names, with when each may
// try again.
type Lockout struct {
	Address, Key           bool
	AddressRetry, KeyRetry time.Duration
}

// maxKnownBlocks bounds the address blocks a node remembers locally.
const maxKnownBlocks = 10_000

// Lockouts reads the blocks of an address (Source) and, unless keySubject
// is empty, of a KeySource subject, in one round trip. Address blocks it
// finds are remembered by this node until they end (KnownSourceBlock).
func (r *Redis) Lockouts(addr, keySubject string) (Lockout, error) {
	lo, _, err := r.Inspect(Checks{Address: addr, KeySource: keySubject})
	return lo, err
}

// rememberBlock notes a block of the address found in Redis until it ends.
func (r *Redis) rememberBlock(addr string, until time.Time) {
	r.blockedMu.Lock()
	if len(r.blockedAddrs) >= maxKnownBlocks {
		clear(r.blockedAddrs)
	}
	r.blockedAddrs[Source(addr)] = until
	r.blockedMu.Unlock()
}

// KnownSourceBlock reports a block of the address that this node has read
// before (Lockouts) and that has not ended: no round trip.
func (r *Redis) KnownSourceBlock(addr string) (bool, time.Duration) {
	r.blockedMu.Lock()
	defer r.blockedMu.Unlock()
	if len(r.blockedAddrs) == 0 { // no block known: no need to name the address's source
		return false, 0
	}
	until, ok := r.blockedAddrs[Source(addr)]
	if !ok {
		return false, 0
	}
	if d := until.Sub(r.nowTime()); d > 0 {
		return true, d
	}
	delete(r.blockedAddrs, Source(addr))
	return false, 0
}

func (r *Redis) nowTime() time.Time {
	if r.clock != nil {
		return r.clock.Now()
	}
	return time.Now()
}

// blockedIn reads a GCRA tat answered by HGET against spec s at now.
func blockedIn(res valkey.ValkeyResult, s Spec, now time.Time) (bool, time.Duration, error) {
	v, err := res.ToString()
	if valkey.IsValkeyNil(err) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("reading failed authentications in redis: %w", err)
	}
	tat, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return false, 0, errors.New("reading failed authentications in redis: unexpected value")
	}
	T := s.PerS * 1e6 / s.Rate
	if over := tat - float64(now.UnixMicro()) - T*float64(s.Burst-1); over > 0 {
		return true, time.Duration(math.Ceil(over)) * time.Microsecond, nil
	}
	return false, 0, nil
}
