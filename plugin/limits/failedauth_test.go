package limits

import (
	"testing"
	"time"
)

func TestFailedAuthSubjects(t *testing.T) {
	clk := newFakeClock(hourStart)
	l := New(clk, 1000)
	attacker, holder := "198.51.100.7", "192.0.2.1"

	// An attacker fails against one key: that (key, address) pair is refused,
	// the holder's address is not, for this key or any other.
	for i := 0; i < DefaultFailedAuthMax; i++ {
		l.FailedAuth(KeySource("fg_victim", attacker))
		l.FailedSource(attacker)
	}
	if b, _ := l.Blocked(KeySource("fg_victim", attacker)); !b {
		t.Fatal("the failing address is not refused for the key")
	}
	if b, _ := l.Blocked(KeySource("fg_victim", holder)); b {
		t.Fatal("the holder's address is refused because of another address's failures")
	}
	if b, _ := l.SourceBlocked(attacker); b {
		t.Fatal("one key's allowance used up blocks the whole address")
	}
	if b, _ := l.Blocked(KeySource("fg_other", attacker)); b {
		t.Fatal("another key is refused from the failing address")
	}

	// Spraying many keys from one address: refused as an address after
	// SourceFactor × the allowance.
	for i := DefaultFailedAuthMax; i < SourceFactor*DefaultFailedAuthMax; i++ {
		if b, _ := l.SourceBlocked(attacker); b {
			t.Fatalf("address refused after %d failures", i)
		}
		l.FailedSource(attacker)
	}
	if b, retry := l.SourceBlocked(attacker); !b || retry <= 0 {
		t.Fatalf("spraying address: blocked=%v retry=%v", b, retry)
	}
	if b, _ := l.SourceBlocked(holder); b {
		t.Fatal("the holder's address is refused")
	}
}

func TestSourceGroupsIPv6By64(t *testing.T) {
	if Source("2001:db8:1:2::1") != Source("2001:db8:1:2:ffff::9") {
		t.Fatal("two addresses of one /64 count apart")
	}
	if Source("2001:db8:1:2::1") == Source("2001:db8:1:3::1") {
		t.Fatal("two /64s count together")
	}
	if Source("192.0.2.1") == Source("192.0.2.2") {
		t.Fatal("two IPv4 addresses count together")
	}
}

func TestKeyFailureDelaysOnlyPastTheAllowance(t *testing.T) {
	clk := newFakeClock(hourStart)
	l := New(clk, 1000)
	for i := 0; i < DefaultFailedAuthMax; i++ {
		if d, rep := l.KeyFailure("fg_k"); d != 0 || rep {
			t.Fatalf("failure %d within the allowance: delay %v report %v", i+1, d, rep)
		}
	}
	var delays []time.Duration
	reports := 0
	for i := 0; i < 12; i++ {
		d, rep := l.KeyFailure("fg_k")
		delays = append(delays, d)
		if rep {
			reports++
		}
	}
	if delays[0] != FailureDelayBase || delays[1] != 2*FailureDelayBase || delays[2] != 4*FailureDelayBase {
		t.Fatalf("delays do not double from the base: %v", delays)
	}
	for _, d := range delays {
		if d > MaxFailureDelay {
			t.Fatalf("delay %v over the cap", d)
		}
	}
	if delays[len(delays)-1] != MaxFailureDelay {
		t.Fatalf("sustained failures do not reach the cap: %v", delays)
	}
	if reports != 1 {
		t.Fatalf("%d reports for one burst, want 1", reports)
	}
	if d, _ := l.KeyFailure("fg_other"); d != 0 {
		t.Fatal("another key is delayed")
	}
	// After quiet periods the counter has drained: no delay, and a new burst
	// past the allowance is reported again.
	clk.Advance(3 * DefaultFailedAuthPer)
	if d, rep := l.KeyFailure("fg_k"); d != 0 || rep {
		t.Fatalf("after a quiet period: delay %v report %v", d, rep)
	}
	for i := 0; i < DefaultFailedAuthMax-1; i++ {
		l.KeyFailure("fg_k")
	}
	if d, rep := l.KeyFailure("fg_k"); d != FailureDelayBase || !rep {
		t.Fatalf("new burst: delay %v report %v", d, rep)
	}
}
