package plugin

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/store"
)

func TestNonceGuardSurvivesRestart(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := time.Now().Add(time.Minute)

	g := newNonceGuard(st, zap.NewNop())
	if g.Seen("fg_live_a", "nonce-1", exp) {
		t.Fatal("a fresh nonce was reported as a replay")
	}
	if !g.Seen("fg_live_a", "nonce-1", exp) {
		t.Fatal("a replay in the same process was not refused")
	}
	if g.Seen("fg_live_b", "nonce-1", exp) {
		t.Fatal("the same nonce for another key was refused")
	}
	g.Close() // a graceful stop writes the journal

	restarted := newNonceGuard(st, zap.NewNop())
	defer restarted.Close()
	if !restarted.Seen("fg_live_a", "nonce-1", exp) {
		t.Error("after a restart the replay was accepted")
	}
	if restarted.Seen("fg_live_a", "nonce-2", exp) {
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

func TestNonceGuardFlushesWhileRunning(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{2}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := newNonceGuard(st, zap.NewNop())
	defer g.Close()
	g.Seen("k", "n", time.Now().Add(time.Minute))
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		_ = st.ScanJSON(nonceKeyPrefix, func(string, []byte) error { n++; return nil })
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the nonce was not journaled within 5 s without a Close")
		}
		time.Sleep(50 * time.Millisecond)
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
		if g.Seen("fg_live_a", fmt.Sprintf("nonce-%d", i), exp) {
			t.Fatalf("fresh nonce %d refused", i)
		}
	}
	g.Close()
	entries := 0
	if err := st.ScanJSON(nonceBatchPrefix, func(string, []byte) error { entries++; return nil }); err != nil {
		t.Fatal(err)
	}
	if entries != 3 { // two batches and the malformed one
		t.Errorf("%d nonces journaled in %d entries, want 2 batches (+1 malformed)", n, entries-1)
	}
	g = newNonceGuard(st, zap.NewNop())
	defer g.Close()
	for i := range n {
		if !g.Seen("fg_live_a", fmt.Sprintf("nonce-%d", i), exp) {
			t.Fatalf("after a restart, nonce %d was accepted again", i)
		}
	}
	if !g.Seen("fg_live_old", "old-nonce", exp) {
		t.Error("a nonce journaled in the per-nonce format was accepted again")
	}
}
