package keyring

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/facegate/facegate/store"
)

// Lockout policy for admin authentication: LockoutFailures failures per
// administrator or per remote address within LockoutWindow lock it out for
// LockoutDuration.
const (
	LockoutFailures = 5
	LockoutWindow   = 15 * time.Minute
	LockoutDuration = 15 * time.Minute
)

// prefixAdminLock stores the recent failures and the lockout of each
// subject ("ip:<addr>", "admin:<name>"), so that a restart does not lift a
// lockout. Entries expire (store TTL) once nothing in them matters.
const prefixAdminLock = "adminlock/"

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

// lockRecord is the stored state of one subject.
type lockRecord struct {
	Fails       []int64 `json:"fails,omitempty"`        // unix ns, within the window, oldest first
	LockedUntil int64   `json:"locked_until,omitempty"` // unix ns
}

// lockout keeps failures per subject in the store. Every store error is
// returned, so that authentication fails closed.
type lockout struct {
	st *store.Store
}

// check returns a *LockoutError if subject is locked out at now.
func (l lockout) check(subject string, now time.Time) error {
	var rec lockRecord
	err := l.st.GetJSON(prefixAdminLock+subject, &rec)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("reading admin lockout: %w", err)
	}
	if until := time.Unix(0, rec.LockedUntil); now.Before(until) {
		return &LockoutError{RetryAfter: until.Sub(now)}
	}
	return nil
}

// fail records a failure; it reports whether this failure started a lockout.
func (l lockout) fail(subject string, now time.Time) (bool, error) {
	var locked bool
	err := l.st.Update(func(tx *store.Tx) error {
		var rec lockRecord
		if err := tx.GetJSON(prefixAdminLock+subject, &rec); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		cut := 0
		for cut < len(rec.Fails) && now.Sub(time.Unix(0, rec.Fails[cut])) >= LockoutWindow {
			cut++
		}
		rec.Fails = append(rec.Fails[cut:], now.UnixNano())
		ttl := LockoutWindow
		if len(rec.Fails) >= LockoutFailures {
			rec.Fails, locked = nil, true
			rec.LockedUntil = now.Add(LockoutDuration).UnixNano()
			ttl = LockoutDuration
		}
		return tx.PutJSON(prefixAdminLock+subject, rec, ttl+time.Minute)
	})
	if err != nil {
		return false, fmt.Errorf("recording admin authentication failure: %w", err)
	}
	return locked, nil
}

// reset forgets the failures of subject (after a success).
func (l lockout) reset(subject string) error {
	err := l.st.Update(func(tx *store.Tx) error {
		ok, err := tx.Exists(prefixAdminLock + subject)
		if err != nil || !ok {
			return err
		}
		return tx.Delete(prefixAdminLock + subject)
	})
	if err != nil {
		return fmt.Errorf("clearing admin failures: %w", err)
	}
	return nil
}

// remoteHost strips the port from a remote address.
func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
