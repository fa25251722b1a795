package plugin

import (
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/internal/usage"
	"github.com/facegate/facegate/store"
)

// usageKeyPrefix is where the usage recorder's history is kept: one entry
// per (key, route) series, usage/<hash of key and route>, whose value is a
// usage.Series (key id, route and counts: nothing secret or biometric),
// written with a 24 h TTL so that series no longer in memory expire.
const usageKeyPrefix = "usage/"

// usageSaveEvery is how often the usage history is written; a clean stop
// writes it too, so only a crash loses up to this much of it.
const usageSaveEvery = 5 * time.Minute

// usageJournal restores the usage recorder from the store at start and
// writes it back every usageSaveEvery and on a clean stop.
type usageJournal struct {
	rec    *usage.Recorder
	st     *store.Store
	prefix string // usageKeyPrefix, or a node's folder under it (nodeJournalPrefix)
	logger *zap.Logger
	*periodic
}

// newUsageJournal restores rec (empty) from the entries under prefix in st
// and starts writing it there. A history that cannot be read or restored is
// logged and rec starts empty.
func newUsageJournal(rec *usage.Recorder, st *store.Store, prefix string, logger *zap.Logger) *usageJournal {
	j := &usageJournal{rec: rec, st: st, prefix: prefix, logger: logger}
	snap, malformed, err := readJournal[usage.Series](st, prefix)
	switch {
	case err != nil:
		logger.Error("reading the usage history failed; usage starts empty", zap.Error(err))
	case malformed > 0:
		logger.Error("usage history entries of an unknown shape were ignored", zap.Int("entries", malformed))
	}
	if err == nil {
		if rerr := rec.Restore(snap); rerr != nil {
			logger.Error("the usage history could not be restored; usage starts empty", zap.Error(rerr))
		}
	}
	j.periodic = startPeriodic(usageSaveEvery, j.save)
	return j
}

// save writes every series, one transaction each (a series is at most
// 1440 × 24 bytes).
func (j *usageJournal) save() {
	failed := 0
	for _, s := range j.rec.Snapshot() {
		if err := j.st.PutJSON(journalKey(j.prefix, s.Key, s.Route), s, 24*time.Hour); err != nil {
			failed++
		}
	}
	if failed > 0 {
		j.logger.Error("writing the usage history failed", zap.Int("series", failed))
	}
}
