package usage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Series is one (key, route) series in a portable form, for keeping the
// history across restarts: Buckets packs each minute in 24 bytes (unix
// minute, requests, images, denials, latency sum and maximum in ms as
// float32, little-endian, oldest first), Reasons packs the denials of each
// reason in 8 bytes per minute (unix minute, count).
type Series struct {
	Key     string            `json:"k"`
	Route   string            `json:"r"`
	Buckets []byte            `json:"b"`
	Reasons map[string][]byte `json:"d,omitempty"`
}

const bucketBytes, reasonBytes = 24, 8

// Snapshot returns every series held now.
func (r *Recorder) Snapshot() []Series {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Series, 0, len(r.series))
	for k, s := range r.series {
		e := Series{Key: k.key, Route: k.route, Buckets: make([]byte, 0, len(s.buckets)*bucketBytes)}
		le := binary.LittleEndian
		for _, b := range s.buckets {
			e.Buckets = le.AppendUint32(e.Buckets, uint32(b.minute))
			e.Buckets = le.AppendUint32(e.Buckets, b.requests)
			e.Buckets = le.AppendUint32(e.Buckets, b.images)
			e.Buckets = le.AppendUint32(e.Buckets, b.denials)
			e.Buckets = le.AppendUint32(e.Buckets, math.Float32bits(b.latencySumMS))
			e.Buckets = le.AppendUint32(e.Buckets, math.Float32bits(b.latencyMaxMS))
		}
		for _, rb := range s.reasons {
			if e.Reasons == nil {
				e.Reasons = map[string][]byte{}
			}
			name := r.reasons[rb.reason]
			e.Reasons[name] = le.AppendUint32(le.AppendUint32(e.Reasons[name], uint32(rb.minute)), rb.n)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Key < out[j].Key || (out[i].Key == out[j].Key && out[i].Route < out[j].Route)
	})
	return out
}

// ErrSnapshot is wrapped by the errors of a snapshot that cannot be restored.
var ErrSnapshot = errors.New("bad usage snapshot")

// Restore adds the series of a Snapshot to an empty recorder, within its
// bounds (minutes outside the window are dropped; series past the maximum
// are skipped). A malformed snapshot is refused whole and changes nothing.
func (r *Recorder) Restore(snap []Series) error {
	parsed := make([]struct {
		k       seriesKey
		buckets []bucket
		reasons map[string][]reasonBucket
	}, len(snap))
	for i, e := range snap {
		if e.Key == "" || e.Route == "" || len(e.Key) > 128 || len(e.Route) > 128 || len(e.Buckets)%bucketBytes != 0 {
			return fmt.Errorf("%w: series %d has no key or route, or a partial bucket", ErrSnapshot, i)
		}
		p := &parsed[i]
		p.k = seriesKey{e.Key, e.Route}
		le := binary.LittleEndian
		for off := 0; off < len(e.Buckets); off += bucketBytes {
			b := e.Buckets[off : off+bucketBytes]
			v := bucket{minute: int32(le.Uint32(b)), requests: le.Uint32(b[4:]), images: le.Uint32(b[8:]),
				denials: le.Uint32(b[12:]), latencySumMS: math.Float32frombits(le.Uint32(b[16:])),
				latencyMaxMS: math.Float32frombits(le.Uint32(b[20:]))}
			if n := len(p.buckets); n > 0 && p.buckets[n-1].minute >= v.minute {
				return fmt.Errorf("%w: series %d: buckets out of order", ErrSnapshot, i)
			}
			if !finite(v.latencySumMS) || !finite(v.latencyMaxMS) || v.denials > v.requests {
				return fmt.Errorf("%w: series %d: impossible bucket", ErrSnapshot, i)
			}
			p.buckets = append(p.buckets, v)
		}
		if len(e.Reasons) > MaxReasons {
			return fmt.Errorf("%w: series %d: too many reasons", ErrSnapshot, i)
		}
		for name, raw := range e.Reasons {
			if name == "" || len(name) > 48 || len(raw)%reasonBytes != 0 {
				return fmt.Errorf("%w: series %d: bad reason entry", ErrSnapshot, i)
			}
			if p.reasons == nil {
				p.reasons = map[string][]reasonBucket{}
			}
			for off := 0; off < len(raw); off += reasonBytes {
				p.reasons[name] = append(p.reasons[name], reasonBucket{minute: int32(le.Uint32(raw[off:])), n: le.Uint32(raw[off+4:])})
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.series) > 0 {
		return fmt.Errorf("%w: the recorder already holds usage", ErrSnapshot)
	}
	oldest, now := r.oldestMinute(), unixMinute(r.now())
	for _, p := range parsed {
		if _, dup := r.series[p.k]; dup || len(r.series) >= r.maxSeries {
			continue
		}
		s := &series{}
		for _, b := range p.buckets {
			if b.minute >= oldest && b.minute <= now {
				s.buckets = append(s.buckets, b)
			}
		}
		for name, rbs := range p.reasons {
			idx := r.reasonIndex(name)
			for _, rb := range rbs {
				if rb.minute >= oldest && rb.minute <= now && rb.n > 0 {
					s.addReason(rb.minute, idx, rb.n)
				}
			}
		}
		if len(s.buckets) > 0 {
			r.series[p.k] = s
		}
	}
	return nil
}

func finite(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) && f >= 0
}
