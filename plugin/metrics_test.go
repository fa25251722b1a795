package plugin

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsLabelsStayBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	initMetrics(reg)
	initMetrics(reg) // a reload registers again: must not panic
	before := testutil.CollectAndCount(guardMetrics.decisions)
	for i := 0; i < 50; i++ {
		observeDecision("api", "/random/"+strings.Repeat("x", i), false, "unknown_route", time.Millisecond)
	}
	observeDecision("api", "faces/detect", true, "ok", time.Millisecond)
	if got := testutil.CollectAndCount(guardMetrics.decisions) - before; got > 2 {
		t.Errorf("%d new series for 51 decisions: client paths leak into labels", got)
	}
	if v := testutil.ToFloat64(guardMetrics.decisions.WithLabelValues("other", "false", "unknown_route")); v < 50 {
		t.Errorf("other/unknown_route counted %v, want ≥ 50", v)
	}
}
