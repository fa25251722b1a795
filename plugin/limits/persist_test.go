package limits

import (
	"encoding/json"
	"testing"
	"time"
)

// TestSnapshotRestore charges a limiter, moves its snapshot (through JSON,
// as the journal does) into a new limiter started later, and checks that
// the new one continues where the old one stopped: same remaining quota,
// same rate bucket, same failed-authentication block.
func TestSnapshotRestore(t *testing.T) {
	specs := []Spec{
		{Name: "quota", Kind: KindQuota, Count: 10, PerS: 3600, Cost: 3},
		{Name: "rate", Kind: KindRate, Rate: 1, PerS: 10, Burst: 5},
		{Name: "conc", Kind: KindConcurrency, Count: 1},
	}
	clk := newFakeClock(hourStart)
	old := New(clk, 1000)
	for range 2 {
		g, d := old.Acquire("k", specs)
		if d.Denied() {
			t.Fatalf("charge refused: %+v", d)
		}
		g.Release()
	}
	for range DefaultFailedAuthMax {
		old.FailedAuth("key:x@1.2.3.4")
	}
	if blocked, _ := old.Blocked("key:x@1.2.3.4"); !blocked {
		t.Fatal("address not blocked after the allowance of failures")
	}
	snap := old.Snapshot()
	if len(snap) != 2 {
		t.Fatalf("snapshot has %d subjects, want 2 (key and failed-auth address)", len(snap))
	}
	if again := old.Snapshot(); len(again) != 0 {
		t.Fatalf("a second snapshot without changes has %d subjects, want 0", len(again))
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var loaded []State
	if err := json.Unmarshal(raw, &loaded); err != nil {
		t.Fatal(err)
	}

	clk.Advance(5 * time.Second) // the restart takes 5 s: half a rate unit refills
	fresh := New(clk, 1000)
	fresh.Restore(loaded)
	u := fresh.Usage("k", specs)
	if u.Used != 6 || u.Remaining != 4 {
		t.Errorf("restored quota: used %d remaining %d, want 6 and 4", u.Used, u.Remaining)
	}
	if blocked, _ := fresh.Blocked("key:x@1.2.3.4"); !blocked {
		t.Error("failed-authentication block lost by the restore")
	}
	// The rate bucket holds 2 units spent 5 s ago at 1 per 10 s: 3 left.
	rateOnly := specs[1:2]
	for i := range 3 {
		if _, d := fresh.Acquire("k", rateOnly); d.Denied() {
			t.Fatalf("rate call %d refused after the restore: %+v", i, d)
		}
	}
	if _, d := fresh.Acquire("k", rateOnly); !d.Denied() {
		t.Error("the rate bucket was refilled by the restore")
	}
	// The concurrency slot is free (it is not persisted).
	if _, d := fresh.Acquire("k", []Spec{specs[2]}); d.Denied() {
		t.Errorf("concurrency slot held after the restore: %+v", d)
	}
}

// TestRestoreSkipsExpired: a quota whose window ended and a rate bucket that
// refilled are not restored (the subject is fresh).
func TestRestoreSkipsExpired(t *testing.T) {
	clk := newFakeClock(hourStart)
	old := New(clk, 1000)
	specs := []Spec{{Name: "quota", Kind: KindQuota, Count: 10, PerS: 3600, Cost: 10}, {Name: "rate", Kind: KindRate, Rate: 1, PerS: 1, Burst: 1}}
	if _, d := old.Acquire("k", specs); d.Denied() {
		t.Fatal(d)
	}
	snap := old.Snapshot()
	clk.Advance(time.Hour)
	if !snap[0].Expired(clk.Now()) {
		t.Error("state not expired an hour later")
	}
	fresh := New(clk, 1000)
	fresh.Restore(snap)
	if n, _ := fresh.Stats(); n != 0 {
		t.Errorf("%d subjects restored from expired state, want 0", n)
	}
	if _, d := fresh.Acquire("k", specs); d.Denied() {
		t.Errorf("refused after the window ended: %+v", d)
	}
}
