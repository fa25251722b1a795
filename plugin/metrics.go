package plugin

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/facegate/facegate/engine/skyerr"
)

// guardMetrics are facegate's Prometheus collectors, created once per process
// and registered in each config's registry (reloads re-register them).
// Labels are routes, outcomes and reasons: never key ids, client addresses,
// secrets or anything biometric. docs/metrics.md lists every series.
var guardMetrics = struct {
	once      sync.Once
	decisions *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	images    *prometheus.CounterVec
	failed    prometheus.Counter
	lockouts  *prometheus.CounterVec
	busy      prometheus.Counter
	denials   *prometheus.CounterVec
	refusals  *prometheus.CounterVec
	inFlight  prometheus.Gauge
	apiTime   *prometheus.HistogramVec
}{}

// initMetrics creates the collectors (once) and registers them, with the
// engine's and the shared state's, in registry.
func initMetrics(registry *prometheus.Registry) {
	const ns, sub = "facegate", "guard"
	guardMetrics.once.Do(func() {
		guardMetrics.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "decisions_total",
			Help: "Policy decisions by route, outcome and reason.",
		}, []string{"route", "allow", "reason"})
		guardMetrics.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "decision_seconds",
			Help:    "Time the guard spent on a request before handing it on (auth, validation, policy, limits).",
			Buckets: []float64{20e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3},
		}, []string{"mode"})
		guardMetrics.images = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "api", Name: "images_total",
			Help: "Images carried by admitted API calls, by route.",
		}, []string{"route"})
		guardMetrics.failed = prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "failed_authentications_total",
			Help: "Requests refused for their credentials (unknown key, wrong secret or signature, replay).",
		})
		guardMetrics.lockouts = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "auth_lockouts_total",
			Help: "Requests held back after failed authentications: address (refused, all keys), key_address (refused, one key from one address), key_delay (a failing answer delayed because the key has failures from many addresses), key_delay_full (refused: too many delayed answers waiting).",
		}, []string{"kind"})
		guardMetrics.busy = prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "api", Name: "images_refused_busy_total",
			Help: "Images refused because the server-wide pixel budget (max_pixels_in_flight) had no room within 10 s.",
		})
		guardMetrics.denials = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "denials_total",
			Help: "Requests the guard refused, whatever refused them (credentials, lockouts, input, policy, limits, start-up), by SkyBiometry error name.",
		}, []string{"error"})
		guardMetrics.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "limit_refusals_total",
			Help: "Requests refused by a limit the policy named, by limit kind (rate, quota, concurrency; invalid: the policy named an unusable limit).",
		}, []string{"kind"})
		guardMetrics.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_in_flight",
			Help: "Admitted requests being served now (what the concurrency limits count, summed over keys).",
		})
		guardMetrics.apiTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: "api", Name: "request_seconds",
			Help:    "Time facegate_api took to answer an admitted call (fetch, analysis, search, store), by route.",
			Buckets: []float64{1e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10},
		}, []string{"route"})
		// Fixed label sets exist from the start, at 0, for dashboards and alerts.
		for _, kind := range []string{"rate", "quota", "concurrency", "invalid"} {
			guardMetrics.refusals.WithLabelValues(kind)
		}
		for _, kind := range []string{"address", "key_address", "key_delay", "key_delay_full"} {
			guardMetrics.lockouts.WithLabelValues(kind)
		}
		for _, mode := range []string{"api", "proxy"} {
			guardMetrics.latency.WithLabelValues(mode)
		}
		initEngineMetrics()
	})
	if registry == nil {
		return
	}
	register(registry, guardMetrics.decisions, guardMetrics.latency, guardMetrics.images, guardMetrics.failed,
		guardMetrics.lockouts, guardMetrics.busy, guardMetrics.denials, guardMetrics.refusals,
		guardMetrics.inFlight, guardMetrics.apiTime)
	registerEngineMetrics(registry)
}

// register adds collectors to registry; one already there (a reload) is fine.
func register(registry *prometheus.Registry, cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := registry.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				panic(err)
			}
		}
	}
}

// knownRoute keeps metric label values bounded: client-chosen paths that are
// not facegate routes are counted under "other".
func knownRoute(route string) string {
	if _, ok := routeLabels[route]; ok {
		return route
	}
	return "other"
}

var routeLabels = map[string]struct{}{
	"faces/detect": {}, "faces/recognize": {}, "faces/group": {}, "faces/train": {}, "faces/status": {},
	"tags/add": {}, "tags/save": {}, "tags/get": {}, "tags/remove": {},
	"account/authenticate": {}, "account/limits": {}, "account/users": {}, "account/namespaces": {},
}

// observeDecision records one decision.
func observeDecision(mode, route string, allow bool, reason string, elapsed time.Duration) {
	if guardMetrics.decisions == nil {
		return
	}
	a := "false"
	if allow {
		a = "true"
	}
	if len(reason) > 48 {
		reason = reason[:48]
	}
	guardMetrics.decisions.WithLabelValues(knownRoute(route), a, reason).Inc()
	guardMetrics.latency.WithLabelValues(mode).Observe(elapsed.Seconds())
}

// observeDenial counts one refusal by its SkyBiometry error name; codes
// outside SkyBiometry's table are counted as "other".
func observeDenial(code int) {
	if guardMetrics.denials == nil {
		return
	}
	name := skyerr.Name(code)
	if name == "" {
		name = "other"
	}
	guardMetrics.denials.WithLabelValues(name).Inc()
}

// observeLimitRefusal counts one request refused by a limit of kind.
func observeLimitRefusal(kind string) {
	if guardMetrics.refusals == nil {
		return
	}
	switch kind {
	case "rate", "quota", "concurrency", "invalid":
	default:
		kind = "other"
	}
	guardMetrics.refusals.WithLabelValues(kind).Inc()
}

// addInFlight adds delta to the admitted requests being served (a plain
// call, so that its defer allocates nothing).
func addInFlight(delta float64) {
	if g := guardMetrics.inFlight; g != nil {
		g.Add(delta)
	}
}

// observeAPICall records how long facegate_api took on route.
func observeAPICall(route string, start time.Time) {
	if guardMetrics.apiTime != nil {
		guardMetrics.apiTime.WithLabelValues(knownRoute(route)).Observe(time.Since(start).Seconds())
	}
}

// observeFailedAuth counts one request refused for its credentials.
func observeFailedAuth() {
	if guardMetrics.failed != nil {
		guardMetrics.failed.Inc()
	}
}

// observeLockout counts one request held back by the failed-authentication
// limits; kind is one of the fixed values of auth_lockouts_total.
func observeLockout(kind string) {
	if guardMetrics.lockouts != nil {
		guardMetrics.lockouts.WithLabelValues(kind).Inc()
	}
}

// observeBusy counts one image refused for want of room in the pixel budget.
func observeBusy() {
	if guardMetrics.busy != nil {
		guardMetrics.busy.Inc()
	}
}
