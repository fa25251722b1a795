package main

import (
	"fmt"
	"math"
	"sort"

	"github.com/facegate/facegate/engine/faceapi"
)

func init() { commands["open-set-norm"] = runOpenSetNorm }

// runOpenSetNorm compares score normalisations against an impostor cohort for open-set
// search: each probe's best distance d1 as it is, against the probe's own cohort (its
// distances to the gallery's other uids: z-norm over the next k, or the margin to the
// second best). The galleries are the open-set benchmark's LFW galleries (first image of
// each enrollable person, no distractors); mated searches are the enrolled people's other
// images, non-mated ones the strangers' images. A normalisation is worth shipping only if
// it lowers FNIR at a fixed FPIR on the held-out folds after being chosen on folds 1–2.
func runOpenSetNorm(args []string) error {
	study, err := newOpenSetStudy("open-set-norm", args)
	if err != nil {
		return err
	}
	folds := study.folds
	d, err := loadOpenSet(study.data, folds)
	if err != nil {
		return err
	}
	desc := func(f string) ([128]float32, float64, bool) {
		var v [128]float32
		face, ok := study.centre(f)
		if !ok {
			return v, 0, false
		}
		copy(v[:], face.Descriptor)
		return v, face.Sharpness, true
	}
	type probe struct {
		v     [128]float32
		sharp float64
		ok    bool
		self  int // gallery row of the probe's person, -1 for strangers
	}
	var gal [][128]float32
	var galSharp []float64
	var mated, nonMated []probe
	for _, p := range append(append([]lfwPerson{}, d.multi...), d.single...) {
		v, sh, ok := desc(p.images[0])
		if !ok {
			continue
		}
		gal = append(gal, v)
		galSharp = append(galSharp, sh)
		for _, img := range p.images[1:] {
			q, sh, ok := desc(img)
			mated = append(mated, probe{v: q, sharp: sh, ok: ok, self: len(gal) - 1})
		}
	}
	for _, p := range d.strangers {
		for _, img := range p.images {
			q, sh, ok := desc(img)
			nonMated = append(nonMated, probe{v: q, sharp: sh, ok: ok, self: -1})
		}
	}
	sharpnessGate(gal, galSharp, mated, nonMated, func(p probe) ([128]float32, float64, bool, int) { return p.v, p.sharp, p.ok, p.self })
	fmt.Printf("folds %s, quality gate %s: gallery of %d people, %d mated and %d non-mated searches\n\n",
		study.foldsText, &study.gate, len(gal), len(mated), len(nonMated))

	type variant struct {
		name  string
		score func(ds []float32) float64 // ds sorted ascending; lower = more likely the same
	}
	znorm := func(k int) func([]float32) float64 {
		return func(ds []float32) float64 {
			c := ds[1:min(len(ds), k+1)]
			var m, s float64
			for _, x := range c {
				m += float64(x)
			}
			m /= float64(len(c))
			for _, x := range c {
				s += (float64(x) - m) * (float64(x) - m)
			}
			s = math.Sqrt(s / float64(len(c)))
			return (float64(ds[0]) - m) / math.Max(s, 1e-3)
		}
	}
	shift := func(k int) func([]float32) float64 {
		return func(ds []float32) float64 {
			c := ds[1:min(len(ds), k+1)]
			var m float64
			for _, x := range c {
				m += float64(x)
			}
			return float64(ds[0]) - m/float64(len(c))
		}
	}
	variants := []variant{
		{"distance d1 (today)", func(ds []float32) float64 { return float64(ds[0]) }},
		{"margin d1 − d2", func(ds []float32) float64 { return float64(ds[0] - ds[1]) }},
		{"d1 − mean of the next 10", shift(10)},
		{"d1 − mean of the next 50", shift(50)},
		{"z-norm over the next 10", znorm(10)},
		{"z-norm over the next 50", znorm(50)},
		{"z-norm over the next 200", znorm(200)},
		{"1.5·d1 − 0.5·(mean of the next 10)", func(ds []float32) float64 { return 1.5*float64(ds[0]) - 0.5*shiftMean(ds, 10) }},
	}
	for _, n := range []int{100, len(gal)} {
		if n > len(gal) {
			continue
		}
		g := gal[:n]
		dists := func(q [128]float32) []float32 {
			out := make([]float32, len(g))
			for i := range g {
				out[i] = faceapi.Distance(q, g[i])
			}
			return out
		}
		type searched struct {
			ds   []float32 // sorted
			hit  bool      // the best is the probe's own uid
			face bool
		}
		run := func(ps []probe) []searched {
			var out []searched
			for _, p := range ps {
				if p.self >= n {
					continue
				}
				if !p.ok {
					out = append(out, searched{})
					continue
				}
				ds := dists(p.v)
				best := 0
				for i := range ds {
					if ds[i] < ds[best] {
						best = i
					}
				}
				s := searched{face: true, hit: p.self >= 0 && best == p.self}
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				s.ds = ds
				out = append(out, s)
			}
			return out
		}
		ms, ns := run(mated), run(nonMated)
		fmt.Printf("gallery of %d uids: %d mated, %d non-mated searches\n\n", n, len(ms), len(ns))
		fmt.Println("| score | FNIR @ FPIR 0.1 | FNIR @ FPIR 0.03 | FNIR @ FPIR 0.01 |")
		fmt.Println("|---|---:|---:|---:|")
		for _, v := range variants {
			var imp []float64
			for _, s := range ns {
				if s.face {
					imp = append(imp, v.score(s.ds))
				}
			}
			sort.Float64s(imp)
			cell := func(fpir float64) string {
				allowed := int(math.Floor(fpir * float64(len(ns))))
				if allowed < 1 {
					return "—"
				}
				// accept scores strictly below the (allowed+1)-th smallest impostor score
				t := math.Inf(1)
				if allowed < len(imp) {
					t = imp[allowed]
				}
				hits := 0
				for _, s := range ms {
					if s.face && s.hit && v.score(s.ds) < t {
						hits++
					}
				}
				return pct(1 - float64(hits)/float64(max(len(ms), 1)))
			}
			fmt.Printf("| %s | %s | %s | %s |\n", v.name, cell(0.1), cell(0.03), cell(0.01))
		}
		fmt.Println()
	}
	return nil
}

func shiftMean(ds []float32, k int) float64 {
	c := ds[1:min(len(ds), k+1)]
	var m float64
	for _, x := range c {
		m += float64(x)
	}
	return m / float64(len(c))
}

// sharpnessGate prints, for several sharpness floors of the quality gate, what share of
// faces they refuse and the confident wrong answers left among the searches of the whole
// gallery: a search is answered when its best candidate reaches the returned threshold
// (faceapi.SearchConfidence ≥ faceapi.SearchThreshold with the gallery's size); it is
// wrong when that candidate is not the person. A floor also refuses gallery faces: their
// people are not enrolled and their searches are left out.
func sharpnessGate[P any](gal [][128]float32, galSharp []float64, mated, nonMated []P, get func(P) ([128]float32, float64, bool, int)) {
	var all []float64
	all = append(all, galSharp...)
	for _, ps := range [][]P{mated, nonMated} {
		for _, p := range ps {
			if _, s, ok, _ := get(p); ok {
				all = append(all, s)
			}
		}
	}
	sort.Float64s(all)
	q := func(f float64) float64 { return all[min(len(all)-1, int(f*float64(len(all))))] }
	fmt.Printf("sharpness of the recognizable centre faces: p1 %.4f p5 %.4f p10 %.4f p25 %.4f p50 %.4f p90 %.4f\n\n", q(0.01), q(0.05), q(0.1), q(0.25), q(0.5), q(0.9))
	fmt.Println("| sharpness floor | faces refused | uids | mated searches answered right / wrong / not | non-mated answered (wrong) | FNIR @ FPIR 0.01 |")
	fmt.Println("|---|---:|---:|---|---:|---:|")
	for _, floor := range []float64{0, q(0.01), q(0.02), q(0.05), q(0.1)} {
		keep := []int{}
		row := map[int]int{}
		for i, s := range galSharp {
			if s >= floor {
				row[i] = len(keep)
				keep = append(keep, i)
			}
		}
		n := len(keep)
		search := func(v [128]float32) (int, float32) {
			best, bd := -1, float32(math.Inf(1))
			for r, i := range keep {
				if dd := faceapi.Distance(v, gal[i]); dd < bd {
					best, bd = r, dd
				}
			}
			return best, bd
		}
		accept := func(d float32) bool { return faceapi.SearchConfidence(d, n) >= faceapi.SearchThreshold }
		refused, total := 0, 0
		for _, s := range galSharp {
			total++
			if s < floor {
				refused++
			}
		}
		right, wrong, not, matedN := 0, 0, 0, 0
		var selfD []float32
		for _, p := range mated {
			v, s, ok, self := get(p)
			r, enrolled := row[self]
			if !enrolled {
				continue
			}
			matedN++
			if ok {
				total++
			}
			if !ok || s < floor {
				if ok {
					refused++
				}
				not++
				continue
			}
			b, bd := search(v)
			switch {
			case !accept(bd):
				not++
			case b == r:
				right++
			default:
				wrong++
			}
			if b == r {
				selfD = append(selfD, bd)
			}
		}
		fa := 0
		var imp []float32
		for _, p := range nonMated {
			v, s, ok, _ := get(p)
			if ok {
				total++
			}
			if !ok || s < floor {
				if ok {
					refused++
				}
				continue
			}
			_, bd := search(v)
			imp = append(imp, bd)
			if accept(bd) {
				fa++
			}
		}
		sort.Slice(imp, func(i, j int) bool { return imp[i] < imp[j] })
		allowed := int(0.01 * float64(len(nonMated)))
		t := float32(math.Inf(1))
		if allowed < len(imp) {
			t = imp[allowed]
		}
		hits := 0
		for _, d := range selfD {
			if d < t {
				hits++
			}
		}
		fmt.Printf("| %.4f | %s | %d | %d / %d / %d | %d of %d | %s |\n", floor, pct(float64(refused)/float64(max(total, 1))), n,
			right, wrong, not, fa, len(nonMated), pct(1-float64(hits)/float64(max(matedN, 1))))
	}
	fmt.Println()
}
