package keyring

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/facegate/facegate/store"
)

// Admin sessions: one TOTP code opens a short-lived session, so that a
// sequence of administrative calls needs one code. A session is used
// together with its administrator's token (a session alone is worth
// nothing), is stored only as a peppered hash, expires, can be closed, and
// its opening, closing and expiry are written to the audit log.
const (
	// DefaultSessionTTL is how long a session lasts unless asked otherwise.
	DefaultSessionTTL = 10 * time.Minute
	// MaxSessionTTL bounds the lifetime of a session.
	MaxSessionTTL = time.Hour
	// SessionPrefix starts every session secret.
	SessionPrefix = "fgs_"
	// prefixAdminSession stores sessions by id (the hash of the secret).
	prefixAdminSession = "adminsess/"
	// sessionKeep is how long a closed or expired session's record stays,
	// so that using it gets a clear answer and its expiry is audited.
	sessionKeep = time.Hour
	// maxSessionLen bounds what is hashed of a presented session.
	maxSessionLen = 128
)

// ErrSessionExpired wraps ErrAdminAuth: the token and the session match but
// the session has expired or was closed; open a new one.
var ErrSessionExpired = fmt.Errorf("%w: admin session expired or closed", ErrAdminAuth)

// AdminSession is the public view of a session (never its secret).
type AdminSession struct {
	ID         string `json:"id"`
	Admin      string `json:"admin"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at"`
	RemoteAddr string `json:"remote_addr,omitempty"`
}

// sessionRecord is stored at adminsess/<id>.
type sessionRecord struct {
	AdminSession
	ClosedAt    int64 `json:"closed_at,omitempty"`
	ExpiryAudit bool  `json:"expiry_audited,omitempty"`
}

// sessionID is the store id of a session secret: its peppered hash.
func (k *Keyring) sessionID(secret string) string {
	return hex.EncodeToString(k.c.hashToken(secret)[:16])
}

// validSessionID reports whether id has the form of a session id.
func validSessionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// OpenAdminSession starts a session of administrator name (already
// authenticated with a TOTP code) lasting ttl, and returns it with its
// secret, which is not stored.
func (k *Keyring) OpenAdminSession(name, remoteAddr string, ttl time.Duration) (AdminSession, string, error) {
	if ttl <= 0 || ttl > MaxSessionTTL {
		return AdminSession{}, "", invalidf("session lifetime must be positive and at most %s", MaxSessionTTL)
	}
	raw, err := randomBytes(secretBytes)
	if err != nil {
		return AdminSession{}, "", err
	}
	secret := SessionPrefix + lowerBase32.EncodeToString(raw)
	now := k.now()
	s := AdminSession{ID: k.sessionID(secret), Admin: name, CreatedAt: now.Unix(),
		ExpiresAt: now.Add(ttl).Unix(), RemoteAddr: remoteAddr}
	k.auditExpiredSessions(now)
	err = k.change(AuditEntry{Actor: name, Action: "admin.session.open", Target: s.ID, RemoteAddr: remoteAddr,
		Detail: "expires in " + ttl.String()}, func(tx *store.Tx) error {
		return tx.PutJSON(prefixAdminSession+s.ID, sessionRecord{AdminSession: s}, ttl+sessionKeep)
	})
	if err != nil {
		return AdminSession{}, "", fmt.Errorf("opening admin session: %w", err)
	}
	return s, secret, nil
}

// VerifyAdminSession authenticates a call with the administrator's token
// and a session of that administrator, and returns the name and the
// session. An unknown session, or one of another administrator, is a
// failure that counts towards the lockout like a wrong TOTP code; an
// expired or closed one is ErrSessionExpired (and does not count).
func (k *Keyring) VerifyAdminSession(token, secret, remoteAddr string) (string, AdminSession, error) {
	now := k.now()
	ipSubj := "ip:" + remoteHost(remoteAddr)
	rec, err := k.adminByToken(token, ipSubj, remoteAddr, now)
	if err != nil {
		return "", AdminSession{}, err
	}
	adminSubj := "admin:" + rec.Name
	if !strings.HasPrefix(secret, SessionPrefix) || len(secret) > maxSessionLen {
		return "", AdminSession{}, k.adminFailure(ipSubj, adminSubj, remoteAddr, now)
	}
	var s sessionRecord
	err = k.st.GetJSON(prefixAdminSession+k.sessionID(secret), &s)
	if errors.Is(err, store.ErrNotFound) || err == nil && s.Admin != rec.Name {
		return "", AdminSession{}, k.adminFailure(ipSubj, adminSubj, remoteAddr, now)
	}
	if err != nil {
		return "", AdminSession{}, fmt.Errorf("verifying admin session: %w", err)
	}
	if s.ClosedAt != 0 || now.Unix() >= s.ExpiresAt {
		k.auditExpiry(s)
		return "", AdminSession{}, ErrSessionExpired
	}
	if err := k.adminSuccess(ipSubj, adminSubj); err != nil {
		return "", AdminSession{}, err
	}
	return rec.Name, s.AdminSession, nil
}

// CloseAdminSession closes session id on behalf of actor; closing a session
// that is already closed or expired is not an error.
func (k *Keyring) CloseAdminSession(id, actor, remoteAddr string) error {
	err := k.change(AuditEntry{Actor: actor, Action: "admin.session.close", Target: id, RemoteAddr: remoteAddr},
		func(tx *store.Tx) error {
			var s sessionRecord
			if !validSessionID(id) {
				return fmt.Errorf("admin session %s: %w", truncate(id, 40), ErrNotFound)
			}
			if err := tx.GetJSON(prefixAdminSession+id, &s); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("admin session %s: %w", id, ErrNotFound)
				}
				return err
			}
			if s.ClosedAt != 0 {
				return nil
			}
			s.ClosedAt = k.now().Unix()
			return tx.PutJSON(prefixAdminSession+id, s, sessionKeep)
		})
	if err != nil {
		return fmt.Errorf("closing admin session: %w", err)
	}
	return nil
}

// ListAdminSessions returns the open sessions of every administrator,
// oldest first, and audits the expiry of sessions that ran out.
func (k *Keyring) ListAdminSessions() ([]AdminSession, error) {
	now := k.now()
	k.auditExpiredSessions(now)
	out := []AdminSession{}
	err := k.st.ScanJSON(prefixAdminSession, func(_ string, raw []byte) error {
		var s sessionRecord
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("decoding admin session: %w", err)
		}
		if s.ClosedAt == 0 && now.Unix() < s.ExpiresAt {
			out = append(out, s.AdminSession)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing admin sessions: %w", err)
	}
	return out, nil
}

// closeSessionsTx closes every open session of administrator name (when it
// is deleted or its TOTP seed replaced).
func (k *Keyring) closeSessionsTx(tx *store.Tx, name string) error {
	var open []sessionRecord
	err := tx.Scan(prefixAdminSession, func(_ string, raw []byte) error {
		var s sessionRecord
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("decoding admin session: %w", err)
		}
		if s.Admin == name && s.ClosedAt == 0 {
			open = append(open, s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := k.now().Unix()
	for _, s := range open {
		s.ClosedAt = now
		if err := tx.PutJSON(prefixAdminSession+s.ID, s, sessionKeep); err != nil {
			return err
		}
	}
	return nil
}

// auditExpiredSessions writes the expiry of every session that ran out and
// was not closed to the audit log, once (best effort).
func (k *Keyring) auditExpiredSessions(now time.Time) {
	var due []sessionRecord
	_ = k.st.ScanJSON(prefixAdminSession, func(_ string, raw []byte) error {
		var s sessionRecord
		if json.Unmarshal(raw, &s) == nil && s.ClosedAt == 0 && !s.ExpiryAudit && now.Unix() >= s.ExpiresAt {
			due = append(due, s)
		}
		return nil
	})
	for _, s := range due {
		k.auditExpiry(s)
	}
}

// auditExpiry audits the expiry of s once, with the mark that it was
// audited in the same transaction; closed sessions were audited when they
// were closed.
func (k *Keyring) auditExpiry(s sessionRecord) {
	if s.ClosedAt != 0 || s.ExpiryAudit {
		return
	}
	e := AuditEntry{Actor: s.Admin, Action: "admin.session.expire", Target: s.ID, OK: true,
		Detail: "expired at " + time.Unix(s.ExpiresAt, 0).UTC().Format(time.RFC3339)}
	slot := k.auditSlot(&e)
	_ = k.st.Update(func(tx *store.Tx) error {
		var cur sessionRecord
		if err := tx.GetJSON(prefixAdminSession+s.ID, &cur); err != nil || cur.ExpiryAudit || cur.ClosedAt != 0 {
			return err
		}
		cur.ExpiryAudit = true
		if err := tx.PutJSON(prefixAdminSession+s.ID, cur, sessionKeep); err != nil {
			return err
		}
		return auditTx(tx, slot, e)
	})
}
