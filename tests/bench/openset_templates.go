package main

import (
	"fmt"
	"math"
	"sort"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/index"
)

func init() { commands["open-set-templates"] = runOpenSetTemplates }

// runOpenSetTemplates compares ways to use several templates per uid: among the LFW people
// of the chosen folds, those with at least three images are enrolled with their first
// image, or with their first two images scored by the smaller (max similarity) or the mean
// distance; their remaining images are the mated searches, every image of the people with
// fewer images the non-mated ones. Same descriptors as the service (the analysis cache);
// prints rank-1 and FNIR at FPIR 0.1 and 0.01 for each way.
func runOpenSetTemplates(args []string) error {
	study, err := newOpenSetStudy("open-set-templates", args)
	if err != nil {
		return err
	}
	folds := study.folds
	d, err := loadOpenSet(study.data, folds)
	if err != nil {
		return err
	}
	desc := func(f string) ([]float32, bool) {
		face, ok := study.centre(f)
		return face.Descriptor, ok
	}
	type person struct {
		name   string
		tpl    [][]float32
		probes [][]float32
	}
	var enrolled []person
	var strangers [][]float32
	for _, p := range append(append(append([]lfwPerson{}, d.multi...), d.single...), d.strangers...) {
		var vs [][]float32
		for _, f := range p.images {
			if v, ok := desc(f); ok {
				vs = append(vs, v)
			} else if len(p.images) >= 3 {
				vs = append(vs, nil) // keeps image positions: a probe with no face is a miss
			}
		}
		if len(p.images) >= 3 && vs[0] != nil && vs[1] != nil {
			enrolled = append(enrolled, person{name: p.name, tpl: vs[:2], probes: vs[2:]})
		} else if len(p.images) < 3 {
			strangers = append(strangers, vs...)
		}
	}
	dist := func(a, b []float32) float32 {
		var x, y [128]float32
		copy(x[:], a)
		copy(y[:], b)
		return faceapi.Distance(x, y)
	}
	ways := []struct {
		name  string
		score func(q []float32, tpl [][]float32) float32
	}{
		{"one template (first image)", func(q []float32, t [][]float32) float32 { return dist(q, t[0]) }},
		{"two templates, smallest distance (max similarity)", func(q []float32, t [][]float32) float32 { return min(dist(q, t[0]), dist(q, t[1])) }},
		{"two templates, mean distance", func(q []float32, t [][]float32) float32 { return (dist(q, t[0]) + dist(q, t[1])) / 2 }},
		{"two templates, distance to the mean descriptor", func(q []float32, t [][]float32) float32 {
			m := make([]float32, 128)
			for i := range m {
				m[i] = (t[0][i] + t[1][i]) / 2
			}
			return dist(q, m)
		}},
		{"two templates, distance to the mean descriptor at the templates' mean length (index.Mean)", func(q []float32, t [][]float32) float32 {
			return dist(q, meanOf(t))
		}},
		{"two templates, smallest distance to the mean (mean length) or either template", func(q []float32, t [][]float32) float32 {
			return min(dist(q, meanOf(t)), dist(q, t[0]), dist(q, t[1]))
		}},
	}
	// A mean of k descriptors is nearer to everybody: with descriptor = person + photo noise
	// of variance σ², a squared distance to the mean is σ²(1 − 1/k) smaller than to one
	// descriptor, for strangers as for the person. Adding it back restores the scale the
	// calibration was fitted on (only the returned threshold's column changes).
	type way = struct {
		name  string
		score func(q []float32, tpl [][]float32) float32
	}
	ways = append(ways, way{"mean, faceapi.MeanTemplateDistance (what faces/train and recognize do up to 150 uids)", func(q []float32, t [][]float32) float32 {
		return faceapi.MeanTemplateDistance(dist(q, meanOf(t)), len(t))
	}})
	// the product from 150 uids on: the same distances moved by the search's cohort
	cohortWay := len(ways)
	ways = append(ways, way{"mean, MeanTemplateDistance moved by faceapi.CohortOffset (what recognize does)", ways[cohortWay-1].score})
	for _, c := range []float32{0.01, 0.015, 0.025, 0.03} {
		ways = append(ways, way{fmt.Sprintf("mean, distance √(d² + %.3f)", c), func(q []float32, t [][]float32) float32 {
			d := dist(q, meanOf(t))
			return float32(math.Sqrt(float64(d*d + c)))
		}}, way{fmt.Sprintf("mean or either template, the mean's distance √(d² + %.3f)", c), func(q []float32, t [][]float32) float32 {
			d := dist(q, meanOf(t))
			return min(float32(math.Sqrt(float64(d*d+c))), dist(q, t[0]), dist(q, t[1]))
		}})
	}
	fmt.Printf("folds %s, quality gate %s: %d people enrolled (≥ 3 images), %d non-mated searches\n\n", study.foldsText, &study.gate, len(enrolled), len(strangers))
	fmt.Println("| templates per uid | mated searches | rank-1 | FNIR @ FPIR 0.1 | FNIR @ FPIR 0.01 | returned threshold (50): FPIR / FNIR |")
	fmt.Println("|---|---:|---:|---:|---:|---|")
	for i, w := range ways {
		res := &openSetResult{name: w.name}
		search := func(q []float32, self string) probeResult {
			pr := probeResult{selfDist: -1, bestDist: float32(math.Inf(1))}
			if q == nil {
				return pr
			}
			pr.found = true
			best := ""
			all := make([]float32, 0, len(enrolled))
			for _, e := range enrolled {
				s := w.score(q, e.tpl)
				if s < pr.bestDist {
					pr.bestDist, best = s, e.name
				}
				if e.name == self {
					pr.selfDist = s
				}
				all = append(all, s)
			}
			if i == cohortWay && len(all) > 1 {
				sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
				pr.bestDist = faceapi.CohortDistance(pr.bestDist, all[1:], len(all))
				if pr.selfDist >= 0 {
					pr.selfDist = faceapi.CohortDistance(pr.selfDist, all[1:], len(all))
				}
			}
			pr.self = self != "" && best == self
			return pr
		}
		for _, e := range enrolled {
			for _, q := range e.probes {
				res.mated = append(res.mated, search(q, e.name))
			}
		}
		for _, q := range strangers {
			res.nonMated = append(res.nonMated, search(q, ""))
		}
		cell := func(x float64) string {
			if f, _, ok := res.fnirAt(x); ok {
				return pct(f)
			}
			return "—"
		}
		// the product's decision: confidence ≥ 50 with len(enrolled) uids searched
		accepted := func(p probeResult) bool {
			return p.found && faceapi.SearchConfidence(p.bestDist, len(enrolled)) >= faceapi.SearchThreshold
		}
		fa, hit := 0, 0
		for _, p := range res.nonMated {
			if accepted(p) {
				fa++
			}
		}
		for _, p := range res.mated {
			if accepted(p) && p.self {
				hit++
			}
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s / %s |\n", w.name, len(res.mated), pct(res.rank1()), cell(0.1), cell(0.01),
			pct(float64(fa)/float64(max(len(res.nonMated), 1))), pct(1-float64(hit)/float64(max(len(res.mated), 1))))
	}
	return nil
}

// meanOf is index.Mean of the templates.
func meanOf(t [][]float32) []float32 {
	vs := make([][128]float32, len(t))
	for i := range t {
		copy(vs[i][:], t[i])
	}
	m := index.Mean(vs)
	return m[:]
}
