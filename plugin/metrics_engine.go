package plugin

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// engineMetrics time the face engine, the store and url fetching, through
// the engine's observer hooks (the engine itself knows nothing of
// Prometheus). Created with guardMetrics, once per process.
var engineMetrics struct {
	stages     *prometheus.HistogramVec
	faces      prometheus.Histogram
	pixelWait  prometheus.Histogram
	fetches    *prometheus.CounterVec
	fetchTime  prometheus.Histogram
	writes     prometheus.Histogram
	writeFails prometheus.Counter
	state      *stateCollector
}

// stageSearch is the stage label of index searches, beside pipeline's stages.
const stageSearch = "search"

// fetchOutcomes are the label values of url_fetches_total.
var fetchOutcomes = []string{"ok", "malformed_url", "refused", "unknown_host", "timeout", "not_found", "too_large", "error"}

func initEngineMetrics() {
	const ns = "facegate"
	engineMetrics.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: ns, Subsystem: "engine", Name: "stage_seconds",
		Help:    "Time of each stage of the face engine: decode and detect per image; landmarks, descriptor and attributes per face; search per index search.",
		Buckets: []float64{250e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5},
	}, []string{"stage"})
	engineMetrics.faces = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Subsystem: "engine", Name: "faces_per_image",
		Help:    "Faces found per analysed image.",
		Buckets: []float64{0, 1, 2, 3, 5, 8, 13, 21, 32},
	})
	engineMetrics.pixelWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Subsystem: "engine", Name: "pixel_budget_wait_seconds",
		Help:    "Time an image waited for room in the server-wide pixel budget (max_pixels_in_flight), refused ones included.",
		Buckets: []float64{1e-4, 1e-3, 10e-3, 100e-3, 500e-3, 1, 2.5, 5, 10},
	})
	engineMetrics.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: "api", Name: "url_fetches_total",
		Help: "Images fetched from `urls`, by outcome: ok, malformed_url, refused (a private or disallowed address, or the connection refused), unknown_host, timeout, not_found, too_large, error.",
	}, []string{"outcome"})
	engineMetrics.fetchTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Subsystem: "api", Name: "url_fetch_seconds",
		Help:    "Time spent fetching one image from `urls`, whatever the outcome.",
		Buckets: []float64{10e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, 30},
	})
	engineMetrics.writes = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Subsystem: "store", Name: "write_seconds",
		Help:    "Time of each store transaction that writes (conflict retries and the fsync of SyncWrites included).",
		Buckets: []float64{100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 500e-3},
	})
	engineMetrics.writeFails = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Subsystem: "store", Name: "write_failures_total",
		Help: "Store transactions that wrote nothing because they failed.",
	})
	for _, s := range pipeline.Stages {
		engineMetrics.stages.WithLabelValues(string(s))
	}
	engineMetrics.stages.WithLabelValues(stageSearch)
	for _, o := range fetchOutcomes {
		engineMetrics.fetches.WithLabelValues(o)
	}
	engineMetrics.state = newStateCollector()
}

func registerEngineMetrics(registry *prometheus.Registry) {
	register(registry, engineMetrics.stages, engineMetrics.faces, engineMetrics.pixelWait, engineMetrics.fetches,
		engineMetrics.fetchTime, engineMetrics.writes, engineMetrics.writeFails, engineMetrics.state)
}

// observeStage is the pipeline's and the index's observer.
func observeStage(stage pipeline.Stage, d time.Duration) {
	if engineMetrics.stages != nil {
		engineMetrics.stages.WithLabelValues(string(stage)).Observe(d.Seconds())
	}
}

// observeSearch times one index search.
func observeSearch(d time.Duration) { observeStage(stageSearch, d) }

// observeAnalysis counts the faces of an analysed image.
func observeAnalysis(out *service.Analyzed, err error) {
	if err == nil && out != nil && engineMetrics.faces != nil {
		engineMetrics.faces.Observe(float64(len(out.Faces)))
	}
}

// observePixelWait times one wait for room in the pixel budget.
func observePixelWait(d time.Duration) {
	if engineMetrics.pixelWait != nil {
		engineMetrics.pixelWait.Observe(d.Seconds())
	}
}

// observeWrite is the store's write observer.
func observeWrite(d time.Duration, failed bool) {
	if engineMetrics.writes == nil {
		return
	}
	engineMetrics.writes.Observe(d.Seconds())
	if failed {
		engineMetrics.writeFails.Inc()
	}
}

// observeFetch counts one url fetch by its outcome.
func observeFetch(err error, d time.Duration) {
	if engineMetrics.fetches == nil {
		return
	}
	engineMetrics.fetches.WithLabelValues(fetchOutcome(err)).Inc()
	engineMetrics.fetchTime.Observe(d.Seconds())
}

// fetchOutcome maps a fetch error to a url_fetches_total outcome.
func fetchOutcome(err error) string {
	if err == nil {
		return "ok"
	}
	var se *skyerr.Error
	if !errors.As(err, &se) {
		return "error"
	}
	switch se.Code {
	case skyerr.MalformedURL:
		return "malformed_url"
	case skyerr.ConnRefused:
		return "refused"
	case skyerr.UnknownHost:
		return "unknown_host"
	case skyerr.DownloadTimeout:
		return "timeout"
	case skyerr.DownloadNotFound:
		return "not_found"
	case skyerr.DownloadTooLarge:
		return "too_large"
	}
	return "error"
}
