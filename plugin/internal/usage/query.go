package usage

import (
	"errors"
	"sort"
	"time"
)

// Query selects usage: one key or all ("" ), one route or all (""), from
// Since to Until (default: the whole window up to now), in points of Step
// (a whole number of minutes, default one minute; at most 1440 points).
type Query struct {
	Key, Route   string
	Since, Until time.Time
	Step         time.Duration
}

// MaxPoints bounds the points of one report.
const MaxPoints = 1440

// Point is the usage of one interval, starting at T (unix seconds).
type Point struct {
	T            int64            `json:"t"`
	Requests     uint64           `json:"requests"`
	Images       uint64           `json:"images"`
	Denials      uint64           `json:"denials"`
	LatencyAvgMS float64          `json:"latency_avg_ms"`
	LatencyMaxMS float64          `json:"latency_max_ms"`
	Reasons      map[string]int64 `json:"denials_by_reason,omitempty"`
}

// Report is the answer to a Query: one point per interval (empty
// intervals included, so that charts need no gap logic), the totals, and
// the keys and routes tracked now (for filters).
type Report struct {
	Key     string   `json:"key,omitempty"`
	Route   string   `json:"route,omitempty"`
	Since   int64    `json:"since"`
	Until   int64    `json:"until"`
	StepS   int64    `json:"step_s"`
	Points  []Point  `json:"points"`
	Totals  Point    `json:"totals"`
	Keys    []string `json:"keys"`
	Routes  []string `json:"routes"`
	Tracked int      `json:"series_tracked"`
}

// ErrQuery is wrapped by the errors of a query that cannot be answered.
var ErrQuery = errors.New("bad usage query")

// Query answers q from the buckets in memory.
func (r *Recorder) Query(q Query) (Report, error) {
	now := r.now()
	if q.Step == 0 {
		q.Step = Step
	}
	if q.Step < Step || q.Step%Step != 0 || q.Step > Window {
		return Report{}, errors.Join(ErrQuery, errors.New("step must be a whole number of minutes, at most 24h"))
	}
	if q.Until.IsZero() || q.Until.After(now) {
		q.Until = now
	}
	if oldest := time.Unix(int64(r.oldestMinute())*60, 0); q.Since.IsZero() || q.Since.Before(oldest) {
		q.Since = oldest
	}
	if !q.Since.Before(q.Until) {
		return Report{}, errors.Join(ErrQuery, errors.New("since must be before until"))
	}
	stepMin := int32(q.Step / Step)
	first := unixMinute(q.Since) / stepMin * stepMin
	last := unixMinute(q.Until)
	n := int((last-first)/stepMin) + 1
	if n > MaxPoints {
		return Report{}, errors.Join(ErrQuery, errors.New("too many points: use a larger step"))
	}
	rep := Report{Key: q.Key, Route: q.Route, Since: int64(first) * 60, Until: q.Until.Unix(),
		StepS: int64(q.Step / time.Second), Points: make([]Point, n)}
	for i := range rep.Points {
		rep.Points[i].T = int64(first+int32(i)*stepMin) * 60
	}
	sums := make([]float64, n)
	keys, routes := map[string]bool{}, map[string]bool{}
	r.mu.Lock()
	for k, s := range r.series {
		keys[k.key], routes[k.route] = true, true
		if (q.Key != "" && k.key != q.Key) || (q.Route != "" && k.route != q.Route) {
			continue
		}
		i := sort.Search(len(s.buckets), func(i int) bool { return s.buckets[i].minute >= first })
		for ; i < len(s.buckets) && s.buckets[i].minute <= last; i++ {
			b := s.buckets[i]
			p := &rep.Points[(b.minute-first)/stepMin]
			p.Requests += uint64(b.requests)
			p.Images += uint64(b.images)
			p.Denials += uint64(b.denials)
			p.LatencyMaxMS = max(p.LatencyMaxMS, float64(b.latencyMaxMS))
			sums[(b.minute-first)/stepMin] += float64(b.latencySumMS)
		}
		j := sort.Search(len(s.reasons), func(i int) bool { return s.reasons[i].minute >= first })
		for ; j < len(s.reasons) && s.reasons[j].minute <= last; j++ {
			rb := s.reasons[j]
			p := &rep.Points[(rb.minute-first)/stepMin]
			if p.Reasons == nil {
				p.Reasons = map[string]int64{}
			}
			p.Reasons[r.reasons[rb.reason]] += int64(rb.n)
		}
	}
	rep.Tracked = len(r.series)
	r.mu.Unlock()
	rep.Keys, rep.Routes = sortedNames(keys), sortedNames(routes)
	var sum float64
	for i := range rep.Points {
		p := &rep.Points[i]
		if p.Requests > 0 {
			p.LatencyAvgMS = round3(sums[i] / float64(p.Requests))
		}
		p.LatencyMaxMS = round3(p.LatencyMaxMS)
		sum += sums[i]
		rep.Totals.Requests += p.Requests
		rep.Totals.Images += p.Images
		rep.Totals.Denials += p.Denials
		rep.Totals.LatencyMaxMS = max(rep.Totals.LatencyMaxMS, p.LatencyMaxMS)
		for name, c := range p.Reasons {
			if rep.Totals.Reasons == nil {
				rep.Totals.Reasons = map[string]int64{}
			}
			rep.Totals.Reasons[name] += c
		}
	}
	rep.Totals.T = rep.Since
	if rep.Totals.Requests > 0 {
		rep.Totals.LatencyAvgMS = round3(sum / float64(rep.Totals.Requests))
	}
	return rep, nil
}

// Stats reports the series tracked and the buckets held (for tests and
// for sizing).
func (r *Recorder) Stats() (series, buckets int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.series {
		buckets += len(s.buckets)
	}
	return len(r.series), buckets
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
