package main

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/facegate/facegate/engine/faceapi"
)

// template is one enrolled descriptor of a uid.
type template struct {
	uid string
	v   []float32
}

// probeResult is one search: what faces/recognize answered for the centre face and the
// exact float32 distances of the same descriptor to the gallery's templates.
type probeResult struct {
	found     bool   // a recognizable centre face was found
	svcUID    string // faces/recognize's best candidate ("" = none)
	svcConf   int    // its confidence
	threshold int    // the threshold faces/recognize returned
	self      bool   // bestUID is the probe's own uid
	bestDist  float32
	selfDist  float32 // distance to the probe's own uid, -1 for non-mated probes
	others    []float32
}

// scoreAgainst fills the distance fields: the smallest distance per uid over its templates.
// For non-mated probes (self == "") it keeps every uid's distance, the impostor scores the
// larger-gallery model is built from. With a cohort function (faceapi.CohortDistance,
// what the service's Options.CohortOffset does) the best and the probe's own distance
// are moved by it, with the search's 2nd, 3rd, ... nearest distances as cohort.
func (p *probeResult) scoreAgainst(d []float32, ts []template, self string, cohort func(d float32, next []float32, n int) float32) {
	var q [128]float32
	copy(q[:], d)
	per := map[string]float32{}
	for _, t := range ts {
		var v [128]float32
		copy(v[:], t.v)
		dist := faceapi.Distance(q, v)
		if old, ok := per[t.uid]; !ok || dist < old {
			per[t.uid] = dist
		}
	}
	p.bestDist = float32(math.Inf(1))
	best := ""
	sorted := make([]float32, 0, len(per))
	for uid, dist := range per {
		if dist < p.bestDist || (dist == p.bestDist && uid < best) {
			p.bestDist, best = dist, uid
		}
		if self == "" {
			p.others = append(p.others, dist)
		}
		sorted = append(sorted, dist)
	}
	if self != "" {
		p.selfDist = per[self]
		p.self = best == self
	}
	if cohort != nil && len(sorted) > 1 {
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		p.bestDist = cohort(p.bestDist, sorted[1:], len(sorted))
		if self != "" {
			p.selfDist = cohort(p.selfDist, sorted[1:], len(sorted))
		}
	}
}

// openSetResult is one gallery's outcome, measured or modelled.
type openSetResult struct {
	name                        string
	decision                    string // the service's scoring (runOpenSetDecision)
	enrolledPeople, notEnrolled int
	distractorFaces             int
	templates                   []template
	mated, nonMated             []probeResult
	enrolTime, searchTime       time.Duration

	// modelled galleries: N, the impostor score distribution (sorted) and the largest
	// distance the service's decision accepts among N uids
	modelN   int
	impostor []float32
	accept   float32
}

func (r *openSetResult) size() int {
	if r.modelN > 0 {
		return r.modelN
	}
	seen := map[string]bool{}
	for _, t := range r.templates {
		seen[t.uid] = true
	}
	return len(seen)
}

// fmr is the share of impostor comparisons at a distance ≤ t.
func (r *openSetResult) fmr(t float32) float64 {
	i := sort.Search(len(r.impostor), func(i int) bool { return r.impostor[i] > t })
	return float64(i) / float64(len(r.impostor))
}

// rates returns FPIR and FNIR when a search is accepted at distance ≤ t: a mated search is
// a hit when its best candidate is the right uid within t; a non-mated search is a false
// positive when any candidate is within t. Searches with no face count as misses and as
// (correct) rejections. A modelled gallery of N uids assumes independent impostor scores:
// FPIR = 1 − (1 − FMR(t))^N, and a mated search at distance d is a hit with probability
// (1 − FMR(d))^(N−1) when d ≤ t.
func (r *openSetResult) rates(t float32) (fpir, fnir float64) {
	hits := 0.0
	for _, p := range r.mated {
		if !p.found || p.selfDist > t || p.selfDist < 0 {
			continue
		}
		if r.modelN > 0 {
			hits += math.Pow(1-r.fmr(p.selfDist), float64(r.modelN-1))
		} else if p.self {
			hits++
		}
	}
	fnir = 1 - hits/float64(max(len(r.mated), 1))
	if r.modelN > 0 {
		return 1 - math.Pow(1-r.fmr(t), float64(r.modelN)), fnir
	}
	fp := 0
	for _, p := range r.nonMated {
		if p.found && p.bestDist <= t {
			fp++
		}
	}
	return float64(fp) / float64(max(len(r.nonMated), 1)), fnir
}

// thresholds lists candidate distance thresholds, ascending.
func (r *openSetResult) thresholds() []float32 {
	var ts []float32
	for _, p := range r.mated {
		if p.found && p.selfDist >= 0 {
			ts = append(ts, p.selfDist)
		}
	}
	for _, p := range r.nonMated {
		if p.found {
			ts = append(ts, p.bestDist)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts
}

// fnirAt returns FNIR at the largest threshold whose FPIR is ≤ x and the threshold, or
// ok = false when x is below what the number of non-mated searches (or, modelled, of
// impostor comparisons) can resolve.
func (r *openSetResult) fnirAt(x float64) (fnir float64, t float32, ok bool) {
	if r.modelN > 0 {
		need := 1 - math.Pow(1-x, 1/float64(r.modelN))
		if need*float64(len(r.impostor)) < 1 {
			return 0, 0, false
		}
	} else if x*float64(len(r.nonMated)) < 1 {
		return 0, 0, false
	}
	best := float32(-1)
	for _, c := range r.thresholds() {
		if fp, _ := r.rates(c); fp <= x {
			best = c
		} else {
			break
		}
	}
	if best < 0 {
		return 1, 0, true
	}
	_, fnir = r.rates(best)
	return fnir, best, true
}

// atServiceThreshold scores the answers of faces/recognize against the threshold it
// returned: FPIR, FNIR, rank-1 and the threshold itself.
func (r *openSetResult) atServiceThreshold() (fpir, fnir, rank1 float64, thr int) {
	acc, top := 0, 0
	for _, p := range r.mated {
		if p.found && p.svcUID != "" && p.self {
			top++
			if p.svcConf >= p.threshold {
				acc++
			}
		}
		thr = max(thr, p.threshold)
	}
	fp := 0
	for _, p := range r.nonMated {
		if p.found && p.svcUID != "" && p.svcConf >= p.threshold {
			fp++
		}
	}
	m := float64(max(len(r.mated), 1))
	return float64(fp) / float64(max(len(r.nonMated), 1)), 1 - float64(acc)/m, float64(top) / m, thr
}

// modelGallery builds the model of an n-uid gallery from a measured one: its mated
// searches and the distances of every non-mated search to every uid.
func modelGallery(m *openSetResult, n int, decision string) *openSetResult {
	out := &openSetResult{name: fmt.Sprintf("model%d", n), modelN: n, mated: m.mated, nonMated: m.nonMated}
	accepts := func(d float32) bool {
		if decision == "legacy" {
			return faceapi.Confidence(d) >= min(95, 50+int(math.Round(20*math.Log10(float64(n)))))
		}
		return faceapi.SearchConfidence(d, n) >= faceapi.SearchThreshold
	}
	lo, hi := float32(0), float32(2) // accepts is monotone: bisect for its largest distance
	for range 40 {
		if mid := (lo + hi) / 2; accepts(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	out.accept = lo
	for _, p := range m.nonMated {
		out.impostor = append(out.impostor, p.others...)
	}
	sort.Slice(out.impostor, func(i, j int) bool { return out.impostor[i] < out.impostor[j] })
	return out
}

// rank1 is the share of mated searches whose best candidate is the right uid (modelled:
// expected over the impostor distribution).
func (r *openSetResult) rank1() float64 {
	hits := 0.0
	for _, p := range r.mated {
		switch {
		case !p.found || p.selfDist < 0:
		case r.modelN > 0:
			hits += math.Pow(1-r.fmr(p.selfDist), float64(r.modelN-1))
		case p.self:
			hits++
		}
	}
	return hits / float64(max(len(r.mated), 1))
}

func pct(v float64) string { return fmt.Sprintf("%.2f %%", 100*v) }

// printOpenSet prints the protocol counts and the table.
func printOpenSet(d *openSetData, rs []*openSetResult, model *openSetResult) {
	fmt.Printf("\nopen-set identification through faces/detect → tags/save → faces/train → faces/recognize uids=all\n")
	fmt.Printf("LFW people: %d enrollable with ≥ 2 images, %d with 1 image, %d strangers (never enrolled); %d distractor photos\n\n",
		len(d.multi), len(d.single), len(d.strangers), len(d.distractors))
	fmt.Println("| gallery | uids (LFW + distractor faces) | mated searches (no face) | non-mated searches (no face) | rank-1 | FNIR @ FPIR 0.1 | FNIR @ FPIR 0.01 | FNIR @ FPIR 0.001 | returned threshold | FPIR / FNIR there | enrol / search time |")
	fmt.Println("|---|---|---|---|---:|---:|---:|---:|---:|---|---|")
	all := rs
	if model != nil {
		all = append(all, model)
	}
	for _, r := range all {
		cells := []string{}
		for _, x := range []float64{0.1, 0.01, 0.001} {
			if f, t, ok := r.fnirAt(x); ok {
				cells = append(cells, fmt.Sprintf("%s (d ≤ %.3f)", pct(f), t))
			} else {
				cells = append(cells, "—")
			}
		}
		noFace := func(ps []probeResult) int {
			n := 0
			for _, p := range ps {
				if !p.found {
					n++
				}
			}
			return n
		}
		if r.modelN > 0 {
			fpir, fnir := r.rates(r.accept)
			fmt.Printf("| %s | %d (modelled from %d impostor distances) | %d | %d | %s | %s | %s | %s | d ≤ %.3f | %s / %s | — |\n",
				r.name, r.modelN, len(r.impostor), len(r.mated), len(r.nonMated), pct(r.rank1()), cells[0], cells[1], cells[2],
				r.accept, pct(fpir), pct(fnir))
			continue
		}
		fpir, fnir, rank1, thr := r.atServiceThreshold()
		fmt.Printf("| %s | %d (%d + %d) | %d (%d) | %d (%d) | %s | %s | %s | %s | %d | %s / %s | %s / %s |\n",
			r.name, r.size(), r.enrolledPeople, r.distractorFaces, len(r.mated), noFace(r.mated), len(r.nonMated), noFace(r.nonMated),
			pct(rank1), cells[0], cells[1], cells[2], thr, pct(fpir), pct(fnir),
			r.enrolTime.Round(time.Second), r.searchTime.Round(time.Second))
	}
}
