package usage

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// Bucket size and history kept.
const (
	// Step is the width of one bucket.
	Step = time.Minute
	// Window is how far back buckets are kept.
	Window = 24 * time.Hour
	// DefaultMaxSeries is how many (key, route) series are tracked by
	// default before further keys are counted under OverflowKey.
	DefaultMaxSeries = 512
	// MaxReasons is how many distinct denial reasons are told apart;
	// further ones are counted as "other".
	MaxReasons = 32
	// maxReasonBuckets bounds the reason buckets of one series.
	maxReasonBuckets = 4 * int(Window/Step)
)

// Keys that are not API key ids.
const (
	// NoKey counts calls that named no existing key (unknown or missing
	// key ids are not tracked one by one: clients choose them).
	NoKey = "~none"
	// OverflowKey counts the calls of keys beyond the tracked maximum.
	OverflowKey = "~other"
	// OtherRoute counts the calls whose route facegate does not know.
	OtherRoute = "other"
)

// Event is one call as the gateway saw it.
type Event struct {
	// Key is the API key id, or NoKey.
	Key string
	// Route is the SkyBiometry method (faces/detect, ...), or OtherRoute.
	Route string
	// At is when the call arrived.
	At time.Time
	// Images is how many images an admitted call carried.
	Images int
	// Latency is how long the call took, gateway and API.
	Latency time.Duration
	// Denied is set when the gateway refused the call, for Reason.
	Denied bool
	Reason string
}

// Options configures a Recorder.
type Options struct {
	// MaxSeries bounds the (key, route) pairs tracked; default
	// DefaultMaxSeries. Memory is about MaxSeries × 1440 buckets × 24
	// bytes plus slice headroom and the denial reasons' buckets: 26.8 MB
	// measured for the default, full (BenchmarkQueryFull).
	MaxSeries int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// bucket is one minute of one series.
type bucket struct {
	minute                     int32 // unix minutes
	requests, images, denials  uint32
	latencySumMS, latencyMaxMS float32
}

// reasonBucket counts the denials for one reason in one minute.
type reasonBucket struct {
	minute int32
	reason uint8
	n      uint32
}

type seriesKey struct{ key, route string }

// series is one (key, route) pair's buckets, oldest first.
type series struct {
	buckets []bucket
	reasons []reasonBucket
}

// Recorder keeps per-minute usage per key and route for the last Window,
// in memory, within fixed bounds. It is safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	maxSeries int
	now       func() time.Time
	series    map[seriesKey]*series
	reasons   []string // index = reasonBucket.reason
	lastDrop  int32    // the minute dropIdle last ran (at most once a minute)
}

// New returns an empty recorder.
func New(opts Options) *Recorder {
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Recorder{maxSeries: opts.MaxSeries, now: opts.Now, series: map[seriesKey]*series{}}
}

func unixMinute(t time.Time) int32 { return int32(t.Unix() / 60) }

// Record adds one call. Calls older than the window are ignored.
func (r *Recorder) Record(e Event) {
	if e.Key == "" {
		e.Key = NoKey
	}
	if e.Route == "" {
		e.Route = OtherRoute
	}
	m := unixMinute(e.At)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	oldest := unixMinute(now.Add(-Window)) + 1
	if m < oldest {
		return
	}
	m = min(m, unixMinute(now)) // a clock ahead does not write the future
	s := r.seriesFor(seriesKey{e.Key, e.Route})
	s.trim(oldest)
	b := s.bucketAt(m)
	b.requests++
	b.images += uint32(max(e.Images, 0))
	ms := float32(e.Latency.Seconds() * 1000)
	b.latencySumMS += ms
	b.latencyMaxMS = max(b.latencyMaxMS, ms)
	if e.Denied {
		b.denials++
		s.addReason(m, r.reasonIndex(e.Reason), 1)
	}
}

// oldestMinute is the first minute still inside the window.
func (r *Recorder) oldestMinute() int32 {
	return unixMinute(r.now().Add(-Window)) + 1
}

// seriesFor finds or makes the series; past the maximum, keys go to
// OverflowKey (one series per route, which may exceed the maximum by the
// number of routes).
func (r *Recorder) seriesFor(k seriesKey) *series {
	if s, ok := r.series[k]; ok {
		return s
	}
	if len(r.series) >= r.maxSeries {
		if m := unixMinute(r.now()); m != r.lastDrop {
			r.lastDrop = m
			r.dropIdle()
		}
	}
	if len(r.series) >= r.maxSeries && k.key != NoKey {
		k.key = OverflowKey
		if s, ok := r.series[k]; ok {
			return s
		}
	}
	s := &series{}
	r.series[k] = s
	return s
}

// dropIdle forgets the series with no bucket left in the window.
func (r *Recorder) dropIdle() {
	oldest := r.oldestMinute()
	for k, s := range r.series {
		s.trim(oldest)
		if len(s.buckets) == 0 {
			delete(r.series, k)
		}
	}
}

// reasonIndex numbers a reason; past MaxReasons-1 names, "other".
func (r *Recorder) reasonIndex(reason string) uint8 {
	if reason == "" {
		reason = "other"
	}
	if len(reason) > 48 {
		reason = reason[:48]
	}
	if i := slices.Index(r.reasons, reason); i >= 0 {
		return uint8(i)
	}
	if len(r.reasons) >= MaxReasons-1 {
		reason = "other"
		if i := slices.Index(r.reasons, reason); i >= 0 {
			return uint8(i)
		}
	}
	r.reasons = append(r.reasons, reason)
	return uint8(len(r.reasons) - 1)
}

// trim drops the buckets before minute oldest.
func (s *series) trim(oldest int32) {
	i := sort.Search(len(s.buckets), func(i int) bool { return s.buckets[i].minute >= oldest })
	if i > 0 {
		s.buckets = slices.Delete(s.buckets, 0, i)
	}
	j := sort.Search(len(s.reasons), func(i int) bool { return s.reasons[i].minute >= oldest })
	if j > 0 {
		s.reasons = slices.Delete(s.reasons, 0, j)
	}
}

// bucketAt finds or inserts the bucket of minute m (calls arrive nearly
// in order, so this is almost always the last one or a new last one).
func (s *series) bucketAt(m int32) *bucket {
	n := len(s.buckets)
	if n > 0 && s.buckets[n-1].minute == m {
		return &s.buckets[n-1]
	}
	i := sort.Search(n, func(i int) bool { return s.buckets[i].minute >= m })
	if i < n && s.buckets[i].minute == m {
		return &s.buckets[i]
	}
	s.buckets = slices.Insert(s.buckets, i, bucket{minute: m})
	return &s.buckets[i]
}

// addReason counts n denials for reason in minute m.
func (s *series) addReason(m int32, reason uint8, n uint32) {
	for i := len(s.reasons) - 1; i >= 0 && s.reasons[i].minute >= m; i-- {
		if s.reasons[i].minute == m && s.reasons[i].reason == reason {
			s.reasons[i].n += n
			return
		}
	}
	i := sort.Search(len(s.reasons), func(i int) bool { return s.reasons[i].minute > m })
	s.reasons = slices.Insert(s.reasons, i, reasonBucket{minute: m, reason: reason, n: n})
	if len(s.reasons) > maxReasonBuckets {
		s.reasons = slices.Delete(s.reasons, 0, len(s.reasons)-maxReasonBuckets)
	}
}
