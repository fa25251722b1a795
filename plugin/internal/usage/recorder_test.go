package usage

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(max int) (*Recorder, *clock) {
	c := &clock{t: time.Date(2026, 12, 3, 12, 30, 40, 0, time.UTC)}
	return New(Options{MaxSeries: max, Now: c.now}), c
}

func TestBucketMath(t *testing.T) {
	r, c := newTest(0)
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return base.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	r.Record(Event{Key: "k1", Route: "faces/detect", At: at(0, 10), Images: 2, Latency: 10 * time.Millisecond})
	r.Record(Event{Key: "k1", Route: "faces/detect", At: at(0, 50), Images: 1, Latency: 30 * time.Millisecond})
	r.Record(Event{Key: "k1", Route: "faces/detect", At: at(1, 5), Denied: true, Reason: "RATE_LIMIT_EXCEEDED", Latency: time.Millisecond})
	r.Record(Event{Key: "k1", Route: "faces/recognize", At: at(7, 0), Images: 1, Latency: 100 * time.Millisecond})
	r.Record(Event{Key: "k2", Route: "faces/detect", At: at(2, 0), Denied: true, Reason: "secret_invalid"})
	// out of order: lands in minute 0
	r.Record(Event{Key: "k1", Route: "faces/detect", At: at(0, 59), Images: 1, Latency: 20 * time.Millisecond})

	rep, err := r.Query(Query{Key: "k1", Route: "faces/detect", Since: base, Until: at(9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) != 10 || rep.Points[0].T != base.Unix() || rep.StepS != 60 {
		t.Fatalf("points %d from %d step %d", len(rep.Points), rep.Points[0].T, rep.StepS)
	}
	p0, p1 := rep.Points[0], rep.Points[1]
	if p0.Requests != 3 || p0.Images != 4 || p0.Denials != 0 || p0.LatencyAvgMS != 20 || p0.LatencyMaxMS != 30 {
		t.Errorf("minute 0: %+v", p0)
	}
	if p1.Requests != 1 || p1.Denials != 1 || p1.Reasons["RATE_LIMIT_EXCEEDED"] != 1 {
		t.Errorf("minute 1: %+v", p1)
	}
	if rep.Totals.Requests != 4 || rep.Totals.Images != 4 || rep.Totals.Denials != 1 {
		t.Errorf("totals %+v", rep.Totals)
	}
	if got := fmt.Sprint(rep.Keys, rep.Routes); got != "[k1 k2] [faces/detect faces/recognize]" {
		t.Errorf("keys, routes: %s", got)
	}

	t.Run("all keys and routes, 5-minute step", func(t *testing.T) {
		rep, err := r.Query(Query{Since: base, Until: at(9, 0), Step: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Points) != 2 {
			t.Fatalf("%d points", len(rep.Points))
		}
		if a, b := rep.Points[0], rep.Points[1]; a.Requests != 5 || a.Denials != 2 || b.Requests != 1 || b.Images != 1 || b.LatencyMaxMS != 100 {
			t.Errorf("points %+v %+v", a, b)
		}
		if rep.Totals.Reasons["secret_invalid"] != 1 || rep.Totals.Reasons["RATE_LIMIT_EXCEEDED"] != 1 {
			t.Errorf("reasons %v", rep.Totals.Reasons)
		}
	})
	t.Run("one key, every route", func(t *testing.T) {
		rep, _ := r.Query(Query{Key: "k1", Since: base, Until: at(9, 0)})
		if rep.Totals.Requests != 5 || rep.Points[7].Requests != 1 {
			t.Errorf("totals %+v", rep.Totals)
		}
	})
	t.Run("default window is the last 24h in 1440 points", func(t *testing.T) {
		rep, err := r.Query(Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Points) != 1440 || rep.Totals.Requests != 6 {
			t.Errorf("%d points, %d requests", len(rep.Points), rep.Totals.Requests)
		}
		if last := rep.Points[len(rep.Points)-1].T; last != c.t.Truncate(time.Minute).Unix() {
			t.Errorf("last point %d, want the current minute", last)
		}
	})
	for _, q := range []Query{
		{Step: 30 * time.Second},
		{Step: 90 * time.Second},
		{Step: 48 * time.Hour},
		{Since: at(5, 0), Until: at(1, 0)},
	} {
		if _, err := r.Query(q); !errors.Is(err, ErrQuery) {
			t.Errorf("query %+v: err %v, want ErrQuery", q, err)
		}
	}
}

func TestWindowDropsOldBuckets(t *testing.T) {
	r, c := newTest(0)
	start := c.t
	// Three days of one call a minute on one series.
	for i := range 3 * 1440 {
		c.t = start.Add(time.Duration(i) * time.Minute)
		r.Record(Event{Key: "k", Route: "faces/detect", At: c.t, Denied: i%2 == 0, Reason: "x"})
	}
	series, buckets := r.Stats()
	if series != 1 || buckets > 1440 {
		t.Fatalf("%d series, %d buckets: want 1 series and at most 1440 buckets", series, buckets)
	}
	rep, _ := r.Query(Query{})
	if rep.Totals.Requests != uint64(buckets) || rep.Totals.Requests < 1439 {
		t.Errorf("%d requests in the window, %d buckets", rep.Totals.Requests, buckets)
	}
	// A call from before the window is ignored.
	r.Record(Event{Key: "k", Route: "faces/detect", At: c.t.Add(-25 * time.Hour)})
	if _, b := r.Stats(); b != buckets {
		t.Errorf("an event older than the window added a bucket")
	}
}

func TestBoundedSeries(t *testing.T) {
	r, c := newTest(10)
	for i := range 100 {
		r.Record(Event{Key: fmt.Sprintf("key%03d", i), Route: "faces/detect", At: c.t})
	}
	for range 7 {
		r.Record(Event{Key: "", Route: "", At: c.t}) // no key, unknown route
	}
	series, _ := r.Stats()
	// 10 tracked, then one overflow series and the no-key series.
	if series > 12 {
		t.Errorf("%d series tracked with a maximum of 10", series)
	}
	rep, _ := r.Query(Query{})
	if rep.Totals.Requests != 107 {
		t.Errorf("total %d, want every one of the 107 calls counted", rep.Totals.Requests)
	}
	over, _ := r.Query(Query{Key: OverflowKey})
	none, _ := r.Query(Query{Key: NoKey, Route: OtherRoute})
	if over.Totals.Requests != 90 || none.Totals.Requests != 7 {
		t.Errorf("overflow %d, no key %d", over.Totals.Requests, none.Totals.Requests)
	}
	// Once the old series are out of the window, new keys get their own again.
	c.t = c.t.Add(Window + time.Minute)
	r.Record(Event{Key: "fresh", Route: "faces/detect", At: c.t})
	if rep, _ := r.Query(Query{Key: "fresh"}); rep.Totals.Requests != 1 {
		t.Errorf("a new key after the window: %d requests", rep.Totals.Requests)
	}
}

func TestBoundedReasons(t *testing.T) {
	r, c := newTest(0)
	for i := range 100 {
		r.Record(Event{Key: "k", Route: "faces/detect", At: c.t, Denied: true, Reason: fmt.Sprintf("reason-%d", i)})
	}
	rep, _ := r.Query(Query{})
	if len(rep.Totals.Reasons) > MaxReasons {
		t.Errorf("%d reasons, at most %d", len(rep.Totals.Reasons), MaxReasons)
	}
	var sum int64
	for _, n := range rep.Totals.Reasons {
		sum += n
	}
	if sum != 100 || rep.Totals.Reasons["other"] != 100-(MaxReasons-1) {
		t.Errorf("reason counts %d, other %d", sum, rep.Totals.Reasons["other"])
	}
}

// BenchmarkRecord is one call recorded, from parallel goroutines, over 100
// keys and 4 routes.
func BenchmarkRecord(b *testing.B) {
	r := New(Options{})
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("fg_live_%024d", i)
	}
	routes := []string{"faces/detect", "faces/recognize", "tags/save", "faces/train"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.Record(Event{Key: keys[i%len(keys)], Route: routes[i%len(routes)], At: time.Now(), Images: 1, Latency: time.Millisecond})
			i++
		}
	})
}

func TestSnapshotRestore(t *testing.T) {
	r, c := newTest(0)
	base := c.t.Add(-3 * time.Hour)
	for i := range 50 {
		r.Record(Event{Key: fmt.Sprintf("k%d", i%3), Route: "faces/detect", At: base.Add(time.Duration(i) * time.Minute),
			Images: i % 4, Latency: time.Duration(i) * time.Millisecond, Denied: i%5 == 0, Reason: fmt.Sprintf("R%d", i%2)})
	}
	want, _ := r.Query(Query{Step: 15 * time.Minute})
	snap := r.Snapshot()
	if len(snap) != 3 {
		t.Fatalf("%d series in the snapshot", len(snap))
	}

	// Restored a day later minus 2 h: the first hour of buckets is out of the window.
	r2, c2 := newTest(0)
	c2.t = c.t
	if err := r2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	got, _ := r2.Query(Query{Step: 15 * time.Minute})
	if fmt.Sprint(got.Totals) != fmt.Sprint(want.Totals) || fmt.Sprint(got.Points) != fmt.Sprint(want.Points) {
		t.Errorf("restored %+v\nwant %+v", got.Totals, want.Totals)
	}
	if err := r2.Restore(snap); !errors.Is(err, ErrSnapshot) {
		t.Errorf("restoring into a recorder that holds usage: %v", err)
	}
	r3, c3 := newTest(0)
	c3.t = c.t.Add(21*time.Hour + 20*time.Minute)
	_ = r3.Restore(snap)
	if rep, _ := r3.Query(Query{}); rep.Totals.Requests == 0 || rep.Totals.Requests >= 50 {
		t.Errorf("restored 21 h 20 min later: %d requests, want only those still in the window", rep.Totals.Requests)
	}

	for name, bad := range map[string][]Series{
		"partial bucket": {{Key: "k", Route: "r", Buckets: make([]byte, 23)}},
		"no key":         {{Route: "r", Buckets: make([]byte, 24)}},
		"out of order":   {{Key: "k", Route: "r", Buckets: append(snap[0].Buckets[24:48:48], snap[0].Buckets[:24]...)}},
		"bad reason":     {{Key: "k", Route: "r", Reasons: map[string][]byte{"x": make([]byte, 5)}}},
		"nan latency":    {{Key: "k", Route: "r", Buckets: []byte{1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x7f, 0, 0, 0, 0}}},
	} {
		r4, _ := newTest(0)
		if err := r4.Restore(append([]Series{snap[1]}, bad...)); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: err %v", name, err)
		}
		if s, _ := r4.Stats(); s != 0 {
			t.Errorf("%s: a refused snapshot left %d series", name, s)
		}
	}
}

func TestFutureCallsCountNow(t *testing.T) {
	r, c := newTest(0)
	r.Record(Event{Key: "k", Route: "faces/detect", At: c.t.Add(2 * time.Hour)})
	rep, _ := r.Query(Query{})
	if last := rep.Points[len(rep.Points)-1]; last.Requests != 1 || rep.Totals.Requests != 1 {
		t.Errorf("a call stamped in the future: last point %+v, totals %+v", last, rep.Totals)
	}
}

// BenchmarkQueryFull answers the console's default 24 h query (all keys,
// 15-minute step) from a full recorder: DefaultMaxSeries series with a
// bucket every minute of the day (MB-held: the recorder's heap).
func BenchmarkQueryFull(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, c := newTest(0)
	start := c.t.Add(-Window + time.Minute)
	for s := range DefaultMaxSeries {
		for m := range 1440 {
			r.Record(Event{Key: fmt.Sprintf("k%03d", s/4), Route: []string{"faces/detect", "faces/recognize", "tags/save", "faces/train"}[s%4],
				At: start.Add(time.Duration(m) * time.Minute), Images: 1, Latency: time.Millisecond, Denied: m%7 == 0, Reason: "R"})
		}
	}
	if series, buckets := r.Stats(); series != DefaultMaxSeries || buckets < DefaultMaxSeries*1439 {
		b.Fatalf("%d series, %d buckets", series, buckets)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := r.Query(Query{Step: 15 * time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB-held")
}
