package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/store"
	"github.com/facegate/facegate/plugin/httpsig"
)

// nonceKeyPrefix is where seen signature nonces are journaled, with a TTL.
const nonceKeyPrefix = "nonce/"

// nonceFlushEvery is how often the journal is written: a nonce accepted in
// the last interval before a crash (kill -9, power loss) is the only one
// that could be replayed after the restart.
const nonceFlushEvery = 200 * time.Millisecond

// nonceGuard is the replay defence of signed requests: an in-memory cache
// (httpsig.NonceCache) for speed, journaled to the store so that a restart
// does not reopen the window. At start the journal's live entries (hashes
// of key id and nonce, with a TTL) are loaded into a read-only set that
// Seen consults too; after 2×httpsig.MaxAge of uptime no signature from
// before the start can still be valid and the set is dropped.
type nonceGuard struct {
	mem     *httpsig.NonceCache
	st      *store.Store
	logger  *zap.Logger
	started time.Time

	// before holds the journaled nonces of earlier runs (nil once expired).
	before atomic.Pointer[map[string]struct{}]

	mu      sync.Mutex
	pending []nonceRecord
	stop    chan struct{}
	done    chan struct{}
}

type nonceRecord struct {
	key string
	exp time.Time
}

func newNonceGuard(st *store.Store, logger *zap.Logger) *nonceGuard {
	g := &nonceGuard{
		mem:     httpsig.NewNonceCache(1_000_000, 2*httpsig.MaxAge),
		st:      st,
		logger:  logger,
		started: time.Now(),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	g.loadJournal()
	go g.flushLoop()
	return g
}

// loadJournal reads the nonces earlier runs accepted and that may still be
// replayed. A read error keeps a set that refuses nothing but is logged
// loudly: the memory cache still refuses replays within this run.
func (g *nonceGuard) loadJournal() {
	set := map[string]struct{}{}
	err := g.st.ScanJSON(nonceKeyPrefix, func(key string, _ []byte) error {
		set[key] = struct{}{}
		return nil
	})
	if err != nil {
		g.logger.Error("reading the nonce journal failed; replays of signatures from before this start are not detected", zap.Error(err))
	}
	if len(set) > 0 {
		g.before.Store(&set)
	}
}

// nonceStoreKey never stores the nonce itself: a hash of key id and nonce.
func nonceStoreKey(keyID, nonce string) string {
	sum := sha256.Sum256([]byte(keyID + "\x00" + nonce))
	return nonceKeyPrefix + hex.EncodeToString(sum[:16])
}

// Seen records the nonce and reports whether it was used before (a replay).
// A store error while checking fails closed (reported as a replay).
func (g *nonceGuard) Seen(keyID, nonce string, exp time.Time) bool {
	if g.mem.Seen(keyID, nonce, exp) {
		return true
	}
	key := nonceStoreKey(keyID, nonce)
	if before := g.before.Load(); before != nil {
		if time.Since(g.started) > 2*httpsig.MaxAge {
			g.before.Store(nil)
		} else if _, seen := (*before)[key]; seen {
			return true
		}
	}
	g.mu.Lock()
	g.pending = append(g.pending, nonceRecord{key: key, exp: exp})
	g.mu.Unlock()
	return false
}

func (g *nonceGuard) flushLoop() {
	defer close(g.done)
	t := time.NewTicker(nonceFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			g.flush()
		case <-g.stop:
			g.flush()
			return
		}
	}
}

// flush writes the pending nonces with a TTL until their signature expires.
func (g *nonceGuard) flush() {
	g.mu.Lock()
	batch := g.pending
	g.pending = nil
	g.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	now := time.Now()
	err := g.st.Update(func(tx *store.Tx) error {
		for _, r := range batch {
			ttl := r.exp.Sub(now) + time.Second
			if ttl <= 0 {
				continue
			}
			if err := tx.PutRaw(r.key, []byte{1}, min(ttl, 2*httpsig.MaxAge)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		g.logger.Error("writing the nonce journal failed; replays are still refused until restart", zap.Error(err))
	}
}

// Close writes what is pending and stops the writer.
func (g *nonceGuard) Close() {
	close(g.stop)
	<-g.done
}
