package index

import (
	"math"
	"testing"
)

func distance(a, b [Dim]float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func length(v [Dim]float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestMean(t *testing.T) {
	var a, b, c [Dim]float32
	for i := range a {
		a[i] = float32(i%7) / 10
		b[i] = float32(i%5) / 8
		c[i] = -a[i]
	}
	t.Run("one descriptor is its own mean", func(t *testing.T) {
		if m := Mean([][Dim]float32{a}); distance(m, a) > 1e-5 {
			t.Fatalf("mean of one: distance %v", distance(m, a))
		}
	})
	t.Run("direction of the sum, mean length", func(t *testing.T) {
		m := Mean([][Dim]float32{a, b})
		if want := (length(a) + length(b)) / 2; math.Abs(length(m)-want) > 1e-4 {
			t.Fatalf("length %v, want %v", length(m), want)
		}
		var sum [Dim]float32
		for i := range sum {
			sum[i] = a[i] + b[i]
		}
		k := float32(length(m) / length(sum))
		for i := range sum {
			if math.Abs(float64(sum[i]*k-m[i])) > 1e-5 {
				t.Fatalf("component %d: %v, want %v", i, m[i], sum[i]*k)
			}
		}
		// the mean lies between the two: closer to each than they are to each other
		if d := distance(a, b); distance(m, a) >= d || distance(m, b) >= d {
			t.Fatalf("mean not between: %v %v vs %v", distance(m, a), distance(m, b), d)
		}
	})
	t.Run("degenerate", func(t *testing.T) {
		for name, vs := range map[string][][Dim]float32{"none": nil, "opposite": {a, c}} {
			if m := Mean(vs); m != ([Dim]float32{}) {
				t.Fatalf("%s: %v, want zero", name, m[:4])
			}
		}
	})
}
