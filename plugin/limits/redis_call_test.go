package limits

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestRedisCallDeadline: every call's context ends between the timeout and
// the timeout + deadlineStep from when it was handed out, calls close in
// time share one, and a shared one is not cancelled before its deadline.
func TestRedisCallDeadline(t *testing.T) {
	r := NewRedis(nil, nil, "t:")
	r.timeout = 200 * time.Millisecond
	before := time.Now()
	ctx := r.callCtx()
	dl, ok := ctx.Deadline()
	if !ok {
		t.Fatal("the call's context has no deadline")
	}
	if lo, hi := before.Add(r.timeout), time.Now().Add(r.timeout+deadlineStep); dl.Before(lo) || dl.After(hi) {
		t.Fatalf("deadline %v after the call, want within [%v, %v]", dl.Sub(before), r.timeout, r.timeout+deadlineStep)
	}
	if ctx.Err() != nil {
		t.Fatal("a fresh call's context is already done")
	}
	// Later calls get later deadlines, never one that leaves less than the timeout.
	for i := range 50 {
		now := time.Now()
		c := r.callCtx()
		after := time.Now()
		d, _ := c.Deadline()
		if d.Sub(now) < r.timeout || d.Sub(after) > r.timeout+deadlineStep {
			t.Fatalf("call %d: %v left, want within [%v, %v]", i, d.Sub(now), r.timeout, r.timeout+deadlineStep)
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-ctx.Done():
		if ctx.Err() != context.DeadlineExceeded {
			t.Fatalf("the first context ended with %v, want its deadline", ctx.Err())
		}
	case <-time.After(2 * (r.timeout + deadlineStep)):
		t.Fatal("the first context did not end at its deadline")
	}
	if time.Now().Before(dl) {
		t.Fatal("the first context ended before its deadline")
	}
}

// TestRedisHashKeyCache: cached names are the names hashing gives, an
// address's source key follows Source (IPv6 per /64), and the cache stays
// bounded.
func TestRedisHashKeyCache(t *testing.T) {
	r := NewRedis(nil, nil, "t:")
	for range 3 {
		if got, want := r.hashKey("l", "fg_live_key"), r.hashName("l", "fg_live_key"); got != want {
			t.Fatalf("hashKey = %q, want %q", got, want)
		}
	}
	if r.hashes.n.Load() != 1 {
		t.Fatalf("%d hashes computed for one subject, want 1", r.hashes.n.Load())
	}
	if r.hashKey("l", "a") == r.hashKey("a", "a") {
		t.Fatal("two tables give one key for the same subject")
	}
	for _, addr := range []string{"192.0.2.7", "2001:db8:1:2:3:4:5:6", "::ffff:192.0.2.7"} {
		if got, want := r.sourceKey(addr), r.hashName("a", Source(addr)); got != want {
			t.Fatalf("sourceKey(%s) = %q, want %q", addr, got, want)
		}
	}
	if r.sourceKey("2001:db8:1:2::1") != r.sourceKey("2001:db8:1:2:ffff::9") {
		t.Fatal("two addresses of one IPv6 /64 have different source keys")
	}
	for i := range 3 * maxCachedHashes {
		r.hashKey("l", "k"+strconv.Itoa(i))
	}
	r.hashes.mu.RLock()
	n := len(r.hashes.m)
	r.hashes.mu.RUnlock()
	if n > maxCachedHashes {
		t.Fatalf("%d names cached, want at most %d", n, maxCachedHashes)
	}
}
