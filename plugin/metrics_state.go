package plugin

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector reports, at each scrape, what the shared states hold: the
// size of the index and of the store, how the start-up rebuild went and the
// policies' reloads. Values are summed over data dirs (one in practice).
type stateCollector struct {
	templates, namespaces         *prometheus.Desc
	rebuildSeconds, rebuildCount  *prometheus.Desc
	rebuildEstimate, building     *prometheus.Desc
	storeBytes                    *prometheus.Desc
	reloads, reloadFailures       *prometheus.Desc
	reloadFailing, policyLoadedAt *prometheus.Desc
}

func newStateCollector() *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("facegate_"+name, help, labels, nil)
	}
	return &stateCollector{
		templates:       d("index_templates", "Face templates held by the search index."),
		namespaces:      d("index_namespaces", "Namespaces with at least one template in the search index."),
		rebuildSeconds:  d("index_rebuild_seconds", "Time the start-up rebuild of the search index from the store took (so far, while facegate_index_building is 1)."),
		rebuildCount:    d("index_rebuild_templates", "Templates the start-up rebuild of the search index loaded (so far, while facegate_index_building is 1)."),
		rebuildEstimate: d("index_rebuild_estimated_templates", "The store's estimate of the templates the start-up rebuild reads (for its ETA)."),
		building:        d("index_building", "1 while the search index loads from the store (recognize, group, train, tags/remove and erasures answer 105 meanwhile), else 0."),
		storeBytes:      d("store_size_bytes", "Bytes the encrypted store holds on disk, by part (lsm: keys and small values, vlog: the value log); Badger refreshes it about every minute.", "part"),
		reloads:         d("policy_reloads_total", "Policy reloads tried since start (file changes, Caddy reloads, the admin API)."),
		reloadFailures:  d("policy_reload_failures_total", "Policy reloads that failed; the last good version kept serving."),
		reloadFailing:   d("policy_reload_failing", "1 when the last policy reload failed (the files on disk are not the policies serving), else 0."),
		policyLoadedAt:  d("policy_loaded_timestamp_seconds", "When the policies serving now were compiled (unix seconds)."),
	}
}

// Describe sends every series' description.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.templates, c.namespaces, c.rebuildSeconds, c.rebuildCount, c.rebuildEstimate, c.building, c.storeBytes,
		c.reloads, c.reloadFailures, c.reloadFailing, c.policyLoadedAt} {
		ch <- d
	}
}

// Collect reads the open states.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	var nsCount, templates, rebuilt, estimate, building, lsm, vlog, reloads, failures, failing int64
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
		last, running := st.indexProgress()
		rebuilt += int64(last.Done)
		estimate += int64(last.Estimate)
		rebuildSeconds += last.Elapsed.Seconds()
		if running {
			building = 1
		}
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
	gauge(c.rebuildEstimate, float64(estimate))
	gauge(c.building, float64(building))
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
