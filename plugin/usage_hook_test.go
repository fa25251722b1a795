package plugin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/plugin/internal/usage"
)

// withVars gives r the variables map Caddy's server sets on every request.
func withVars(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
}

// TestGuardRecordsUsage runs calls through Guard.ServeHTTP and reads them
// back from the recorder: per existing key, with denials by reason; calls
// naming keys that do not exist are counted together under usage.NoKey.
func TestGuardRecordsUsage(t *testing.T) {
	bg := newBenchGuard(t)
	defer bg.teardown()
	bg.st.usage = usage.New(usage.Options{})
	next := handlerFunc(bg.okNext)
	serve := func(key [2]string) int {
		t.Helper()
		w := httptest.NewRecorder()
		if err := bg.g.ServeHTTP(w, withVars(bg.request(t, key, false)), next); err != nil {
			t.Fatal(err)
		}
		return w.Code
	}
	for range 3 {
		if code := serve(bg.plain); code != http.StatusOK {
			t.Fatalf("allowed call = %d", code)
		}
	}
	serve([2]string{bg.plain[0], "wrong-secret"})
	serve([2]string{"fg_live_doesnotexist000000000000", "x"})
	serve([2]string{"fg_live_doesnotexist000000000001", "x"})

	rep, err := bg.st.usage.Query(usage.Query{Key: bg.plain[0]})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Totals
	if tot.Requests != 4 || tot.Denials != 1 || tot.Reasons["API_KEY_NOT_AUTHENTICATED"] != 1 {
		t.Errorf("key totals %+v: want 4 requests and the wrong secret's denial by its error name", tot)
	}
	if tot.LatencyMaxMS <= 0 {
		t.Errorf("no latency recorded: %+v", tot)
	}
	perRoute, _ := bg.st.usage.Query(usage.Query{Key: bg.plain[0], Route: "tags/get"})
	if perRoute.Totals.Requests != 4 {
		t.Errorf("tags/get requests %d", perRoute.Totals.Requests)
	}
	none, _ := bg.st.usage.Query(usage.Query{Key: usage.NoKey})
	if none.Totals.Requests != 2 || none.Totals.Denials != 2 {
		t.Errorf("calls without an existing key %+v", none.Totals)
	}
	if series, _ := bg.st.usage.Stats(); series != 2 {
		t.Errorf("%d series: unknown key ids must not get their own", series)
	}
}

// benchmarkGuardUsage is BenchmarkGuardSecret with Caddy's variables on
// the request, as in a running server, and the usage recorder on or off.
func benchmarkGuardUsage(b *testing.B, record bool) {
	bg := newBenchGuard(b)
	defer bg.teardown()
	if record {
		bg.st.usage = usage.New(usage.Options{})
	}
	const batch = 256
	reqs := make([]*http.Request, batch)
	next := handlerFunc(bg.okNext)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%batch == 0 {
			b.StopTimer()
			for j := range reqs {
				reqs[j] = withVars(bg.request(b, bg.plain, false))
			}
			b.StartTimer()
		}
		w := httptest.NewRecorder()
		if err := bg.g.ServeHTTP(w, reqs[i%batch], next); err != nil {
			b.Fatal(err)
		}
		if w.Code != http.StatusOK {
			b.Fatalf("HTTP %d", w.Code)
		}
	}
}

func BenchmarkGuardUsageOff(b *testing.B) { benchmarkGuardUsage(b, false) }
func BenchmarkGuardUsageOn(b *testing.B)  { benchmarkGuardUsage(b, true) }
