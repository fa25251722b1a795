package keyring

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/facegate/facegate/store"
)

// Audit defaults and bounds for ListAudit.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
	maxAuditDetail    = 512
)

// AuditEntry is one line of the audit log: who did what, to what, when,
// from where, and whether it succeeded. It never holds a secret.
type AuditEntry struct {
	Time       string `json:"time"` // RFC 3339 with nanoseconds, UTC
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	Target     string `json:"target,omitempty"`
	RemoteAddr string `json:"remote_addr,omitempty"`
	OK         bool   `json:"ok"`
	Detail     string `json:"detail,omitempty"`
}

// auditSlot reserves a unique, time-ordered store key for an entry and
// fills its time. It runs outside transactions so that a retried
// transaction writes the same entry once.
func (k *Keyring) auditSlot(e *AuditEntry) string {
	t := k.now().UTC()
	if e.Time != "" {
		if pt, err := time.Parse(time.RFC3339Nano, e.Time); err == nil {
			t = pt.UTC()
		}
	}
	e.Time = t.Format(time.RFC3339Nano)
	e.Detail = truncate(e.Detail, maxAuditDetail)
	k.auditMu.Lock()
	k.seq++
	seq := k.seq
	k.auditMu.Unlock()
	return fmt.Sprintf("%s%020d/%010d", prefixAudit, t.UnixNano(), seq)
}

// Audit appends an entry to the audit log. An empty Time is set to now.
func (k *Keyring) Audit(e AuditEntry) error {
	key := k.auditSlot(&e)
	if err := k.st.PutJSON(key, e, 0); err != nil {
		return fmt.Errorf("writing audit entry: %w", err)
	}
	return nil
}

// auditTx is Audit inside an update transaction, so that a change and its
// audit entry commit together.
func auditTx(tx *store.Tx, key string, e AuditEntry) error {
	if err := tx.PutJSON(key, e, 0); err != nil {
		return fmt.Errorf("writing audit entry: %w", err)
	}
	return nil
}

// change runs fn and its audit entry in one transaction. The entry's OK is
// set from fn's result; a failed change is audited on its own.
func (k *Keyring) change(e AuditEntry, fn func(tx *store.Tx) error) error {
	slot := k.auditSlot(&e)
	e.OK = true
	err := k.st.Update(func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return auditTx(tx, slot, e)
	})
	if err != nil {
		e.OK = false
		e.Detail = truncate(err.Error(), maxAuditDetail)
		_ = k.st.PutJSON(slot, e, 0) // best effort: the failure itself
	}
	return err
}

// ListAudit returns up to limit entries at or after since, oldest first.
// With a zero since it returns the most recent limit entries (still oldest
// first). limit <= 0 means DefaultAuditLimit; it is capped at MaxAuditLimit.
func (k *Keyring) ListAudit(since time.Time, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	limit = min(limit, MaxAuditLimit)
	latest := since.IsZero()
	out := []AuditEntry{}
	start := prefixAudit + "\xff"
	if !latest {
		start = fmt.Sprintf("%s%020d", prefixAudit, max(since.UnixNano(), 0))
	}
	err := k.st.View(func(tx *store.Tx) error {
		return tx.ScanFrom(prefixAudit, start, latest, func(_ string, raw []byte) error {
			var e AuditEntry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("decoding audit entry: %w", err)
			}
			if out = append(out, e); len(out) == limit {
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing audit log: %w", err)
	}
	if latest {
		slices.Reverse(out)
	}
	return out, nil
}
