package index

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/facegate/facegate/store"
)

func randVec(r *rand.Rand) [Dim]float32 {
	var v [Dim]float32
	for i := range v {
		v[i] = float32(r.NormFloat64() * 0.1)
	}
	return v
}

func exactDist(a, b [Dim]float32) float32 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return float32(math.Sqrt(s))
}

// fill adds n templates: uid u<i%uids>, tid t<i>.
func fill(x *Index, ns string, n, uids int, r *rand.Rand) map[string][Dim]float32 {
	vecs := map[string][Dim]float32{}
	for i := range n {
		v := randVec(r)
		tid := fmt.Sprintf("t%d", i)
		x.Add(ns, fmt.Sprintf("u%d", i%uids), tid, v)
		vecs[tid] = v
	}
	return vecs
}

// bruteForce computes per-uid best exact distances, nearest first.
func bruteForce(vecs map[string][Dim]float32, uids int, q [Dim]float32, skip func(uid string) bool) []Match {
	best := map[string]float32{}
	for tid, v := range vecs {
		var i int
		fmt.Sscanf(tid, "t%d", &i)
		uid := fmt.Sprintf("u%d", i%uids)
		if skip != nil && skip(uid) {
			continue
		}
		d := exactDist(q, v)
		if b, ok := best[uid]; !ok || d < b {
			best[uid] = d
		}
	}
	out := make([]Match, 0, len(best))
	for u, d := range best {
		out = append(out, Match{u, d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dist < out[j].Dist })
	return out
}

func TestSearchMatchesBruteForce(t *testing.T) {
	for _, n := range []int{10, 1000, 70000} { // 70000 takes the parallel path
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			x := New()
			uids := max(1, n/3)
			vecs := fill(x, "ns", n, uids, r)
			for range 5 {
				q := randVec(r)
				got := x.Search("ns", q, 5, nil)
				want := bruteForce(vecs, uids, q, nil)[:min(5, uids)]
				if len(got) != len(want) {
					t.Fatalf("got %d matches, want %d", len(got), len(want))
				}
				for i := range got {
					if math.Abs(float64(got[i].Dist-want[i].Dist)) > 0.02*float64(want[i].Dist) {
						t.Errorf("rank %d: dist %.4f, exact %.4f", i, got[i].Dist, want[i].Dist)
					}
				}
				if got[0].UID != want[0].UID && math.Abs(float64(got[0].Dist-want[0].Dist)) > 0.005 {
					t.Errorf("top uid %s, want %s", got[0].UID, want[0].UID)
				}
				seen := map[string]bool{}
				for _, m := range got {
					if seen[m.UID] {
						t.Errorf("uid %s returned twice", m.UID)
					}
					seen[m.UID] = true
				}
			}
		})
	}
}

func TestFindsItself(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	x := New()
	vecs := fill(x, "ns", 500, 100, r)
	got := x.Search("ns", vecs["t123"], 1, nil)
	if len(got) != 1 || got[0].UID != "u23" || got[0].Dist > 0.01 {
		t.Fatalf("self search = %+v, want u23 at ~0", got)
	}
}

func TestFilterAndRemoval(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	x := New()
	vecs := fill(x, "ns", 300, 30, r)
	fill(x, "other", 10, 2, r)
	q := vecs["t7"]

	t.Run("filter", func(t *testing.T) {
		got := x.Search("ns", q, 10, map[string]bool{"u1": true, "u2": true, "u7": false, "nope": true})
		if len(got) != 2 {
			t.Fatalf("filtered search returned %+v, want u1 and u2 only", got)
		}
		for _, m := range got {
			if m.UID != "u1" && m.UID != "u2" {
				t.Fatalf("filtered search returned %s", m.UID)
			}
		}
		if got := x.Search("ns", q, 10, map[string]bool{"nope": true}); len(got) != 0 {
			t.Fatalf("filter of unknown uids returned %+v", got)
		}
	})
	t.Run("remove tid", func(t *testing.T) {
		if !x.RemoveTID("ns", "t7") || x.RemoveTID("ns", "t7") {
			t.Fatal("RemoveTID did not report presence correctly")
		}
		if got := x.Search("ns", q, 1, nil); got[0].Dist < 0.01 {
			t.Fatalf("removed template still found: %+v", got)
		}
		if x.Len("ns") != 299 {
			t.Fatalf("Len = %d, want 299", x.Len("ns"))
		}
	})
	t.Run("remove uid", func(t *testing.T) {
		if n := x.RemoveUID("ns", "u7"); n != 9 {
			t.Fatalf("RemoveUID removed %d, want 9", n)
		}
		for _, m := range x.Search("ns", q, 100, nil) {
			if m.UID == "u7" {
				t.Fatal("removed uid still returned")
			}
		}
		for _, u := range x.UIDs("ns") {
			if u == "u7" {
				t.Fatal("removed uid still listed")
			}
		}
		// the rest is intact: every remaining template still finds its own uid
		for tid, v := range vecs {
			var i int
			fmt.Sscanf(tid, "t%d", &i)
			if i%30 == 7 {
				continue
			}
			if got := x.Search("ns", v, 1, nil); got[0].UID != fmt.Sprintf("u%d", i%30) {
				t.Fatalf("after removals %s finds %s", tid, got[0].UID)
			}
		}
	})
	t.Run("remove namespace", func(t *testing.T) {
		if n := x.RemoveNamespace("ns"); n != 290 {
			t.Fatalf("RemoveNamespace = %d, want 290", n)
		}
		if got := x.Search("ns", q, 5, nil); got != nil {
			t.Fatalf("search in removed namespace: %+v", got)
		}
		if x.Len("other") != 10 {
			t.Fatal("other namespace affected")
		}
	})
	t.Run("replace tid", func(t *testing.T) {
		x.Add("other", "uX", "t0", q)
		if x.Len("other") != 10 {
			t.Fatalf("re-adding a tid grew the space to %d", x.Len("other"))
		}
		if got := x.Search("other", q, 1, nil); got[0].UID != "uX" {
			t.Fatalf("replaced tid: %+v", got)
		}
	})
	t.Run("degenerate", func(t *testing.T) {
		if got := x.Search("other", q, 0, nil); got != nil {
			t.Fatal("k=0 returned matches")
		}
		var zero, nan [Dim]float32
		nan[0] = float32(math.NaN())
		x.Add("other", "uZ", "tz", zero)
		x.Add("other", "uN", "tn", nan)
		if got := x.Search("other", nan, 3, nil); len(got) != 3 {
			t.Fatalf("NaN query: %+v", got)
		}
	})
}

func TestVectorCodec(t *testing.T) {
	v := randVec(rand.New(rand.NewPCG(4, 4)))
	got, err := DecodeVector(EncodeVector(v))
	if err != nil || got != v {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecodeVector(bytes.Repeat([]byte{1}, 10)); err == nil {
		t.Fatal("short vector accepted")
	}
}

func TestLoad(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := rand.New(rand.NewPCG(5, 5))
	want := map[string][Dim]float32{}
	err = st.Update(func(tx *store.Tx) error {
		for i := range 50 {
			ns := []string{"a", "b"}[i%2]
			v := randVec(r)
			want[fmt.Sprintf("%s/t%d", ns, i)] = v
			if err := tx.PutRaw(Key(ns, fmt.Sprintf("u%d@%s", i%5, ns), fmt.Sprintf("t%d", i)), EncodeVector(v), 0); err != nil {
				return err
			}
		}
		return tx.PutJSON("vex/not-a-vector", 1, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	x := New()
	n, err := x.Load(st)
	if err != nil || n != 50 || x.Len("a") != 25 || x.Len("b") != 25 {
		t.Fatalf("Load = %d, %v; a=%d b=%d", n, err, x.Len("a"), x.Len("b"))
	}
	got := x.Search("b", want["b/t13"], 1, nil)
	if got[0].UID != "u3@b" || got[0].Dist > 0.01 {
		t.Fatalf("after load: %+v", got)
	}
	if err := st.Update(func(tx *store.Tx) error { return tx.PutRaw(KeyPrefix+"bad", []byte{1}, 0) }); err != nil {
		t.Fatal(err)
	}
	if _, err := New().Load(st); err == nil {
		t.Fatal("malformed key accepted")
	}
}

// A template that averages n descriptors keeps n through the store encoding, a Load and
// the index, until it is removed or replaced by a plain one.
func TestTemplateSizes(t *testing.T) {
	var v [Dim]float32
	for i := range v {
		v[i] = float32(i) / Dim
	}
	for _, n := range []int{1, 2, 7} {
		got, gn, err := DecodeTemplate(EncodeTemplate(v, n))
		if err != nil || got != v || gn != n {
			t.Fatalf("n=%d: decoded n=%d, %v (vector equal %v)", n, gn, err, got == v)
		}
	}
	bad := EncodeTemplate(v, 2)
	bad[Dim*4] = 1
	if _, _, err := DecodeTemplate(bad); err == nil {
		t.Error("a count of 1 after the vector was accepted")
	}
	if _, _, err := DecodeTemplate(bad[:Dim*4+2]); err == nil {
		t.Error("a 514-byte value was accepted")
	}

	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.PutRaw(Key("a", "ann@a", "mean_ann@a"), EncodeTemplate(v, 3), 0); err != nil {
			return err
		}
		return tx.PutRaw(Key("a", "bob@a", "t1"), EncodeVector(v), 0)
	}); err != nil {
		t.Fatal(err)
	}
	x := New()
	if n, err := x.Load(st); err != nil || n != 2 {
		t.Fatalf("Load = %d, %v", n, err)
	}
	uids := []string{"ann@a", "bob@a", "nobody@a"}
	if s := x.TemplateSizes("a", uids); len(s) != 1 || s["ann@a"] != 3 {
		t.Fatalf("sizes after Load: %v", s)
	}
	if !x.HasTID("a", "mean_ann@a") || x.HasTID("a", "mean_bob@a") {
		t.Error("HasTID")
	}
	x.AddTemplate("a", "bob@a", "mean_bob@a", v, 2)
	x.RemoveTID("a", "t1")
	if s := x.TemplateSizes("a", uids); len(s) != 2 || s["bob@a"] != 2 {
		t.Fatalf("sizes after bob's mean: %v", s)
	}
	x.Add("a", "ann@a", "mean_ann@a", v) // replaced by a plain template
	x.RemoveTID("a", "mean_bob@a")
	if s := x.TemplateSizes("a", uids); len(s) != 0 {
		t.Fatalf("sizes after the means went: %v", s)
	}
	x.AddTemplate("a", "cat@a", "mean_cat@a", v, 4)
	x.RemoveUID("a", "cat@a")
	x.Add("a", "dan@a", "t9", v) // may reuse cat's slot
	if s := x.TemplateSizes("a", []string{"cat@a", "dan@a"}); len(s) != 0 {
		t.Fatalf("sizes after RemoveUID: %v", s)
	}
}
