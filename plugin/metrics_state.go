package plugin

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// stateCollector reports, at each scrape, what the shared states hold: the
// size of the index and of the store, how the start-up rebuild went and the
// policies' reloads. Values are summed over data dirs (one in practice).
type stateCollector struct {
	templates, namespaces         *prometheus.Desc
	rebuildSeconds, rebuildCount  *prometheus.Desc
	storeBytes                    *prometheus.Desc
	reloads, reloadFailures       *prometheus.Desc
	reloadFailing, policyLoadedAt *prometheus.Desc
}

func newStateCollector() *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("facegate_"+name, help, labels, nil)
	}
	return &stateCollector{
		templates:      d("index_templates", "Face templates held by the search index."),
		namespaces:     d("index_namespaces", "Namespaces with at least one template in the search index."),
		rebuildSeconds: d("index_rebuild_seconds", "Time the start-up rebuild of the search index from the store took."),
		rebuildCount:   d("index_rebuild_templates", "Templates the start-up rebuild of the search index loaded."),
		storeBytes:     d("store_size_bytes", "Bytes the encrypted store holds on disk, by part (lsm: keys and small values, vlog: the value log); Badger refreshes it about every minute.", "part"),
		reloads:        d("policy_reloads_total", "Policy reloads tried since start (file changes, Caddy reloads, the admin API)."),
		reloadFailures: d("policy_reload_failures_total", "Policy reloads that failed; the last good version kept serving."),
		reloadFailing:  d("policy_reload_failing", "1 when the last policy reload failed (the files on disk are not the policies serving), else 0."),
		policyLoadedAt: d("policy_loaded_timestamp_seconds", "When the policies serving now were compiled (unix seconds)."),
	}
}

// Describe sends every series' description.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.templates, c.namespaces, c.rebuildSeconds, c.rebuildCount, c.storeBytes,
		c.reloads, c.reloadFailures, c.reloadFailing, c.policyLoadedAt} {
		ch <- d
	}
}

// Collect reads the open states.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	var nsCount, templates, rebuilt, lsm, vlog, reloads, failures, failing int64
	var rebuildSeconds, loadedAt float64
	n := 0
	statePool.Range(func(_, v any) bool {
		st, ok := v.(*state)
		if !ok || st.index == nil || st.store == nil {
			return true
		}
		n++
		a, b := st.index.Stats()
		nsCount, templates = nsCount+int64(a), templates+int64(b)
		last := st.index.LastLoad()
		rebuilt += int64(last.Loaded)
		rebuildSeconds += last.Elapsed.Seconds()
		l, v2 := st.store.Size()
		lsm, vlog = lsm+l, vlog+v2
		if d := st.currentDecider(); d != nil {
			s := d.Status()
			reloads += int64(s.Reloads)
			failures += int64(s.ReloadFailures)
			if s.LastError != "" {
				failing = 1
			}
			loadedAt = max(loadedAt, float64(s.LoadedAt))
		}
		return true
	})
	if n == 0 {
		return // not started: nothing to report
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.templates, float64(templates))
	gauge(c.namespaces, float64(nsCount))
	gauge(c.rebuildSeconds, rebuildSeconds)
	gauge(c.rebuildCount, float64(rebuilt))
	gauge(c.storeBytes, float64(lsm), "lsm")
	gauge(c.storeBytes, float64(vlog), "vlog")
	ch <- prometheus.MustNewConstMetric(c.reloads, prometheus.CounterValue, float64(reloads))
	ch <- prometheus.MustNewConstMetric(c.reloadFailures, prometheus.CounterValue, float64(failures))
	gauge(c.reloadFailing, float64(failing))
	gauge(c.policyLoadedAt, loadedAt)
}

// instrument points the state's store and index at the metrics; it is
// idempotent (every config start calls it).
func (s *state) instrument() {
	s.store.SetWriteObserver(observeWrite)
	s.index.SetSearchObserver(observeSearch)
}

// indexProgressEvery is how often a long index rebuild logs its progress.
const indexProgressEvery = 5 * time.Second

// rebuildIndex loads every template of st into a new index, logging the
// count, rate and ETA every interval and a summary at the end.
func rebuildIndex(st *store.Store, logger *zap.Logger, every time.Duration) (*index.Index, error) {
	x := index.New()
	last, err := x.LoadWithProgress(st, every, func(p index.LoadProgress) {
		logger.Info("rebuilding the template index",
			zap.Int("templates", p.Loaded),
			zap.Int("estimated_total", p.Estimate),
			zap.Float64("per_second", float64(int64(p.Rate()))),
			zap.Duration("eta", p.ETA().Round(time.Second)),
		)
	})
	if err != nil {
		return nil, fmt.Errorf("rebuilding the template index: %w", err)
	}
	logger.Info("template index rebuilt",
		zap.Int("templates", last.Loaded),
		zap.Duration("took", last.Elapsed),
		zap.Float64("per_second", float64(int64(last.Rate()))),
	)
	return x, nil
}
