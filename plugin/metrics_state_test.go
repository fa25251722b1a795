package plugin

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/policies"
	"github.com/facegate/facegate/store"
)

// rebuildIndex loads every template of st into a new index before it
// returns, logging the count, rate and ETA every interval and a summary at
// the end (as the start does in the background: startIndexLoad).
func rebuildIndex(st *store.Store, logger *zap.Logger, every time.Duration) (*index.Index, error) {
	x := index.New()
	l := startIndexLoad(x, st, logger, every, 0)
	l.wait()
	if l.err != nil {
		return nil, l.err
	}
	return x, nil
}

// newProbeState is a started state on a store in dir (in memory when dir
// is ""), holding templates in two namespaces, registered in statePool
// for the collector; t.Cleanup releases it.
func newProbeState(t *testing.T, dir string, templates int) *state {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, InMemory: dir == "", EncryptionKey: bytes.Repeat([]byte{5}, store.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	wb := st.NewBatch()
	for i := range templates {
		var v [index.Dim]float32
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		ns := []string{"a", "b"}[i%2]
		if err := wb.Set(index.Key(ns, fmt.Sprintf("u%d@%s", i%5, ns), fmt.Sprintf("t%06d", i)), index.EncodeVector(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	s := &state{logger: zap.NewNop(), store: st}
	if s.keys, err = keyring.New(st, bytes.Repeat([]byte{6}, 32), time.Now); err != nil {
		t.Fatal(err)
	}
	if s.decider, err = policies.NewDecider(policies.Options{}); err != nil {
		t.Fatal(err)
	}
	if s.validator, err = policies.NewValidator(""); err != nil {
		t.Fatal(err)
	}
	if s.index, err = rebuildIndex(st, zap.NewNop(), time.Hour); err != nil {
		t.Fatal(err)
	}
	s.service, err = service.New(st, s.index, &s.analyzer, &s.fetcher, service.Options{NamespaceOwner: s.keys.NamespaceOwner})
	if err != nil {
		t.Fatal(err)
	}
	key := "probe:" + t.Name()
	if _, loaded := statePool.LoadOrStore(key, s); loaded {
		t.Fatalf("state %s already registered", key)
	}
	s.instrument()
	t.Cleanup(func() {
		if _, err := statePool.Delete(key); err != nil {
			t.Error(err)
		}
	})
	return s
}

// gather returns the registry's facegate_* families by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "facegate_") {
			out[mf.GetName()] = mf
		}
	}
	return out
}

// value is the value of the family's only series (or the one with the
// label pair, given as name=value).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, label ...string) float64 {
	t.Helper()
	mf := fams[name]
	if mf == nil {
		t.Fatalf("%s not exported", name)
	}
	for _, m := range mf.GetMetric() {
		if len(label) > 0 {
			k, v, _ := strings.Cut(label[0], "=")
			found := false
			for _, lp := range m.GetLabel() {
				found = found || lp.GetName() == k && lp.GetValue() == v
			}
			if !found {
				continue
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("%s%v: no such series", name, label)
	return 0
}

func TestStateCollectorReportsOpenState(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	initMetrics(reg)
	s := newProbeState(t, "", 7)
	fams := gather(t, reg)
	if v := value(t, fams, "facegate_index_templates"); v != 7 {
		t.Errorf("index_templates = %v, want 7", v)
	}
	if v := value(t, fams, "facegate_index_namespaces"); v != 2 {
		t.Errorf("index_namespaces = %v, want 2", v)
	}
	if v := value(t, fams, "facegate_index_rebuild_templates"); v != 7 {
		t.Errorf("index_rebuild_templates = %v, want 7", v)
	}
	if v := value(t, fams, "facegate_index_rebuild_seconds"); v <= 0 {
		t.Errorf("index_rebuild_seconds = %v", v)
	}
	if v := value(t, fams, "facegate_policy_loaded_timestamp_seconds"); v < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("policy_loaded_timestamp_seconds = %v", v)
	}
	before := value(t, fams, "facegate_policy_reloads_total")
	if err := s.reloadPolicies(); err != nil {
		t.Fatal(err)
	}
	writes := value(t, fams, "facegate_store_write_seconds")
	if err := s.store.PutJSON("probe", 1, 0); err != nil {
		t.Fatal(err)
	}
	searches := value(t, fams, "facegate_engine_stage_seconds", "stage=search")
	s.index.Search("a", [index.Dim]float32{1}, 1, nil)
	fams = gather(t, reg)
	if v := value(t, fams, "facegate_policy_reloads_total"); v != before+1 {
		t.Errorf("policy_reloads_total = %v after a reload, want %v", v, before+1)
	}
	if v := value(t, fams, "facegate_policy_reload_failing"); v != 0 {
		t.Errorf("policy_reload_failing = %v after a good reload", v)
	}
	if v := value(t, fams, "facegate_store_write_seconds"); v != writes+1 {
		t.Errorf("store_write_seconds counted %v writes, want %v", v, writes+1)
	}
	if v := value(t, fams, "facegate_engine_stage_seconds", "stage=search"); v != searches+1 {
		t.Errorf("search stage counted %v, want %v", v, searches+1)
	}
}

// TestMetricsDocumented checks docs/metrics.md against the collectors: every
// facegate_* family exported (after one event of each kind) is documented
// with its type, and every documented one is exported. The end-to-end test
// does the same against the real binary.
func TestMetricsDocumented(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	initMetrics(reg)
	newProbeState(t, "", 2)
	observeDecision("api", "faces/detect", false, "scope", time.Millisecond)
	observeDenial(skyerr.Quota)
	observeFailedAuth()
	observeLockout("address")
	observeBusy()
	guardMetrics.images.WithLabelValues("faces/detect").Add(0)
	observeAPICall("faces/detect", time.Now())
	addInFlight(1)
	addInFlight(-1)
	fams := gather(t, reg)
	doc := readMetricsDoc(t)
	for name, mf := range fams {
		typ, ok := doc[name]
		if !ok {
			t.Errorf("%s is exported but not documented in docs/metrics.md", name)
			continue
		}
		if want := strings.ToLower(mf.GetType().String()); typ != want {
			t.Errorf("%s: docs/metrics.md says %s, the collector is a %s", name, typ, want)
		}
	}
	for name := range doc {
		if fams[name] == nil {
			t.Errorf("docs/metrics.md documents %s, which is not exported", name)
		}
	}
	if len(doc) < 20 {
		t.Errorf("only %d metrics read from docs/metrics.md: the table format changed?", len(doc))
	}
}

var docRow = regexp.MustCompile("^\\| `(facegate_[a-z_]+)` \\| ([a-z]+) \\|")

// readMetricsDoc returns docs/metrics.md's metrics with their types.
func readMetricsDoc(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := docRow.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

func TestFetchOutcomesAreBounded(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{skyerr.New(skyerr.MalformedURL, "x"), "malformed_url"},
		{skyerr.New(skyerr.ConnRefused, "destination address not allowed"), "refused"},
		{skyerr.New(skyerr.UnknownHost, "x"), "unknown_host"},
		{skyerr.New(skyerr.DownloadTimeout, "x"), "timeout"},
		{skyerr.New(skyerr.DownloadNotFound, "x"), "not_found"},
		{skyerr.New(skyerr.DownloadTooLarge, "x"), "too_large"},
		{skyerr.New(skyerr.Download, "x"), "error"},
		{fmt.Errorf("wrapped: %w", skyerr.New(skyerr.UnknownHost, "x")), "unknown_host"},
		{fmt.Errorf("anything else"), "error"},
	}
	for _, c := range cases {
		got := fetchOutcome(c.err)
		if got != c.want {
			t.Errorf("fetchOutcome(%v) = %q, want %q", c.err, got, c.want)
		}
		found := false
		for _, o := range fetchOutcomes {
			found = found || o == got
		}
		if !found {
			t.Errorf("outcome %q is not one of fetchOutcomes", got)
		}
	}
}

func TestRebuildIndexLogsProgress(t *testing.T) {
	const n = 3*4096 + 10
	st, err := store.Open(store.Options{Dir: t.TempDir(), EncryptionKey: bytes.Repeat([]byte{7}, store.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wb := st.NewBatch()
	var v [index.Dim]float32
	for i := range n {
		v[i%index.Dim] = float32(i)
		if err := wb.Set(index.Key("ns", fmt.Sprintf("u%d", i%9), fmt.Sprintf("t%06d", i)), index.EncodeVector(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	x, err := rebuildIndex(st, zap.New(core), time.Nanosecond)
	if err != nil || x.LastLoad().Done != n || x.Len("ns") != n {
		t.Fatalf("rebuildIndex: %v, %+v", err, x.LastLoad())
	}
	progress := logs.FilterMessage("rebuilding the template index").All()
	if len(progress) < 3 {
		t.Fatalf("%d progress lines for %d templates read with a 1 ns interval", len(progress), n)
	}
	last := int64(0)
	for _, e := range progress {
		f := e.ContextMap()
		count, _ := f["templates"].(int64)
		if count <= last {
			t.Errorf("progress went from %d to %d templates", last, count)
		}
		last = count
		for _, k := range []string{"estimated_total", "per_second", "eta"} {
			if _, ok := f[k]; !ok {
				t.Errorf("progress line without %s: %v", k, f)
			}
		}
	}
	done := logs.FilterMessage("template index rebuilt").All()
	if len(done) != 1 || done[0].ContextMap()["templates"] != int64(n) {
		t.Errorf("summary lines %v", done)
	}
}
