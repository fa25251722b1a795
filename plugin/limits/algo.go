package limits

import (
	"strconv"
	"time"
)

// instant is "now" in the two time bases the limits use: rate limits are
// relative (ns since the limiter's epoch), quota windows are aligned to
// Unix time so that their reset time is predictable.
type instant struct {
	mono, wall int64
}

// check reports whether spec s admits one more request given its state,
// and if not, in how many nanoseconds it would.
func check(s Spec, st *slot, t instant) (bool, int64) {
	switch s.Kind {
	case KindRate:
		T, n, B := s.interval(), s.rateCost(), int64(s.Burst)
		if n > B {
			return false, T * B // can never pass; suggest a full refill
		}
		newTAT := max(st.tat, t.mono) + T*n
		if over := newTAT - t.mono - T*B; over > 0 {
			return false, over
		}
		return true, 0
	case KindQuota:
		w := s.window()
		idx := t.wall / w
		used := st.used
		if st.window != idx {
			used = 0
		}
		if used+int64(s.Cost) > int64(s.Count) {
			return false, (idx+1)*w - t.wall
		}
		return true, 0
	case KindConcurrency:
		if st.inFlight+1 > int64(s.Count) {
			return false, int64(concurrencyRetry)
		}
		return true, 0
	}
	return false, 0
}

// charge applies an admitted request to the state; check must have passed.
func charge(s Spec, st *slot, t instant) {
	switch s.Kind {
	case KindRate:
		st.tat = max(st.tat, t.mono) + s.interval()*s.rateCost()
	case KindQuota:
		idx := t.wall / s.window()
		if st.window != idx {
			st.window, st.used = idx, 0
		}
		st.wlen = s.window()
		st.used += int64(s.Cost)
	case KindConcurrency:
		st.inFlight++
	}
}

// rateState is the remaining capacity of a GCRA bucket and the time in ns
// (since epoch) when it is full again.
func rateState(s Spec, st *slot, t instant) (remaining, full int64) {
	T, B := s.interval(), int64(s.Burst)
	tat := max(st.tat, t.mono)
	remaining = (T*B - (tat - t.mono)) / T
	return max(remaining, 0), tat
}

// quotaState is the units used in the current window and its end (Unix ns).
func quotaState(s Spec, st *slot, t instant) (used, end int64) {
	w := s.window()
	idx := t.wall / w
	if st.window == idx {
		used = st.used
	}
	return used, (idx + 1) * w
}

// report builds the usage block and the RateLimit-Policy / RateLimit
// values for specs, from e's state (e may be nil: a fresh subject).
func (l *Limiter) report(e *entry, specs []Spec, t instant) (Usage, string, string) {
	return report(l.epoch, e, specs, t)
}

// report is Limiter.report for rate state kept in ns since epoch.
func report(epoch time.Time, e *entry, specs []Spec, t instant) (Usage, string, string) {
	var u Usage
	var haveQuota, haveRate bool
	var polBuf, rlBuf [192]byte
	pol, rl := polBuf[:0], rlBuf[:0]
	for _, s := range specs {
		st := e.find(s.Kind, s.Name)
		if st == nil {
			st = &slot{}
		}
		var q, w, r, reset int64 // draft fields: quota, window s, remaining, reset s
		switch s.Kind {
		case KindQuota:
			used, end := quotaState(s, st, t)
			q, w, r = int64(s.Count), int64(s.PerS), max(int64(s.Count)-used, 0)
			reset = ceilSeconds(end - t.wall)
			if !haveQuota {
				haveQuota = true
				u = Usage{Used: int(used), Remaining: int(r), Limit: s.Count, Reset: time.Unix(0, end)}
			}
		case KindRate:
			rem, full := rateState(s, st, t)
			q, r = int64(s.Burst), rem
			w = max(ceilSeconds(s.interval()*int64(s.Burst)), 1)
			reset = ceilSeconds(full - t.mono)
			if !haveQuota && !haveRate {
				haveRate = true
				u = Usage{Used: s.Burst - int(rem), Remaining: int(rem), Limit: s.Burst, Reset: epoch.Add(time.Duration(full))}
			}
		default:
			continue
		}
		pol = appendItem(pol, s.Name, "q", q, "w", w)
		rl = appendItem(rl, s.Name, "r", r, "t", reset)
	}
	return u, string(pol), string(rl)
}

// appendItem appends `"name";k1=v1;k2=v2` to a structured-field list.
func appendItem(b []byte, name, k1 string, v1 int64, k2 string, v2 int64) []byte {
	if len(b) > 0 {
		b = append(b, ", "...)
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `";`...)
	b = append(b, k1...)
	b = append(b, '=')
	b = strconv.AppendInt(b, v1, 10)
	b = append(b, ';')
	b = append(b, k2...)
	b = append(b, '=')
	return strconv.AppendInt(b, v2, 10)
}

// ceilSeconds rounds nanoseconds up to whole seconds (0 for ≤ 0).
func ceilSeconds(ns int64) int64 {
	if ns <= 0 {
		return 0
	}
	return (ns + int64(time.Second) - 1) / int64(time.Second)
}
