package keyring

import "time"

// SharedAdminState is admin-authentication state that the nodes of a
// cluster must share, kept in an engine they all reach (Redis): failures
// and lockouts per subject ("ip:<addr>", "admin:<name>"), and the TOTP time
// steps already used per administrator, so that a code accepted by one node
// is refused by every other and failures on several nodes add up. The
// keyring consults it in addition to its own store (which keeps lockouts
// and used steps across restarts). Every error fails the call closed.
type SharedAdminState interface {
	// CheckLockout returns a *LockoutError while subject is locked out.
	CheckLockout(subject string, now time.Time) error
	// Fail records a failure of subject and reports whether it started a
	// lockout (LockoutFailures within LockoutWindow lock for LockoutDuration).
	Fail(subject string, now time.Time) (bool, error)
	// Reset forgets the failures of subject (after a success).
	Reset(subject string) error
	// UseStep marks the first of steps not used yet by name as used, or
	// returns ErrCodeReused when every one was used.
	UseStep(name string, steps []int64, now time.Time) error
}

// ShareAdminState makes the keyring consult s for admin lockouts and used
// TOTP steps (cluster mode). Call it before the keyring serves requests.
func (k *Keyring) ShareAdminState(s SharedAdminState) { k.shared = s }

// checkLock is lockout.check, then the shared state's.
func (k *Keyring) checkLock(subject string, now time.Time) error {
	if err := k.lockout.check(subject, now); err != nil {
		return err
	}
	if k.shared != nil {
		return k.shared.CheckLockout(subject, now)
	}
	return nil
}

// failLock records a failure locally and in the shared state; it reports
// whether either started a lockout.
func (k *Keyring) failLock(subject string, now time.Time) (bool, error) {
	locked, err := k.lockout.fail(subject, now)
	if err != nil || k.shared == nil {
		return locked, err
	}
	shared, err := k.shared.Fail(subject, now)
	if err != nil {
		return false, err
	}
	return locked || shared, nil
}

// resetLock forgets the failures locally and in the shared state.
func (k *Keyring) resetLock(subject string) error {
	if err := k.lockout.reset(subject); err != nil {
		return err
	}
	if k.shared != nil {
		return k.shared.Reset(subject)
	}
	return nil
}
