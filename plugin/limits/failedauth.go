package limits

import (
	"net/netip"
	"time"
)

// Failed authentications are counted on three subjects, so that nobody can
// lock a key's holder out by failing on purpose:
//
//   - per key id and client address (KeySource): authMax failures per
//     authPer, then that address is refused for that key;
//   - per client address (Source): SourceFactor × authMax failures per
//     authPer over all keys (spraying), then that address is refused;
//   - per key id over all addresses (KeyFailure): never a refusal of a
//     correct credential; past authMax failures per authPer the failing
//     answers are delayed, exponentially, so that guessing from many
//     addresses is slowed and reported.
//
// A correct credential from an address that has not failed is therefore
// never refused because of other addresses' failures.
const (
	// SourceFactor scales the allowance of one address over all keys.
	SourceFactor = 3
	// FailureDelayBase is the delay of the first failing answer past a key's
	// allowance; each further failure doubles it, up to MaxFailureDelay.
	FailureDelayBase = 250 * time.Millisecond
	// MaxFailureDelay caps the delay of one failing answer.
	MaxFailureDelay = 8 * time.Second
	// keyBacklog bounds how many failures past the allowance a key's
	// counter remembers (so that it drains within a few periods).
	keyBacklog = 8
)

const (
	failName    = "failed-auth"
	keyFailName = "key-failures"
)

// failSpec is the GCRA spec of the failed-authentication limiter, with scale
// times the allowance per period.
func (l *Limiter) failSpec(scale int) Spec {
	n := l.authMax * scale
	return Spec{Name: failName, Kind: KindRate, Rate: float64(n), PerS: l.authPer.Seconds(), Burst: n}
}

// KeySource is the subject for failures of one key id from one address.
func KeySource(keyID, addr string) string { return "key:" + keyID + "@" + addr }

// Source is the subject for failures of one address over all keys. IPv6
// addresses count per /64, the block one host is usually given.
func Source(addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + addr
}

// FailedAuth records a failed authentication for a KeySource subject.
func (l *Limiter) FailedAuth(subject string) { l.fail(subject, l.failSpec(1)) }

// Blocked reports whether a KeySource subject has used up its failed
// authentications, and when the next attempt will be allowed.
func (l *Limiter) Blocked(subject string) (bool, time.Duration) {
	return l.blocked(subject, l.failSpec(1))
}

// FailedSource records a failed authentication from a client address.
func (l *Limiter) FailedSource(addr string) { l.fail(Source(addr), l.failSpec(SourceFactor)) }

// SourceBlocked reports whether a client address has used up its failed
// authentications over all keys, and when it may try again.
func (l *Limiter) SourceBlocked(addr string) (bool, time.Duration) {
	return l.blocked(Source(addr), l.failSpec(SourceFactor))
}

// fail drains one unit of subject's GCRA bucket. Failures while blocked do
// not push the block further out than one full bucket: the ban lasts at
// most one period after the last failure.
func (l *Limiter) fail(subject string, s Spec) {
	now := l.clock.Now().Sub(l.epoch).Nanoseconds()
	sh := l.auth.shard(subject)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(subject, true, l.auth.perShard)
	st := e.slot(s.Kind, s.Name)
	T, B := s.interval(), int64(s.Burst)
	st.tat = min(max(st.tat, now)+T, now+T*B)
	sh.markDirty(e)
}

func (l *Limiter) blocked(subject string, s Spec) (bool, time.Duration) {
	now := l.clock.Now().Sub(l.epoch).Nanoseconds()
	sh := l.auth.shard(subject)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[subject]
	if !ok {
		return false, 0
	}
	st := e.find(s.Kind, s.Name)
	if st == nil {
		return false, 0
	}
	T, B := s.interval(), int64(s.Burst)
	if over := st.tat - now - T*(B-1); over > 0 {
		return true, time.Duration(over)
	}
	return false, 0
}

// KeyFailure records a failed authentication against keyID from any address
// and returns how long to delay the failing answer: nothing within the
// key's allowance (authMax per authPer), then FailureDelayBase doubled for
// each further failure still counted, at most MaxFailureDelay. report is
// true for the first failure past the allowance in a period, for the audit
// log. Only failing requests are delayed; the key itself is never refused.
func (l *Limiter) KeyFailure(keyID string) (delay time.Duration, report bool) {
	s := l.failSpec(1)
	now := l.clock.Now().Sub(l.epoch).Nanoseconds()
	subject := "keyall:" + keyID
	sh := l.auth.shard(subject)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(subject, true, l.auth.perShard)
	st := e.slot(s.Kind, keyFailName)
	T, B := s.interval(), int64(s.Burst)
	st.tat = min(max(st.tat, now)+T, now+T*(B+keyBacklog))
	sh.markDirty(e)
	excess := (st.tat-now+T-1)/T - B // failures counted beyond the allowance
	if excess <= 0 {
		return 0, false
	}
	delay = FailureDelayBase << min(excess-1, 16)
	delay = min(delay, MaxFailureDelay)
	// st.window holds when this key was last reported (ns since epoch + 1).
	period := int64(s.PerS * float64(time.Second))
	if st.window == 0 || now-(st.window-1) >= period {
		st.window, report = now+1, true
	}
	return delay, report
}
