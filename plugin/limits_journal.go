package plugin

import (
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/store"
)

// limitsKeyPrefix is where the embedded mode keeps the limiter's counters:
// one entry per subject, limits/<hash of table and subject>, whose value
// holds the subject and its slots (limits.State), with a TTL that ends when
// the counters are back to a fresh subject's.
const limitsKeyPrefix = "limits/"

// limitsFlushEvery is the loss window of the embedded limiter: the counters
// changed since the last write are written every limitsFlushEvery (one
// synced Badger transaction), and on a clean stop. A process killed with
// SIGKILL, or a power loss, forgets at most the charges and failed
// authentications of its last limitsFlushEvery (plus the write in progress);
// a clean stop forgets none. Quotas, rate buckets and failed-authentication
// lockouts therefore survive a restart; concurrency slots do not need to
// (their requests ended with the process).
const limitsFlushEvery = 250 * time.Millisecond

// limitsJournal writes the limiter's changed counters to the store.
type limitsJournal struct {
	l      *limits.Limiter
	st     *store.Store
	prefix string // limitsKeyPrefix, or a node's folder under it (nodeJournalPrefix)
	logger *zap.Logger
	// pending holds states whose write failed, retried with the next flush
	// (a newer state of the same subject replaces them).
	pending map[string]limits.State
	*periodic
}

// newLimitsJournal restores l from the entries under prefix in st and starts
// writing its changes there. A read error is logged and the limiter starts
// from what could be read.
func newLimitsJournal(l *limits.Limiter, st *store.Store, prefix string, logger *zap.Logger) *limitsJournal {
	j := &limitsJournal{l: l, st: st, prefix: prefix, logger: logger, pending: map[string]limits.State{}}
	states, malformed, err := readJournal[limits.State](st, prefix)
	if err != nil {
		logger.Error("reading the limiter's counters failed; quotas and rate limits restart from what was read", zap.Error(err))
	}
	if malformed > 0 {
		logger.Error("limiter entries of an unknown shape were ignored", zap.Int("entries", malformed))
	}
	l.Restore(states)
	j.periodic = startPeriodic(limitsFlushEvery, j.flush)
	return j
}

// flush writes the subjects changed since the last flush in one transaction.
func (j *limitsJournal) flush() {
	for _, s := range j.l.Snapshot() {
		j.pending[limitsStoreKey(j.prefix, s)] = s
	}
	if len(j.pending) == 0 {
		return
	}
	now := time.Now()
	err := j.st.Update(func(tx *store.Tx) error {
		for key, s := range j.pending {
			ttl := time.Duration(s.Until - now.UnixNano())
			if len(s.Slots) == 0 || ttl <= 0 {
				if err := tx.Delete(key); err != nil {
					return err
				}
				continue
			}
			if err := tx.PutJSON(key, s, ttl+time.Second); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		j.logger.Error("writing the limiter's counters failed; retrying with the next flush", zap.Error(err), zap.Int("subjects", len(j.pending)))
		return
	}
	clear(j.pending)
}

// limitsStoreKey names a subject's entry without putting the subject (a
// client-chosen key id, an address) in the key itself.
func limitsStoreKey(prefix string, s limits.State) string {
	return journalKey(prefix, s.Table, s.Subject)
}
