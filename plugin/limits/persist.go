package limits

import "time"

// Persistence: the Limiter itself only counts in memory. Snapshot hands out
// the subjects changed since the previous Snapshot, in wall-clock time, and
// Restore loads them into a new Limiter, so that a caller can journal the
// counters to disk and a restart does not reset quotas, rate buckets or
// failed-authentication lockouts. How often Snapshot runs is the caller's
// loss window (plugin/limits_journal.go writes every 250 ms). Concurrency
// slots are not persisted: the requests that held them ended with the
// process.

// Tables of a State.
const (
	// TableKeys holds the rate, quota and concurrency state of Acquire.
	TableKeys = "k"
	// TableAuth holds the failed-authentication counters.
	TableAuth = "a"
)

// State is the persistent part of one subject's counters.
type State struct {
	Table   string      `json:"t"`
	Subject string      `json:"s"`
	Slots   []SlotState `json:"l,omitempty"`
	// Until is when the state becomes the same as a fresh subject's (Unix
	// ns): it need not be kept after that. Zero with no Slots.
	Until int64 `json:"-"`
}

// SlotState is one limit's counters in wall-clock time.
type SlotState struct {
	Kind string `json:"k"`
	Name string `json:"n"`
	// TAT is a rate limit's theoretical arrival time (Unix ns).
	TAT int64 `json:"t,omitempty"`
	// Window, WindowLen and Used are a quota's current window (index of
	// WindowLen-ns windows since the Unix epoch) and units used in it.
	Window    int64 `json:"w,omitempty"`
	WindowLen int64 `json:"wl,omitempty"`
	Used      int64 `json:"u,omitempty"`
}

// Snapshot returns the subjects whose counters changed since the last
// Snapshot (rate and quota state of Acquire, failed authentications), and
// forgets that they changed.
func (l *Limiter) Snapshot() []State {
	base := l.epoch.UnixNano()
	now := l.clock.Now().UnixNano()
	var out []State
	for _, t := range []struct {
		name string
		s    *store
	}{{TableKeys, l.keys}, {TableAuth, l.auth}} {
		for i := range t.s.shards {
			sh := &t.s.shards[i]
			sh.mu.Lock()
			for _, e := range sh.dirty {
				e.dirty = false
				out = append(out, e.export(t.name, base, now))
			}
			clear(sh.dirty)
			sh.dirty = sh.dirty[:0]
			sh.mu.Unlock()
		}
	}
	return out
}

// export converts e's slots to wall-clock time (base is the epoch in Unix
// ns); slots already back to their fresh value are left out.
func (e *entry) export(table string, base, now int64) State {
	st := State{Table: table, Subject: e.subject}
	for _, sl := range e.slots {
		switch sl.kind {
		case KindRate:
			if tat := base + sl.tat; tat > now {
				st.Slots = append(st.Slots, SlotState{Kind: sl.kind, Name: sl.name, TAT: tat})
				st.Until = max(st.Until, tat)
			}
		case KindQuota:
			if end := (sl.window + 1) * sl.wlen; sl.used > 0 && sl.wlen > 0 && end > now {
				st.Slots = append(st.Slots, SlotState{Kind: sl.kind, Name: sl.name, Window: sl.window, WindowLen: sl.wlen, Used: sl.used})
				st.Until = max(st.Until, end)
			}
		}
	}
	return st
}

// Restore loads states (from Snapshot, possibly of an earlier process) into
// l. States that have expired, and slots of an unknown kind, are skipped.
// Call it before the Limiter serves requests.
func (l *Limiter) Restore(states []State) {
	base := l.epoch.UnixNano()
	now := l.clock.Now().UnixNano()
	for _, st := range states {
		var s *store
		switch st.Table {
		case TableKeys:
			s = l.keys
		case TableAuth:
			s = l.auth
		default:
			continue
		}
		sh := s.shard(st.Subject)
		sh.mu.Lock()
		var e *entry
		for _, ss := range st.Slots {
			switch {
			case ss.Kind == KindRate && ss.TAT > now:
			case ss.Kind == KindQuota && ss.WindowLen > 0 && ss.Used > 0 && (ss.Window+1)*ss.WindowLen > now:
			default:
				continue
			}
			if e == nil {
				e = sh.get(st.Subject, true, s.perShard)
			}
			sl := e.slot(ss.Kind, ss.Name)
			if ss.Kind == KindRate {
				sl.tat = ss.TAT - base
			} else {
				sl.window, sl.wlen, sl.used = ss.Window, ss.WindowLen, ss.Used
			}
		}
		sh.mu.Unlock()
	}
}

// Expired reports whether a state no longer holds anything at time now.
func (st State) Expired(now time.Time) bool { return st.Until <= now.UnixNano() }
