package keyring

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Lockout policy for admin authentication: LockoutFailures failures per
// administrator or per remote address within LockoutWindow lock it out for
// LockoutDuration.
const (
	LockoutFailures = 5
	LockoutWindow   = 15 * time.Minute
	LockoutDuration = 15 * time.Minute
	maxLockoutTrack = 100_000
)

// ErrLockedOut is returned (wrapped in a *LockoutError) while an
// administrator or remote address is locked out.
var ErrLockedOut = errors.New("too many failed admin authentications, locked out")

// LockoutError tells how long a lockout still lasts.
type LockoutError struct {
	RetryAfter time.Duration
}

func (e *LockoutError) Error() string {
	return fmt.Sprintf("%s; retry in %s", ErrLockedOut, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrLockedOut) true.
func (e *LockoutError) Is(target error) bool { return target == ErrLockedOut }

// failState is the recent failures of one subject.
type failState struct {
	fails       []time.Time // within the window, oldest first
	lockedUntil time.Time
}

// lockout tracks failures per subject ("ip:<addr>", "admin:<name>") in
// memory. A restart clears it; the per-admin used TOTP steps persist.
type lockout struct {
	mu    sync.Mutex
	state map[string]*failState
}

func (l *lockout) init() { l.state = make(map[string]*failState) }

// check returns a *LockoutError if subject is locked out at now.
func (l *lockout) check(subject string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.state[subject]; s != nil && now.Before(s.lockedUntil) {
		return &LockoutError{RetryAfter: s.lockedUntil.Sub(now)}
	}
	return nil
}

// fail records a failure; it reports whether this failure started a lockout.
func (l *lockout) fail(subject string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state[subject]
	if s == nil {
		if len(l.state) >= maxLockoutTrack {
			l.purge(now)
		}
		s = &failState{}
		l.state[subject] = s
	}
	cut := 0
	for cut < len(s.fails) && now.Sub(s.fails[cut]) >= LockoutWindow {
		cut++
	}
	s.fails = append(s.fails[cut:], now)
	if len(s.fails) >= LockoutFailures {
		s.fails = nil
		s.lockedUntil = now.Add(LockoutDuration)
		return true
	}
	return false
}

// reset forgets the failures of subject (after a success).
func (l *lockout) reset(subject string) {
	l.mu.Lock()
	delete(l.state, subject)
	l.mu.Unlock()
}

// purge drops subjects with no lockout and no failure in the window; if
// that frees nothing, it drops every subject that is not locked out.
func (l *lockout) purge(now time.Time) {
	for k, s := range l.state {
		recent := len(s.fails) > 0 && now.Sub(s.fails[len(s.fails)-1]) < LockoutWindow
		if !recent && !now.Before(s.lockedUntil) {
			delete(l.state, k)
		}
	}
	if len(l.state) >= maxLockoutTrack {
		for k, s := range l.state {
			if !now.Before(s.lockedUntil) {
				delete(l.state, k)
			}
		}
	}
}

// remoteHost strips the port from a remote address.
func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
