package limits

import "time"

// failSpec is the GCRA spec of the failed-authentication limiter.
func (l *Limiter) failSpec() Spec {
	l.authMu.Lock()
	defer l.authMu.Unlock()
	return Spec{Name: "failed-auth", Kind: KindRate, Rate: float64(l.authMax), PerS: l.authPer.Seconds(), Burst: l.authMax}
}

// SetFailedAuthPolicy sets how many failed authentications per period an
// address (or key id) may have before Blocked reports it; the default is
// DefaultFailedAuthMax per DefaultFailedAuthPer. Invalid values are ignored.
func (l *Limiter) SetFailedAuthPolicy(max int, per time.Duration) {
	if max < 1 || per < time.Second {
		return
	}
	l.authMu.Lock()
	l.authMax, l.authPer = max, per
	l.authMu.Unlock()
}

// FailedAuth records a failed authentication for subject: a client address,
// or by convention "key:<id>" for a key id. Failures drain a GCRA bucket
// of max units that refills at max per period, so after max quick
// failures the subject is blocked until a unit comes back.
func (l *Limiter) FailedAuth(subject string) {
	s := l.failSpec()
	now := l.clock.Now().Sub(l.epoch).Nanoseconds()
	sh := l.auth.shard(subject)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.get(subject, true, l.auth.perShard).slot(s.Kind, s.Name)
	T, B := s.interval(), int64(s.Burst)
	// Failures while blocked do not push the block further out than one
	// full bucket: the ban lasts at most one period after the last failure.
	st.tat = min(max(st.tat, now)+T, now+T*B)
}

// Blocked reports whether subject has used up its failed authentications,
// and when the next attempt will be allowed.
func (l *Limiter) Blocked(subject string) (bool, time.Duration) {
	s := l.failSpec()
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
