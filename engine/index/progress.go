package index

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/facegate/facegate/store"
)

// LoadProgress describes a Load under way (or just finished): Done is the
// templates read so far, Estimate the store's estimate of the templates under
// KeyPrefix.
type LoadProgress = store.Progress

// LoadWithProgress is Load, calling progress (from one of Load's goroutines, one call at a time) about
// every interval while it reads (a nil progress or a non-positive interval
// reports nothing), and returns the final count and time.
func (x *Index) LoadWithProgress(st *store.Store, every time.Duration, progress func(LoadProgress)) (LoadProgress, error) {
	return x.LoadContext(context.Background(), st, every, progress)
}

// LoadContext is LoadWithProgress that stops reading, with ctx's error,
// once ctx is done (looked at every few thousand templates); the index then
// holds part of the store and must not be used.
func (x *Index) LoadContext(ctx context.Context, st *store.Store, every time.Duration, progress func(LoadProgress)) (LoadProgress, error) {
	start := time.Now()
	p := &loadProgress{ctx: ctx, every: every, fn: progress, start: start, next: start.Add(every)}
	if progress != nil {
		p.estimate = st.EstimateKeys(KeyPrefix)
	}
	n, err := x.load(st, p)
	done := p.at(n, time.Now())
	if err == nil {
		x.loaded.Store(&done)
	}
	return done, err
}

// LastLoad is how the last successful LoadWithProgress went (zero when there
// was none).
func (x *Index) LastLoad() LoadProgress {
	if p := x.loaded.Load(); p != nil {
		return *p
	}
	return LoadProgress{}
}

// loadProgress paces the reports of one Load and stops it when ctx is done.
type loadProgress struct {
	mu          sync.Mutex // Load's goroutines tick
	ctx         context.Context
	every       time.Duration
	fn          func(LoadProgress)
	start, next time.Time
	estimate    int
}

// loadCheckEvery is how many templates Load reads between two looks at the clock.
const loadCheckEvery = 4096

// tick is called with the running count, every loadCheckEvery templates,
// from any of Load's goroutines; it reports when the interval is up.
func (p *loadProgress) tick(n int) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx != nil {
		if err := p.ctx.Err(); err != nil {
			return fmt.Errorf("load index: stopped after %d templates: %w", n, err)
		}
	}
	if p.fn == nil || p.every <= 0 {
		return nil
	}
	if now := time.Now(); !now.Before(p.next) {
		p.fn(p.at(n, now))
		p.next = now.Add(p.every)
	}
	return nil
}

func (p *loadProgress) at(n int, now time.Time) LoadProgress {
	return LoadProgress{Done: n, Estimate: max(n, p.estimate), Elapsed: now.Sub(p.start)}
}
