package plugin

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/skyerr"
)

// What the metrics add to one request, next to what the guard already
// recorded per request before them (observeDecision). Run:
//
//	go test ./plugin/ -run '^$' -bench Metrics -benchmem
//
// The guard benchmark (-bench Guard) runs the whole request with them.

// BenchmarkMetricsDecision is the per-request cost that predates the added
// metrics: one decision counter and one latency histogram.
func BenchmarkMetricsDecision(b *testing.B) {
	initMetrics(prometheus.NewRegistry())
	for b.Loop() {
		observeDecision("api", "faces/detect", true, "ok", 100*time.Microsecond)
	}
}

// BenchmarkMetricsInFlight is what an admitted request adds: the in-flight
// gauge up and down.
func BenchmarkMetricsInFlight(b *testing.B) {
	initMetrics(prometheus.NewRegistry())
	for b.Loop() {
		addInFlight(1)
		addInFlight(-1)
	}
}

// BenchmarkMetricsDenial is what a refused request adds: the denial counter.
func BenchmarkMetricsDenial(b *testing.B) {
	initMetrics(prometheus.NewRegistry())
	for b.Loop() {
		observeDenial(skyerr.Quota)
	}
}

// BenchmarkMetricsAPICall is what facegate_api adds per call: its timer.
func BenchmarkMetricsAPICall(b *testing.B) {
	initMetrics(prometheus.NewRegistry())
	for b.Loop() {
		observeAPICall("faces/detect", time.Now())
	}
}

// BenchmarkMetricsStage is one engine stage observation (a detect takes
// milliseconds; a face's stages are each a millisecond or more).
func BenchmarkMetricsStage(b *testing.B) {
	initMetrics(prometheus.NewRegistry())
	for b.Loop() {
		observeStage(pipeline.StageDescriptor, 3*time.Millisecond)
	}
}
