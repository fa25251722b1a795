package store

import (
	"errors"
	"testing"
	"time"
)

func TestWriteObserverSeesUpdatesAndFailures(t *testing.T) {
	s := openMem(t)
	type write struct {
		d      time.Duration
		failed bool
	}
	var seen []write
	s.SetWriteObserver(func(d time.Duration, failed bool) { seen = append(seen, write{d, failed}) })
	if err := s.PutJSON("a", 1, 0); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.Update(func(tx *Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Update returned %v", err)
	}
	if err := s.View(func(tx *Tx) error { return nil }); err != nil { // reads are not writes
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].failed || !seen[1].failed {
		t.Fatalf("observed %+v, want one good and one failed write", seen)
	}
	if seen[0].d <= 0 {
		t.Errorf("write duration %v", seen[0].d)
	}
	s.SetWriteObserver(nil)
	if err := s.PutJSON("b", 2, 0); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Error("observer still called after SetWriteObserver(nil)")
	}
	if lsm, vlog := s.Size(); lsm < 0 || vlog < 0 {
		t.Errorf("Size = %d, %d", lsm, vlog)
	}
}
