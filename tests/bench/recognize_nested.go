package main

import (
	"fmt"
	"math"

	"github.com/facegate/facegate/engine/faceapi"
)

// foldSplit returns the pairs of s in fold k and those in the other folds.
func foldSplit(s []scored, k int) (in, out []scored) {
	for _, x := range s {
		if x.fold == k {
			in = append(in, x)
		} else {
			out = append(out, x)
		}
	}
	return in, out
}

func numFolds(s []scored) int {
	n := 0
	for _, x := range s {
		n = max(n, x.fold+1)
	}
	return n
}

// meanSE returns the mean of xs and its standard error.
func meanSE(xs []float64) (mean, se float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	if len(xs) > 1 {
		se = math.Sqrt(v/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
	}
	return mean, se
}

// reportNested chooses a variant without looking at the reported fold: for each fold k,
// every variant is scored by the LFW protocol run on the other folds alone (threshold
// chosen on three, accuracy on the fourth), the best one (the first listed on a tie) is
// tested on fold k at the threshold of the other folds, and the held-out accuracies are
// reported. It also compares each variant with the first one pair by pair at their
// held-out thresholds (exact two-sided sign test on the pairs only one gets right).
func reportNested(variants []recogVariant, s [][]scored) {
	if len(variants) < 2 {
		return
	}
	folds := numFolds(s[0])
	var held []float64
	chosen, diffs := "", ""
	for k := 0; k < folds; k++ {
		best, bestAcc := 0, -1.0
		for v := range variants {
			_, rest := foldSplit(s[v], k)
			if acc, _, _ := lfwProtocol(renumber(rest, k)); acc > bestAcc+1e-12 {
				best, bestAcc = v, acc
			}
		}
		test, train := foldSplit(s[best], k)
		held = append(held, accuracy(test, bestThreshold(train)))
		chosen += fmt.Sprintf(" %d:%s", k+1, variants[best].name)
		t0, r0 := foldSplit(s[0], k)
		diffs += fmt.Sprintf(" %+.2f", 100*(held[k]-accuracy(t0, bestThreshold(r0))))
	}
	mean, se := meanSE(held)
	fmt.Printf("Nested choice (variant chosen on the other 4 folds by their own LFW protocol, tested on the fold): %.2f %% ± %.2f; chosen per fold:%s; held-out difference per fold vs %s (points):%s\n\n", 100*mean, 100*se, chosen, variants[0].name, diffs)
	fmt.Printf("| variant vs %s | held-out accuracy difference per fold (points) | pairs only the variant gets right / only %s | sign test p |\n", variants[0].name, variants[0].name)
	fmt.Println("|---|---|---|---|")
	for v := 1; v < len(variants); v++ {
		diffs, onlyV, only0 := "", 0, 0
		for k := 0; k < folds; k++ {
			t0, r0 := foldSplit(s[0], k)
			tv, rv := foldSplit(s[v], k)
			th0, thv := bestThreshold(r0), bestThreshold(rv)
			diffs += fmt.Sprintf(" %+.2f", 100*(accuracy(tv, thv)-accuracy(t0, th0)))
			for i := range t0 {
				ok0, okv := (t0[i].d < th0) == t0[i].same, (tv[i].d < thv) == tv[i].same
				if okv && !ok0 {
					onlyV++
				} else if ok0 && !okv {
					only0++
				}
			}
		}
		fmt.Printf("| %s |%s | %d / %d | %.3f |\n", variants[v].name, diffs, onlyV, only0, signTest(onlyV, only0))
	}
	fmt.Println()
}

// renumber maps the folds of s (fold skip removed) onto 0…n−2.
func renumber(s []scored, skip int) []scored {
	out := make([]scored, len(s))
	for i, x := range s {
		out[i] = x
		if x.fold > skip {
			out[i].fold--
		}
	}
	return out
}

// signTest is the exact two-sided binomial test of a against b successes at p = 1/2.
func signTest(a, b int) float64 {
	n := a + b
	if n == 0 {
		return 1
	}
	k := min(a, b)
	var p float64
	for i := 0; i <= k; i++ {
		p += math.Exp(lgamma(n+1) - lgamma(i+1) - lgamma(n-i+1) - float64(n)*math.Ln2)
	}
	return math.Min(1, 2*p)
}

func lgamma(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}

// reportMixed measures templates and probes from different variants: the first image of
// each pair described by the first variant (a template enrolled before a change) and the
// second by variant v (a probe after it), against both described by v, by the LFW protocol
// and at faceapi.DefaultThreshold.
func reportMixed(pairs []lfwPair, faces map[string]recogFace, variants []recogVariant) {
	if len(variants) < 2 {
		return
	}
	fmt.Printf("| templates by %s, probes by | LFW protocol, both by the variant | mixed | at d < %.2f: both / mixed |\n", variants[0].name, faceapi.DefaultThreshold)
	fmt.Println("|---|---|---|---|")
	for v := 1; v < len(variants); v++ {
		same, _ := scorePairs(pairs, faces, v)
		mixed := make([]scored, len(pairs))
		for i, p := range pairs {
			a, b := faces[p.a], faces[p.b]
			d := math.Inf(1)
			if a.err == nil && b.err == nil {
				d = float64(faceapi.Distance(a.desc[0], b.desc[v]))
			}
			mixed[i] = scored{d: d, same: p.same, fold: p.fold}
		}
		ms, ses, _ := lfwProtocol(same)
		mm, sem, _ := lfwProtocol(mixed)
		t := float64(faceapi.DefaultThreshold)
		fmt.Printf("| %s | %.2f %% ± %.2f | %.2f %% ± %.2f | %.2f %% / %.2f %% |\n", variants[v].name, 100*ms, 100*ses, 100*mm, 100*sem, 100*accuracy(same, t), 100*accuracy(mixed, t))
	}
	fmt.Println()
}
