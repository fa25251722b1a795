package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/service"
)

func init() { commands["open-set-calibrate"] = runOpenSetCalibrate }

// runOpenSetCalibrate measures the impostor distance distribution of the engine's
// descriptors: the distance between the centre faces of every two LFW images of different
// people of the chosen pairs.txt folds. It prints the false-match rate FMR(d) (the share of
// impostor pairs at distance ≤ d) at a grid of rates and a least-squares fit of
// log10 FMR(d) = a + b·d + c·d² over the tail (FMR ≤ 0.1), the form faceapi.FalseMatchRate
// uses. The folds used here must not be the folds any open-set figure is reported on.
func runOpenSetCalibrate(args []string) error {
	study, err := newOpenSetStudy("open-set-calibrate", args)
	if err != nil {
		return err
	}
	folds := study.folds
	lfw := filepath.Join(study.data, "recognition", "lfw")
	foldOf, err := personFolds(filepath.Join(lfw, "pairs.txt"))
	if err != nil {
		return err
	}
	ca, opt := study.ca, study.opt
	type desc struct {
		person string
		v      [128]float32
	}
	var ds []desc
	files, _ := filepath.Glob(filepath.Join(lfw, "images", "*", "*.jpg"))
	sort.Strings(files)
	var use []string
	for _, f := range files {
		if folds[foldOf[identity(f)]] {
			use = append(use, f)
		}
	}
	ca.warm(context.Background(), use, func(string) service.AnalyzeOptions { return opt }, 2)
	for _, f := range use {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		a, err := ca.Analyze(context.Background(), b, opt)
		if err != nil {
			continue
		}
		if j := centreFace(a.Faces); j >= 0 {
			var v [128]float32
			copy(v[:], a.Faces[j].Descriptor)
			ds = append(ds, desc{person: identity(f), v: v})
		}
	}
	var imp []float32
	for i := range ds {
		for j := i + 1; j < len(ds); j++ {
			if ds[i].person != ds[j].person {
				imp = append(imp, faceapi.Distance(ds[i].v, ds[j].v))
			}
		}
	}
	sort.Slice(imp, func(i, j int) bool { return imp[i] < imp[j] })
	fmt.Printf("folds %s, quality gate %s: %d images with a centre face, %d impostor pairs\n\n", study.foldsText, &study.gate, len(ds), len(imp))
	fmt.Println("| FMR | distance | current fit |")
	fmt.Println("|---:|---:|---:|")
	var xs, ys []float64
	for _, q := range []float64{0.1, 0.03, 0.01, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6} {
		k := int(q * float64(len(imp)))
		if k < 1 {
			break
		}
		d := imp[k-1]
		fmt.Printf("| %.0e | %.4f | %.1e |\n", q, d, faceapi.FalseMatchRate(d))
	}
	// fit on the tail, every impostor pair from the 10th smallest to FMR 0.1 (thinned)
	hi := int(0.1 * float64(len(imp)))
	for k := 10; k < hi; k += max(1, (hi-10)/2000) {
		xs = append(xs, float64(imp[k-1]))
		ys = append(ys, math.Log10(float64(k)/float64(len(imp))))
	}
	a, b, c := quadFit(xs, ys)
	fmt.Printf("\nfit on %d tail points, d from %.4f to %.4f: log10 FMR(d) = %.4f + %.4f·d + %.4f·d²\n", len(xs), xs[0], xs[len(xs)-1], a, b, c)
	return nil
}

// quadFit is the least-squares fit y = a + b·x + c·x² (normal equations, Cramer's rule).
func quadFit(xs, ys []float64) (a, b, c float64) {
	var s [5]float64
	var t [3]float64
	for i, x := range xs {
		p := 1.0
		for k := 0; k < 5; k++ {
			s[k] += p
			if k < 3 {
				t[k] += p * ys[i]
			}
			p *= x
		}
	}
	m := [3][3]float64{{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}}
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	col := func(k int) [3][3]float64 {
		r := m
		for i := range 3 {
			r[i][k] = t[i]
		}
		return r
	}
	return det(col(0)) / d, det(col(1)) / d, det(col(2)) / d
}

// parseFolds reads a comma list of 1-based fold numbers into a set of 0-based folds.
func parseFolds(s string) (map[int]bool, error) {
	out := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad fold %q", f)
		}
		out[n-1] = true
	}
	return out, nil
}

// personFolds maps every person of pairs.txt to its 0-based fold (the folds are
// identity-disjoint).
func personFolds(path string) (map[string]int, error) {
	pairs, err := readLFWPairs(path, 0)
	if err != nil {
		return nil, fmt.Errorf("read pairs: %w", err)
	}
	out := map[string]int{}
	for _, p := range pairs {
		out[identity(p.a)] = p.fold
		out[identity(p.b)] = p.fold
	}
	return out, nil
}
