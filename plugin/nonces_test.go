package plugin

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/store"
)

func TestNonceGuardSurvivesRestart(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := time.Now().Add(time.Minute)

	g := newNonceGuard(st, zap.NewNop())
	if seen(g, "fg_live_a", "nonce-1", exp) {
		t.Fatal("a fresh nonce was reported as a replay")
	}
	if !seen(g, "fg_live_a", "nonce-1", exp) {
		t.Fatal("a replay in the same process was not refused")
	}
	if seen(g, "fg_live_b", "nonce-1", exp) {
		t.Fatal("the same nonce for another key was refused")
	}
	g.Close() // a graceful stop writes the journal

	restarted := newNonceGuard(st, zap.NewNop())
	defer restarted.Close()
	if !seen(restarted, "fg_live_a", "nonce-1", exp) {
		t.Error("after a restart the replay was accepted")
	}
	if seen(restarted, "fg_live_a", "nonce-2", exp) {
		t.Error("a fresh nonce after a restart was refused")
	}
	// The journal holds hashes, never the nonce text.
	err = st.ScanJSON(nonceKeyPrefix, func(key string, _ []byte) error {
		if bytes.Contains([]byte(key), []byte("nonce-1")) {
			t.Errorf("journal key %q contains the nonce", key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ahead is a signature's created time 30 s after now (a client clock
// ahead): the start-time rule does not refuse it, the journal must.
func ahead() int64 { return time.Now().Unix() + 30 }

// seen is Seen of a signature created ahead, without the commit.
func seen(g *nonceGuard, keyID, nonce string, exp time.Time) bool {
	replayed, _ := g.Seen(keyID, nonce, ahead(), exp)
	return replayed
}

// TestNonceStartTimeRule: after a crash (the running mark left behind), a
// signature created at or before the second the process started is refused
// (the crash may have lost its nonce); one created since, up to now, is
// accepted without waiting for the journal. After a clean stop nothing is
// refused for its age.
func TestNonceStartTimeRule(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := time.Now().Add(time.Minute)
	clean := newNonceGuard(st, zap.NewNop())
	clean.Close()
	g := newNonceGuard(st, zap.NewNop())
	if g.crashed {
		t.Fatal("a clean stop was taken for a crash")
	}
	if replayed, _ := g.Seen("k", "old", time.Now().Unix()-250, exp); replayed {
		t.Error("after a clean stop, a signature created 250 s ago was refused")
	}
	// g is not closed: its mark stays, as after kill -9.
	crashed := newNonceGuard(st, zap.NewNop())
	defer crashed.Close()
	if !crashed.crashed {
		t.Fatal("a crash (mark left behind) was not noticed")
	}
	if replayed, _ := crashed.Seen("k", "at-start", crashed.started.Unix(), exp); !replayed {
		t.Error("after a crash, a signature created in the start second was accepted")
	}
	crashed.started = time.Now().Add(-10 * time.Second) // as if started 10 s ago
	if replayed, c := crashed.Seen("k", "before-start", crashed.started.Unix()-1, exp); !replayed || c != nil {
		t.Error("after a crash, a signature created before the start was accepted")
	}
	replayed, c := crashed.Seen("k", "now", time.Now().Unix(), exp)
	if replayed || c != nil {
		t.Errorf("a signature created now: replayed=%v, commit %v (want none to wait for)", replayed, c)
	}
	if replayed, _ := crashed.Seen("k", "now", time.Now().Unix(), exp); !replayed {
		t.Error("its replay was accepted")
	}
	if replayed, c := crashed.Seen("k", "ahead", ahead(), exp); replayed || c == nil {
		t.Errorf("a signature created ahead: replayed=%v, commit %v (want one)", replayed, c)
	}
}

// TestNonceCommittedBeforeServing: the commit Seen returns for a fresh
// nonce completes only once the nonce is in the store, without a Close;
// concurrent nonces all become durable.
func TestNonceCommittedBeforeServing(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{2}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := newNonceGuard(st, zap.NewNop())
	defer g.Close()
	journaled := func() map[nonceDigest]bool {
		out := map[nonceDigest]bool{}
		_ = st.ScanJSON(nonceBatchPrefix, func(_ string, raw []byte) error {
			for ; len(raw) >= len(nonceDigest{}); raw = raw[len(nonceDigest{}):] {
				out[nonceDigest(raw[:len(nonceDigest{})])] = true
			}
			return nil
		})
		return out
	}
	exp := time.Now().Add(time.Minute)
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nonce := fmt.Sprintf("n-%d", i)
			replayed, c := g.Seen("k", nonce, ahead(), exp)
			if replayed || c == nil {
				errs <- fmt.Errorf("fresh nonce %d: replayed=%v commit=%v", i, replayed, c)
				return
			}
			if err := c.Wait(t.Context()); err != nil {
				errs <- err
				return
			}
			if !journaled()[digestNonce("k", nonce)] {
				errs <- fmt.Errorf("nonce %d not in the journal when its commit completed", i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if replayed, c := g.Seen("k", "n-0", ahead(), exp); !replayed || c != nil {
		t.Errorf("a replay got replayed=%v commit=%v", replayed, c)
	}
}

// TestNonceJournalBatches: many nonces go into few journal entries (one per
// nonceBatchMax), all of them refused after a restart, and a journal entry
// in the format of earlier versions (one key per nonce) is still honoured.
func TestNonceJournalBatches(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{5}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := time.Now().Add(time.Minute)
	old := digestNonce("fg_live_old", "old-nonce")
	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.PutRaw(nonceKeyPrefix+hex.EncodeToString(old[:]), []byte{1}, time.Minute); err != nil {
			return err
		}
		return tx.PutRaw(nonceBatchPrefix+"bad", []byte{1, 2, 3}, time.Minute) // not whole digests: ignored
	}); err != nil {
		t.Fatal(err)
	}
	g := newNonceGuard(st, zap.NewNop())
	const n = nonceBatchMax + 10
	for i := range n {
		if seen(g, "fg_live_a", fmt.Sprintf("nonce-%d", i), exp) {
			t.Fatalf("fresh nonce %d refused", i)
		}
	}
	g.Close()
	entries := 0
	if err := st.ScanJSON(nonceBatchPrefix, func(_ string, raw []byte) error {
		entries++
		if len(raw) > nonceBatchMax*len(nonceDigest{}) {
			t.Errorf("a journal entry holds %d digests, over %d", len(raw)/len(nonceDigest{}), nonceBatchMax)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if entries < 3 || entries > n/2 { // at least two batches and the malformed one; batched, not one per nonce
		t.Errorf("%d nonces journaled in %d entries", n, entries-1)
	}
	g = newNonceGuard(st, zap.NewNop())
	defer g.Close()
	for i := range n {
		if !seen(g, "fg_live_a", fmt.Sprintf("nonce-%d", i), exp) {
			t.Fatalf("after a restart, nonce %d was accepted again", i)
		}
	}
	if !seen(g, "fg_live_old", "old-nonce", exp) {
		t.Error("a nonce journaled in the per-nonce format was accepted again")
	}
}
