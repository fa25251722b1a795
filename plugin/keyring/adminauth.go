package keyring

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/facegate/facegate/store"
)

// prefixAdminStep stores, per administrator, the TOTP time steps already
// used, so that a code is accepted once.
const prefixAdminStep = "adminstep/"

type usedSteps struct {
	Steps       []int64 `json:"steps"`
	LastLoginAt int64   `json:"last_login_at"`
}

// VerifyAdmin authenticates an administrative call with the bearer token
// and a TOTP code (±1 step of skew) and returns the administrator's name.
// Every failure is ErrAdminAuth (ErrCodeReused when a right code is
// replayed); after LockoutFailures failures per administrator or per
// remote address within LockoutWindow it answers a *LockoutError
// (ErrLockedOut) for LockoutDuration, even to right credentials. Lockouts
// are kept in the store: a restart does not lift them. A store error fails
// the call.
func (k *Keyring) VerifyAdmin(token, code, remoteAddr string) (string, error) {
	now := k.now()
	ipSubj := "ip:" + remoteHost(remoteAddr)
	rec, err := k.adminByToken(token, ipSubj, remoteAddr, now)
	if err != nil {
		return "", err
	}
	adminSubj := "admin:" + rec.Name
	steps := k.matchTOTP(rec, code, now.Unix())
	if len(steps) == 0 {
		return "", k.adminFailure(ipSubj, adminSubj, remoteAddr, now)
	}
	if err := k.useStep(rec.Name, steps, now.Unix()); err != nil {
		return "", err
	}
	if err := k.adminSuccess(ipSubj, adminSubj); err != nil {
		return "", err
	}
	return rec.Name, nil
}

// adminByToken finds the administrator whose token this is, after checking
// that the remote address and then the administrator are not locked out. An
// unknown token is a failure of the address.
func (k *Keyring) adminByToken(token, ipSubj, remoteAddr string, now time.Time) (adminRecord, error) {
	if err := k.checkLock(ipSubj, now); err != nil {
		return adminRecord{}, err
	}
	recs, err := k.adminRecords()
	if err != nil {
		return adminRecord{}, fmt.Errorf("verifying admin: %w", err)
	}
	// Compare the token against every administrator, without stopping
	// early, and against a dummy when there is none.
	h := k.c.hashToken(token)
	match := -1
	for i := range recs {
		if hmac.Equal(h, recs[i].TokenHash) {
			match = i
		}
	}
	if len(recs) == 0 {
		hmac.Equal(h, k.dumm.SecretHash)
	}
	if match < 0 {
		return adminRecord{}, k.adminFailure(ipSubj, "", remoteAddr, now)
	}
	if err := k.checkLock("admin:"+recs[match].Name, now); err != nil {
		return adminRecord{}, err
	}
	return recs[match], nil
}

// adminFailure records a failure for the subjects and audits a lockout. It
// returns ErrAdminAuth, or the store error that kept it from counting.
func (k *Keyring) adminFailure(ipSubj, adminSubj, remoteAddr string, now time.Time) error {
	for _, subj := range []string{ipSubj, adminSubj} {
		if subj == "" {
			continue
		}
		locked, err := k.failLock(subj, now)
		if err != nil {
			return fmt.Errorf("verifying admin: %w", err)
		}
		if locked {
			_ = k.Audit(AuditEntry{Actor: subj, Action: "admin.lockout", RemoteAddr: remoteAddr,
				Detail: fmt.Sprintf("%d failures within %s", LockoutFailures, LockoutWindow)})
		}
	}
	return ErrAdminAuth
}

// adminSuccess forgets the failures of the subjects.
func (k *Keyring) adminSuccess(subjects ...string) error {
	for _, subj := range subjects {
		if err := k.resetLock(subj); err != nil {
			return fmt.Errorf("verifying admin: %w", err)
		}
	}
	return nil
}

// matchTOTP checks code against the steps around now and returns every
// step it matches, the current step first, then the past, then the
// future (two steps can share a code by chance). All candidates are
// computed and compared.
func (k *Keyring) matchTOTP(rec adminRecord, code string, nowUnix int64) []int64 {
	seed, err := k.c.unseal(rec.TOTPSealed, adminAAD(rec.Name))
	if err != nil || len(code) != totpDigits.Length() {
		return nil
	}
	cur := nowUnix / totpPeriod
	var matched []int64
	opts := hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	for _, s := range []int64{cur, cur - 1, cur + 1} {
		if s < 0 {
			continue
		}
		valid, err := hotp.ValidateCustom(code, uint64(s), string(seed), opts)
		if err == nil && valid {
			matched = append(matched, s)
		}
	}
	return matched
}

// useStep marks the first of steps that is not used yet as used for name,
// atomically; when all were used it fails with ErrCodeReused. Steps too old
// to be accepted again are pruned.
func (k *Keyring) useStep(name string, steps []int64, nowUnix int64) error {
	if k.shared != nil { // a code used on another node of the cluster
		if err := k.shared.UseStep(name, steps, time.Unix(nowUnix, 0)); err != nil {
			if errors.Is(err, ErrCodeReused) {
				return ErrCodeReused
			}
			return fmt.Errorf("verifying admin: recording used code: %w", err)
		}
	}
	cur := nowUnix / totpPeriod
	err := k.st.Update(func(tx *store.Tx) error {
		var u usedSteps
		if err := tx.GetJSON(prefixAdminStep+name, &u); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		i := slices.IndexFunc(steps, func(s int64) bool { return !slices.Contains(u.Steps, s) })
		if i < 0 {
			return ErrCodeReused
		}
		step := steps[i]
		u.Steps = slices.DeleteFunc(u.Steps, func(s int64) bool { return s < cur-totpSkew-1 })
		u.Steps = append(u.Steps, step)
		u.LastLoginAt = nowUnix
		return tx.PutJSON(prefixAdminStep+name, u, 0)
	})
	if errors.Is(err, ErrCodeReused) {
		return ErrCodeReused
	}
	if err != nil {
		return fmt.Errorf("verifying admin: recording used code: %w", err)
	}
	return nil
}
