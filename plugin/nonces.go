package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/store"
)

// nonceKeyPrefix is where seen signature nonces are journaled, with a TTL:
// one entry per flush under nonceBatchPrefix, whose value is the 16-byte
// digests of the nonces it holds (earlier versions wrote one entry per
// nonce, nonce/<hex digest>, still read at start until they expire).
const (
	nonceKeyPrefix   = "nonce/"
	nonceBatchPrefix = nonceKeyPrefix + "b/"
	// nonceBatchMax bounds one journal entry (64 KiB of digests).
	nonceBatchMax = 4096
)

// Replays after a crash (kill -9, power loss) are refused without a synced
// write per request. The process marks the store as running at start and
// clears the mark when it stops cleanly (the journal then holds every nonce
// it accepted). If the mark is still there at start, the previous process
// crashed and may have lost the last nonces it accepted: a signature
// created at or before the second this process started is then refused as
// a replay (a client signs again). Only a signature created after the
// current second (a client clock ahead of the server's) could outlive such
// a crash: its request is served once its nonce is committed. The journal
// is otherwise written every nonceFlushEvery, in batches.
const nonceFlushEvery = 200 * time.Millisecond

// nonceDigest identifies a (key id, nonce) pair in the journal without
// storing the nonce: the first 16 bytes of SHA-256(key id, 0, nonce).
type nonceDigest [16]byte

func digestNonce(keyID, nonce string) nonceDigest {
	h := sha256.New()
	h.Write([]byte(keyID))
	h.Write([]byte{0})
	h.Write([]byte(nonce))
	var sum [sha256.Size]byte
	var d nonceDigest
	copy(d[:], h.Sum(sum[:0]))
	return d
}

// nonceGuard is the replay defence of signed requests: an in-memory cache
// (httpsig.NonceCache) for speed, journaled to the store so that a restart
// does not reopen the window. At start the journal's live entries (digests
// of key id and nonce, with a TTL) are loaded into a read-only set that
// Seen consults too; after 2×httpsig.MaxAge of uptime no signature from
// before the start can still be valid and the set is dropped.
type nonceGuard struct {
	mem     *httpsig.NonceCache
	st      *store.Store
	logger  *zap.Logger
	started time.Time
	// crashed: the previous process did not stop cleanly (see above).
	crashed bool

	// before holds the journaled nonces of earlier runs (nil once expired).
	before atomic.Pointer[map[nonceDigest]struct{}]

	mu      sync.Mutex
	pending []nonceRecord
	open    *nonceCommit  // the batch that new nonces join
	wake    chan struct{} // tells the writer that nonces are pending
	seq     uint64        // journal entries written by this process
	stop    chan struct{}
	done    chan struct{}
}

// nonceCommit is one batch of the journal; done closes when it is written,
// with err set if it could not be.
type nonceCommit struct {
	done chan struct{}
	err  error
}

// Wait blocks until the nonce's batch is durable, or ctx ends. An error
// means the nonce may not survive a crash: the caller fails closed.
func (c *nonceCommit) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type nonceRecord struct {
	digest nonceDigest
	exp    time.Time
}

func newNonceGuard(st *store.Store, logger *zap.Logger) *nonceGuard {
	g := &nonceGuard{
		mem:     httpsig.NewNonceCache(1_000_000, 2*httpsig.MaxAge),
		st:      st,
		logger:  logger,
		started: time.Now(),
		open:    &nonceCommit{done: make(chan struct{})},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	g.loadJournal()
	g.markRunning()
	go g.writeLoop()
	return g
}

// loadJournal reads the nonces earlier runs accepted and that may still be
// replayed. A read error keeps a set that refuses nothing but is logged
// loudly: the memory cache still refuses replays within this run.
func (g *nonceGuard) loadJournal() {
	set := map[nonceDigest]struct{}{}
	malformed := 0
	err := g.st.ScanJSON(nonceKeyPrefix, func(key string, raw []byte) error {
		if strings.HasPrefix(key, nonceBatchPrefix) {
			if len(raw)%len(nonceDigest{}) != 0 {
				malformed++
				return nil
			}
			for ; len(raw) > 0; raw = raw[len(nonceDigest{}):] {
				set[nonceDigest(raw[:len(nonceDigest{})])] = struct{}{}
			}
			return nil
		}
		var d nonceDigest
		if b, err := hex.DecodeString(strings.TrimPrefix(key, nonceKeyPrefix)); err == nil && len(b) == len(d) {
			set[nonceDigest(b)] = struct{}{}
		} else {
			malformed++
		}
		return nil
	})
	if err != nil {
		g.logger.Error("reading the nonce journal failed; replays of signatures from before this start are not detected", zap.Error(err))
	}
	if malformed > 0 {
		g.logger.Error("nonce journal entries of an unknown shape were ignored", zap.Int("entries", malformed))
	}
	if len(set) > 0 {
		g.before.Store(&set)
	}
}

// Seen records the nonce of a signature created at created (unix seconds)
// and reports whether it must be refused as a replay: used before, or,
// after a crash, created at or before the second this process started. For a signature
// created after the current second it returns the commit to Wait for
// before the request is served; otherwise nil.
func (g *nonceGuard) Seen(keyID, nonce string, created int64, exp time.Time) (bool, *nonceCommit) {
	if g.crashed && created <= g.started.Unix() {
		return true, nil
	}
	if g.mem.Seen(keyID, nonce, exp) {
		return true, nil
	}
	d := digestNonce(keyID, nonce)
	if before := g.before.Load(); before != nil {
		if time.Since(g.started) > 2*httpsig.MaxAge {
			g.before.Store(nil)
		} else if _, seen := (*before)[d]; seen {
			return true, nil
		}
	}
	g.mu.Lock()
	g.pending = append(g.pending, nonceRecord{digest: d, exp: exp})
	c := g.open
	g.mu.Unlock()
	if created <= time.Now().Unix() {
		return false, nil // refused after any restart by the start-time rule
	}
	select {
	case g.wake <- struct{}{}:
	default: // the writer is already told
	}
	return false, c
}

// writeLoop writes the pending nonces every nonceFlushEvery, and at once
// when a request waits for its nonce; nonces that come while it writes form
// the next batch.
func (g *nonceGuard) writeLoop() {
	defer close(g.done)
	t := time.NewTicker(nonceFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-g.wake:
			g.flush()
		case <-t.C:
			g.flush()
		case <-g.stop:
			g.flush()
			return
		}
	}
}

// flush writes the pending nonces, up to nonceBatchMax per journal entry,
// each entry kept until the last of its signatures expires, and releases the
// requests waiting for them.
func (g *nonceGuard) flush() {
	g.mu.Lock()
	batch, c := g.pending, g.open
	g.pending, g.open = nil, &nonceCommit{done: make(chan struct{})}
	g.mu.Unlock()
	defer close(c.done)
	if len(batch) == 0 {
		return
	}
	now := time.Now()
	c.err = g.st.Update(func(tx *store.Tx) error {
		for len(batch) > 0 {
			n := min(len(batch), nonceBatchMax)
			chunk := batch[:n]
			batch = batch[n:]
			var ttl time.Duration
			raw := make([]byte, 0, n*len(nonceDigest{}))
			for _, r := range chunk {
				if t := r.exp.Sub(now) + time.Second; t > 0 {
					raw = append(raw, r.digest[:]...)
					ttl = max(ttl, t)
				}
			}
			if len(raw) == 0 {
				continue
			}
			g.seq++
			key := fmt.Sprintf("%s%020d-%d", nonceBatchPrefix, now.UnixNano(), g.seq)
			if err := tx.PutRaw(key, raw, min(ttl, 2*httpsig.MaxAge)); err != nil {
				return err
			}
		}
		return nil
	})
	if c.err != nil {
		g.logger.Error("writing the nonce journal failed; signed requests are refused until it works again", zap.Error(c.err))
	}
}

// Close writes what is pending and stops the writer.
func (g *nonceGuard) Close() {
	close(g.stop)
	<-g.done
	if err := g.st.Delete(nonceRunningKey); err != nil {
		g.logger.Error("clearing the running mark failed; the next start will refuse signatures created before it", zap.Error(err))
	}
}

// nonceRunningKey marks a store whose process has not stopped cleanly.
const nonceRunningKey = "noncestate/running"

// markRunning reads whether the previous process crashed (its mark is
// still there) and sets the mark for this one. An unreadable store counts
// as a crash: the stricter rule applies.
func (g *nonceGuard) markRunning() {
	var since int64
	err := g.st.GetJSON(nonceRunningKey, &since)
	switch {
	case err == nil:
		g.crashed = true
		g.logger.Warn("the previous run did not stop cleanly; signatures created before this start are refused as possible replays")
	case !errors.Is(err, store.ErrNotFound):
		g.crashed = true
		g.logger.Error("reading the running mark failed; signatures created before this start are refused", zap.Error(err))
	}
	if err := g.st.PutJSON(nonceRunningKey, g.started.Unix(), 0); err != nil {
		g.logger.Error("writing the running mark failed", zap.Error(err))
	}
}
