package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// The template index is loaded from the store in the background, so that a
// node with a large store serves while it loads: the guard, the admin API
// and the console answer, /readyz answers 503 "index building" (load
// balancers keep the node out), faces/detect, tags/save, tags/get,
// faces/status and the account methods work (they do not read the index),
// and the methods that read or change the index (indexMethods) answer
// SkyBiometry's error 105 with Retry-After until it is built, never a
// partial result. The index must not change while it loads: the loader
// reads one snapshot of the store, so a template removed or replaced
// during the load could come back from the snapshot. Hence the methods
// that write it wait too, and so do the admin API's erasures.
//
// A store that loads within indexLoadWait is loaded before facegate starts
// serving, as before; a load that fails leaves the node serving detect with
// /readyz 503 "index failed" and the index methods refused, and the error
// logged (a restart retries).

// indexMethods read or change the template index.
var indexMethods = map[string]bool{
	"faces/recognize":  true,
	"faces/group":      true,
	"faces/train":      true,
	"tags/remove":      true,
	"extensions/erase": true,
}

// indexLoadWait is how long the start waits for the index before it
// serves while the rest loads.
const indexLoadWait = 500 * time.Millisecond

// indexProgressStep is how often the live progress (console, metrics) is
// updated while the index loads; the log gets a line every
// indexProgressEvery.
const indexProgressStep = 250 * time.Millisecond

// indexRetryAfter is the Retry-After of a call refused while the index loads.
const indexRetryAfter = 5 * time.Second

// errIndexLoading refuses what must wait for the index.
var errIndexLoading = errors.New("the template index is still loading from the store; retry later")

// indexLoader is one background load of the template index.
type indexLoader struct {
	done     chan struct{} // closed when the load ended
	err      error         // the load's error, set before done is closed
	progress atomic.Pointer[index.LoadProgress]
	cancel   context.CancelFunc // stops the load (stop)
}

// startIndexLoad loads every template of st into x in the background,
// logging count, rate and ETA every logEvery and keeping the latest
// progress for the status page and the metrics. It waits up to wait for
// the load to end.
func startIndexLoad(x *index.Index, st *store.Store, logger *zap.Logger, logEvery, wait time.Duration) *indexLoader {
	ctx, cancel := context.WithCancel(context.Background())
	l := &indexLoader{done: make(chan struct{}), cancel: cancel}
	l.progress.Store(&index.LoadProgress{})
	go func() {
		defer close(l.done)
		nextLog := time.Now().Add(logEvery)
		last, err := x.LoadContext(ctx, st, min(indexProgressStep, logEvery), func(p index.LoadProgress) {
			l.progress.Store(&p)
			if now := time.Now(); !now.Before(nextLog) {
				nextLog = now.Add(logEvery)
				logger.Info("rebuilding the template index",
					zap.Int("templates", p.Done),
					zap.Int("estimated_total", p.Estimate),
					zap.Float64("per_second", float64(int64(p.Rate()))),
					zap.Duration("eta", p.ETA().Round(time.Second)),
				)
			}
		})
		l.progress.Store(&last)
		if errors.Is(err, context.Canceled) {
			l.err = err
			logger.Info("template index load stopped: facegate is stopping", zap.Int("templates", last.Done))
			return
		}
		if err != nil {
			l.err = fmt.Errorf("rebuilding the template index: %w", err)
			logger.Error("the template index could not be loaded: recognize, group, train, tags/remove and erasures are refused until a restart loads it",
				zap.Error(err))
			return
		}
		logger.Info("template index rebuilt",
			zap.Int("templates", last.Done),
			zap.Duration("took", last.Elapsed),
			zap.Float64("per_second", float64(int64(last.Rate()))),
		)
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
	}
	return l
}

// state is "ok" once the load succeeded, "building" while it runs, "failed" after an error.
func (l *indexLoader) state() string {
	select {
	case <-l.done:
		if l.err != nil {
			return "failed"
		}
		return "ok"
	default:
		return "building"
	}
}

// wait blocks until the load has ended.
func (l *indexLoader) wait() { <-l.done }

// stop ends the load if it still runs and waits for it (the loader reads
// the store: it must be done before the store closes).
func (l *indexLoader) stop() {
	if l.cancel != nil {
		l.cancel()
	}
	<-l.done
}

// indexState is the template index's state: "ok" (also for a state
// built without a background load), "building" or "failed".
func (s *state) indexState() string {
	if s.indexLoad == nil {
		return "ok"
	}
	return s.indexLoad.state()
}

// indexProgress is the running (or last) load's progress and whether a
// load is under way.
func (s *state) indexProgress() (index.LoadProgress, bool) {
	if s.indexLoad == nil {
		return s.index.LastLoad(), false
	}
	return *s.indexLoad.progress.Load(), s.indexLoad.state() == "building"
}

// indexGate refuses, until the index is built, a call of a method that
// reads or changes it (nil for every other method, and once built).
func (s *state) indexGate(route string) *skyerr.Error {
	if !indexMethods[route] {
		return nil
	}
	switch s.indexState() {
	case "ok":
		return nil
	case "building":
		return unavailable(errIndexLoading.Error())
	default:
		return unavailable("the template index could not be loaded; the operator must restart facegate")
	}
}

// indexWritable is nil when the index may change (admin erasures).
func (s *state) indexWritable() error {
	switch s.indexState() {
	case "ok":
		return nil
	case "building":
		return errIndexLoading
	default:
		return errors.New("the template index could not be loaded; restart facegate")
	}
}

// setIndexRetryAfter adds Retry-After to an answer refused while the index loads.
func setIndexRetryAfter(w http.ResponseWriter, e *skyerr.Error) {
	if e != nil && e.Code == skyerr.Unavailable {
		setRetryAfter(w, indexRetryAfter)
	}
}
