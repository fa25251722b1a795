package httpsig

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestNonceCache(t *testing.T) {
	clk := &fakeClock{t: testNow}
	c := NewNonceCacheClock(nonceShards*4, 0, clk.now)
	exp := testNow.Add(MaxAge)
	if c.Seen("k", "n1", exp) {
		t.Fatal("fresh nonce reported as replay")
	}
	if !c.Seen("k", "n1", exp) {
		t.Fatal("replay not detected")
	}
	if c.Seen("other-key", "n1", exp) {
		t.Fatal("nonces must be per key id")
	}
	clk.add(MaxAge + time.Second)
	if c.Seen("k", "n1", exp) {
		t.Fatal("nonce still remembered after its signature expired")
	}
	// A far-future expiry is clamped to the ttl (600 s minimum).
	if c.Seen("k", "far", testNow.Add(24*time.Hour)) {
		t.Fatal("fresh nonce reported as replay")
	}
	clk.add(minNonceTTL - time.Second)
	if !c.Seen("k", "far", testNow.Add(24*time.Hour)) {
		t.Fatal("nonce forgotten before the ttl")
	}
}

// TestNonceCacheFullFailsClosed fills the cache with live nonces: new ones
// are refused (reported as replays) until old ones expire.
func TestNonceCacheFullFailsClosed(t *testing.T) {
	clk := &fakeClock{t: testNow}
	c := NewNonceCacheClock(nonceShards, 0, clk.now) // one entry per shard
	exp := testNow.Add(MaxAge)
	accepted := 0
	for i := 0; i < 10*nonceShards; i++ {
		if !c.Seen("k", fmt.Sprint("n", i), exp) {
			accepted++
		}
	}
	if accepted != nonceShards || c.Len() != nonceShards {
		t.Fatalf("accepted %d, holding %d, want %d", accepted, c.Len(), nonceShards)
	}
	clk.add(MaxAge + time.Second)
	if c.Seen("k", "after-expiry", clk.now().Add(MaxAge)) {
		t.Fatal("expired entries were not swept to make room")
	}
}

func TestNonceCacheConcurrent(t *testing.T) {
	c := NewNonceCache(1<<16, 0)
	exp := time.Now().Add(MaxAge)
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if !c.Seen("k", fmt.Sprint(i), exp) {
					fresh.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != 1000 {
		t.Fatalf("%d nonces accepted as fresh, want exactly 1000", fresh.Load())
	}
}
