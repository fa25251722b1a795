package policies

import (
	"sync"
	"time"
)

// Status is what an operator wants to know about the policies in force:
// which version serves, since when, and how the last reload went.
type Status struct {
	// Version is the active policy set's short hash (Decider.Version).
	Version string `json:"version"`
	// Embedded is true when the policies built into the binary serve.
	Embedded bool `json:"embedded"`
	// LoadedAt is when the active version was compiled (unix s).
	LoadedAt int64 `json:"loaded_at"`
	// LastReloadAt is when a reload was last tried (unix s, 0: never).
	LastReloadAt int64 `json:"last_reload_at,omitempty"`
	// LastError is the error of the last reload when it failed ("" when it
	// succeeded): the operator's own policy text, compile errors included.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when a reload last failed (unix s, 0: never).
	LastErrorAt int64 `json:"last_error_at,omitempty"`
	// Reloads and ReloadFailures count the reloads tried since start and
	// those that failed (the last good version kept serving).
	Reloads        uint64 `json:"reloads"`
	ReloadFailures uint64 `json:"reload_failures"`
}

// reloadLog remembers the outcome of the last reload.
type reloadLog struct {
	mu          sync.Mutex
	lastReload  time.Time
	lastError   string
	lastErrorAt time.Time
	reloads     uint64
	failures    uint64
}

// note records one reload's outcome.
func (l *reloadLog) note(now time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastReload = now
	l.reloads++
	if err != nil {
		l.failures++
		l.lastError, l.lastErrorAt = err.Error(), now
		return
	}
	l.lastError = ""
}

// Status reports the active version and the last reload's outcome.
func (d *Decider) Status() Status {
	p := d.active.Load()
	s := Status{Version: p.version, Embedded: d.dir == "", LoadedAt: p.loadedAt.Unix()}
	d.reloads.mu.Lock()
	defer d.reloads.mu.Unlock()
	if !d.reloads.lastReload.IsZero() {
		s.LastReloadAt = d.reloads.lastReload.Unix()
	}
	s.LastError = d.reloads.lastError
	s.Reloads, s.ReloadFailures = d.reloads.reloads, d.reloads.failures
	if !d.reloads.lastErrorAt.IsZero() {
		s.LastErrorAt = d.reloads.lastErrorAt.Unix()
	}
	return s
}
