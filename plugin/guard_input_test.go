package plugin

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// limitOverride must decode exactly what a JSON round trip into
// policies.LimitOverride decodes (the guard used to do that round trip on
// every request).
func TestLimitOverridesMatchJSON(t *testing.T) {
	cases := []any{
		nil, 5.0, "rate", true, []any{1.0},
		map[string]any{},
		map[string]any{"kind": "rate", "rate": 10.0, "per_s": 1.0, "burst": 20.0},
		map[string]any{"kind": "quota", "count": 1e9, "per_s": 3600.0},
		map[string]any{"disabled": true},
		map[string]any{"disabled": "yes"},
		map[string]any{"kind": 3.0},
		map[string]any{"burst": 1.5},
		map[string]any{"count": 1e21},
		map[string]any{"count": 1e20},
		map[string]any{"count": -1e20},
		map[string]any{"count": math.MaxInt64},
		map[string]any{"count": float64(math.MaxInt64)},
		map[string]any{"count": float64(math.MinInt64)},
		map[string]any{"count": -3.0, "rate": -1.0},
		map[string]any{"count": "5"},
		map[string]any{"rate": json.Number("2.5"), "burst": json.Number("7")},
		map[string]any{"burst": json.Number("7.5")},
		map[string]any{"kind": nil, "rate": nil, "burst": nil, "disabled": nil},
		map[string]any{"other": "ignored", "kind": "concurrency", "count": 4.0},
		map[string]any{"Kind": "rate"},
		map[string]any{"kind": "rate", "KIND": "quota", "Per_S": 2.0},
		map[string]any{"rate": 3, "count": 4, "burst": int64(5)},
		map[string]any{"rate": map[string]any{}},
	}
	check := func(v any) {
		t.Helper()
		got, gotOK := limitOverride(v)
		want, wantOK := limitOverrideJSON(v)
		if got != want || gotOK != wantOK {
			b, _ := json.Marshal(v)
			t.Errorf("%s: got %+v %v, JSON round trip gives %+v %v", b, got, gotOK, want, wantOK)
		}
	}
	for _, v := range cases {
		check(v)
	}
	// Random overrides mixing the field names with values of every type.
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"kind", "rate", "per_s", "burst", "count", "disabled", "other", "Rate"}
	values := []func() any{
		func() any { return nil },
		func() any { return rng.Float64() * 100 },
		func() any { return float64(rng.IntN(1000) - 500) },
		func() any { return []string{"rate", "quota", ""}[rng.IntN(3)] },
		func() any { return rng.IntN(2) == 0 },
		func() any { return math.Pow(10, float64(rng.IntN(25))) },
	}
	for range 5000 {
		m := map[string]any{}
		for range rng.IntN(5) {
			m[names[rng.IntN(len(names))]] = values[rng.IntN(len(values))]()
		}
		check(m)
	}
	all := limitOverrides(map[string]any{"a": map[string]any{"kind": "rate"}, "b": "bad", "c": nil})
	if len(all) != 2 || all["a"].Kind != "rate" {
		t.Errorf("limitOverrides kept %+v, want a and c", all)
	}
}

func TestResetText(t *testing.T) {
	for _, unix := range []int64{1_800_000_000, 1_800_000_000, 1_800_003_600, 0, 1_800_000_000} {
		want := time.Unix(unix, 0).UTC().Format("Mon, 2 January 2006 15:04:05 -0700")
		if got := resetText(unix); got != want {
			t.Errorf("resetText(%d) = %q, want %q", unix, got, want)
		}
	}
}
