package main

import (
	"flag"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/facegate/facegate/engine/faceapi"
)

func init() { commands["open-set-cohort"] = runOpenSetCohort }

// runOpenSetCohort chooses the weight of the cohort normalisation by gallery size
// (faceapi.CohortDistance): a search's distances move by w times how much nearer or
// farther than expected its 2nd to 11th candidates lie (faceapi.CohortShift). For each
// gallery size it prints, per weight, FNIR at FPIR 0.1 and 0.01 and the FPIR and FNIR at
// the threshold faces/recognize returns (faceapi.SearchConfidence ≥ SearchThreshold on
// the moved distance). The galleries are open-set-norm's (first image of each
// enrollable person of the chosen folds, nested by the open-set order); --extra-folds
// adds every person of other folds (their first image) as a distractor uid, never
// searched for, to reach larger galleries on held-out folds. Besides the non-mated
// searches, the calibration columns use every mated search with its own uid left out
// (a stranger to the other n−1 uids): the share of them reaching confidence 25, 50 and
// 75 (promised: 10 %, 1 %, 0.1 %), and how far their scores at FPIR 0.1 and 0.01 lie
// from the distance faceapi.ExpectedFPIR puts there.
func runOpenSetCohort(args []string) error {
	var sizesFlag, weightsFlag, extra *string
	var shipped *bool
	study, err := newOpenSetStudy("open-set-cohort", args, func(fs *flag.FlagSet) {
		sizesFlag = fs.String("sizes", "100,200,300,400,0", "gallery sizes (0 = every enrolled person and distractor)")
		weightsFlag = fs.String("weights", "0,0.25,0.5,0.75,1,1.25", "cohort weights to compare")
		extra = fs.String("extra-folds", "", "folds whose people's images become distractor uids")
		shipped = fs.Bool("shipped", true, "add a row for the shipped weight (faceapi.CohortWeight)")
	})
	if err != nil {
		return err
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("bad --sizes: %w", err)
		}
		sizes = append(sizes, n)
	}
	var weights []float64
	for _, s := range strings.Split(*weightsFlag, ",") {
		w, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("bad --weights: %w", err)
		}
		weights = append(weights, w)
	}
	d, err := loadOpenSet(study.data, study.folds)
	if err != nil {
		return err
	}
	desc := func(f string) ([128]float32, bool) {
		var v [128]float32
		face, ok := study.centre(f)
		copy(v[:], face.Descriptor)
		return v, ok
	}
	type probe struct {
		v    [128]float32
		ok   bool
		self int // gallery row of the probe's person, -1 for strangers
	}
	var gal [][128]float32
	var mated, nonMated []probe
	for _, p := range append(append([]lfwPerson{}, d.multi...), d.single...) {
		v, ok := desc(p.images[0])
		if !ok {
			continue
		}
		gal = append(gal, v)
		for _, img := range p.images[1:] {
			q, ok := desc(img)
			mated = append(mated, probe{v: q, ok: ok, self: len(gal) - 1})
		}
	}
	for _, p := range d.strangers {
		for _, img := range p.images {
			q, ok := desc(img)
			nonMated = append(nonMated, probe{v: q, ok: ok, self: -1})
		}
	}
	people := len(gal)
	if *extra != "" {
		ef, err := parseFolds(*extra)
		if err != nil {
			return err
		}
		for f := range study.folds {
			if ef[f] {
				return fmt.Errorf("--extra-folds %s overlaps --folds %s", *extra, study.foldsText)
			}
		}
		xd, err := loadOpenSet(study.data, ef)
		if err != nil {
			return err
		}
		for _, ps := range [][]lfwPerson{xd.multi, xd.single, xd.strangers} {
			for _, p := range ps {
				if v, ok := desc(p.images[0]); ok {
					gal = append(gal, v)
				}
			}
		}
	}
	fmt.Printf("folds %s (extra distractor folds %q), quality gate %s: %d enrolled people + %d distractor uids, %d mated and %d non-mated searches\n\n",
		study.foldsText, *extra, &study.gate, people, len(gal)-people, len(mated), len(nonMated))

	for _, n := range sizes {
		if n <= 0 || n > len(gal) {
			n = len(gal)
		}
		type searched struct {
			ds  []float32 // sorted
			hit bool      // the best is the probe's own uid
		}
		// cal holds stranger searches for the calibration check: the non-mated ones and
		// the mated ones with their own uid left out (a gallery of n−1 without them)
		var cal [][]float32
		run := func(ps []probe) []searched {
			out := make([]searched, 0, len(ps))
			for _, p := range ps {
				if p.self >= n {
					continue
				}
				if !p.ok {
					out = append(out, searched{})
					continue
				}
				ds := make([]float32, n)
				best := 0
				for i := range n {
					ds[i] = faceapi.Distance(p.v, gal[i])
					if ds[i] < ds[best] {
						best = i
					}
				}
				if p.self >= 0 {
					c := append(append([]float32{}, ds[:p.self]...), ds[p.self+1:]...)
					sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
					cal = append(cal, c)
				}
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				if p.self < 0 {
					cal = append(cal, ds)
				}
				out = append(out, searched{ds: ds, hit: p.self >= 0 && best == p.self})
			}
			return out
		}
		ms, ns := run(mated), run(nonMated)
		var shifts []float64
		for _, s := range ns {
			if s.ds != nil {
				shifts = append(shifts, float64(faceapi.CohortShift(s.ds[1:], n)))
			}
		}
		for _, s := range ms {
			if s.ds != nil {
				shifts = append(shifts, float64(faceapi.CohortShift(s.ds[1:], n)))
			}
		}
		sort.Float64s(shifts)
		q := func(f float64) float64 { return shifts[min(len(shifts)-1, int(f*float64(len(shifts))))] }
		fmt.Printf("gallery of %d uids: %d mated, %d non-mated searches; cohort shift of every search: mean %+.4f sd %.4f, min %+.4f p1 %+.4f p99 %+.4f max %+.4f\n\n",
			n, len(ms), len(ns), mean(shifts), stddev(shifts), shifts[0], q(0.01), q(0.99), shifts[len(shifts)-1])
		fmt.Println("| cohort weight | FNIR @ FPIR 0.1 | FNIR @ FPIR 0.01 | returned threshold: FPIR / FNIR | calibration searches: FPIR at confidence 25 / 50 / 75 | score at their FPIR 0.1 / 0.01 − the model's |")
		fmt.Println("|---|---:|---:|---|---|---|")
		ws := weights
		if *shipped {
			ws = append(append([]float64{}, weights...), -1)
		}
		for _, w := range ws {
			name := fmt.Sprintf("%.2f", w)
			score := func(ds []float32) float32 {
				return ds[0] - float32(w)*faceapi.CohortShift(ds[1:], n)
			}
			if w < 0 {
				name = fmt.Sprintf("shipped (%.2f)", faceapi.CohortWeight(n))
				score = func(ds []float32) float32 { return faceapi.CohortDistance(ds[0], ds[1:], n) }
			}
			var imp []float32
			fp := 0
			for _, s := range ns {
				if s.ds == nil {
					continue
				}
				x := score(s.ds)
				imp = append(imp, x)
				if faceapi.SearchConfidence(x, n) >= faceapi.SearchThreshold {
					fp++
				}
			}
			sort.Slice(imp, func(i, j int) bool { return imp[i] < imp[j] })
			acc := 0
			for _, s := range ms {
				if s.hit && faceapi.SearchConfidence(score(s.ds), n) >= faceapi.SearchThreshold {
					acc++
				}
			}
			cell := func(fpir float64) string {
				allowed := int(math.Floor(fpir * float64(len(ns))))
				if allowed < 1 {
					return "—"
				}
				t := float32(math.Inf(1))
				if allowed < len(imp) {
					t = imp[allowed]
				}
				hits := 0
				for _, s := range ms {
					if s.hit && score(s.ds) < t {
						hits++
					}
				}
				return pct(1 - float64(hits)/float64(max(len(ms), 1)))
			}
			// the calibration searches: strangers among n (non-mated) or n−1 (mated, self out)
			var cs []float32
			var at [3]int
			for _, c := range cal {
				x := score(c)
				cs = append(cs, x)
				for k, cf := range []int{25, 50, 75} {
					if faceapi.SearchConfidence(x, len(c)) >= cf {
						at[k]++
					}
				}
			}
			sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
			off := func(fpir float64) string {
				k := int(fpir * float64(len(cs)))
				if k < 1 {
					return "—"
				}
				return fmt.Sprintf("%+.4f", cs[k-1]-distanceAtFPIR(fpir, n))
			}
			fmt.Printf("| %s | %s | %s | %s / %s | %s / %s / %s of %d | %s / %s |\n", name, cell(0.1), cell(0.01),
				pct(float64(fp)/float64(max(len(ns), 1))), pct(1-float64(acc)/float64(max(len(ms), 1))),
				pct(float64(at[0])/float64(len(cal))), pct(float64(at[1])/float64(len(cal))), pct(float64(at[2])/float64(len(cal))), len(cal),
				off(0.1), off(0.01))
		}
		fmt.Println()
	}
	return nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}

func stddev(xs []float64) float64 {
	m := mean(xs)
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(max(len(xs), 1)))
}

// distanceAtFPIR is the distance whose faceapi.ExpectedFPIR with n uids is fpir.
func distanceAtFPIR(fpir float64, n int) float32 {
	lo, hi := float32(0), float32(1.5)
	for range 50 {
		if mid := (lo + hi) / 2; faceapi.ExpectedFPIR(mid, n) < fpir {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
