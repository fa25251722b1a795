package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCopyBadgerPostgresAndBack copies a Badger store into PostgreSQL and
// back: the digests match at each step, expiries come along, a second copy
// into the same target is a no-op, and a target holding anything else is
// refused untouched.
func TestCopyBadgerPostgresAndBack(t *testing.T) {
	src := openMem(t)
	if err := src.Update(func(tx *Tx) error {
		for i := range 1500 {
			if err := tx.PutRaw(fmt.Sprintf("vec/ns/u%d/t%04d", i%7, i), []byte{byte(i), byte(i >> 8)}, 0); err != nil {
				return err
			}
		}
		if err := tx.PutJSON("key/fg_live_1", map[string]string{"owner": "acme"}, 0); err != nil {
			return err
		}
		if err := tx.PutJSON("audit/00000000000000000001/0000000001", "created", 0); err != nil {
			return err
		}
		return tx.PutJSON("tmp/soon", 1, time.Hour)
	}); err != nil {
		t.Fatal(err)
	}
	pg := openPG(t)
	sd, dd, err := Copy(src, pg)
	if err != nil || !sd.Equal(dd) || sd.Total() != 1503 {
		var b bytes.Buffer
		_ = Report(&b, sd, dd)
		t.Fatalf("copy into postgres: %v, %d entries\n%s", err, sd.Total(), b.String())
	}
	var exp int64
	if err := pg.be.stream("tmp/", func(_ string, _ []byte, e int64) error { exp = e; return nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(time.Unix(exp, 0)); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("the expiry came along as %v from now, want 1h", d)
	}
	if _, _, err := Copy(src, pg); err != nil {
		t.Fatalf("a second copy into the same target: %v, want a no-op", err)
	}
	back := openMem(t)
	sd2, dd2, err := Copy(pg, back)
	if err != nil || !sd2.Equal(dd2) || !sd2.Equal(sd) {
		t.Fatalf("copy back: %v", err)
	}
	var b bytes.Buffer
	if err := Report(&b, sd, dd2); err != nil || !strings.Contains(b.String(), "vec") || strings.Contains(b.String(), "DIFFERS") {
		t.Fatalf("report: %v\n%s", err, b.String())
	}

	other := openMem(t)
	if err := other.PutJSON("key/someone-else", 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Copy(src, other); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("copy into a non-empty target: %v, want ErrTargetNotEmpty", err)
	}
	d, err := other.Digest()
	if err != nil || d.Total() != 1 {
		t.Fatalf("the refused target changed: %d entries, %v", d.Total(), err)
	}
}

// TestCopyWithProgress reports growing counts while it copies and the full
// count, with no time left, at the end; a copy with no progress function or
// interval reports nothing and copies the same.
func TestCopyWithProgress(t *testing.T) {
	src := openMem(t)
	const n = 3000
	if err := src.Update(func(tx *Tx) error {
		for i := range n {
			if err := tx.PutRaw(fmt.Sprintf("vec/ns/u%d/t%05d", i%11, i), []byte{byte(i)}, 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var seen []Progress
	sd, dd, err := CopyWithProgress(src, openMem(t), time.Nanosecond, func(p Progress) { seen = append(seen, p) })
	if err != nil || !sd.Equal(dd) || dd.Total() != n {
		t.Fatalf("copy: err %v, equal %v, target %d entries", err, sd.Equal(dd), dd.Total())
	}
	if len(seen) < 3 {
		t.Fatalf("%d progress reports for %d entries at every 256", len(seen), n)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Done <= seen[i-1].Done || seen[i].Elapsed < seen[i-1].Elapsed {
			t.Fatalf("report %d went back: %+v after %+v", i, seen[i], seen[i-1])
		}
	}
	last := seen[len(seen)-1]
	if last.Done != n || last.Estimate < n || last.Rate() <= 0 || last.ETA() != 0 {
		t.Fatalf("last report %+v (rate %v, eta %v)", last, last.Rate(), last.ETA())
	}
	calls := 0
	if _, dd2, err := CopyWithProgress(src, openMem(t), 0, func(Progress) { calls++ }); err != nil || dd2.Total() != n || calls != 0 {
		t.Fatalf("no interval: err %v, %d entries, %d reports", err, dd2.Total(), calls)
	}
}
