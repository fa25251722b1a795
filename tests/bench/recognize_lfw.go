package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// lfwPair is one verification pair of pairs.txt.
type lfwPair struct {
	a, b string // image paths relative to recognition/lfw
	same bool
	fold int
}

func lfwImage(name, num string) (string, error) {
	n, err := strconv.Atoi(num)
	if err != nil {
		return "", fmt.Errorf("bad image number %q", num)
	}
	return filepath.Join("images", name, fmt.Sprintf("%s_%04d.jpg", name, n)), nil
}

// readLFWPairs parses pairs.txt (header "folds\tn", then per fold n same and n different
// lines). perFold > 0 keeps only the first perFold same and perFold different pairs of
// each fold.
func readLFWPairs(path string, perFold int) ([]lfwPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty", path)
	}
	var folds, n int
	if _, err := fmt.Sscanf(sc.Text(), "%d %d", &folds, &n); err != nil {
		return nil, fmt.Errorf("%s: bad header: %w", path, err)
	}
	var pairs []lfwPair
	for i := 0; sc.Scan(); i++ {
		fs := strings.Fields(sc.Text())
		p := lfwPair{fold: i / (2 * n), same: i%(2*n) < n}
		var err1, err2 error
		switch len(fs) {
		case 3:
			p.a, err1 = lfwImage(fs[0], fs[1])
			p.b, err2 = lfwImage(fs[0], fs[2])
		case 4:
			p.a, err1 = lfwImage(fs[0], fs[1])
			p.b, err2 = lfwImage(fs[2], fs[3])
		default:
			return nil, fmt.Errorf("%s:%d: bad line", path, i+2)
		}
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: bad line", path, i+2)
		}
		if perFold > 0 && i%n >= perFold {
			continue
		}
		pairs = append(pairs, p)
	}
	return pairs, sc.Err()
}

// readIdentification parses identification.txt into gallery and probe image paths.
func readIdentification(path string) (gallery, probes []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 2 {
			continue
		}
		switch fs[0] {
		case "gallery":
			gallery = append(gallery, fs[1])
		case "probe":
			probes = append(probes, fs[1])
		}
	}
	return gallery, probes, sc.Err()
}

// identity is the person folder of an LFW image path.
func identity(p string) string { return filepath.Base(filepath.Dir(p)) }

// scored is a pair's distance and ground truth.
type scored struct {
	d    float64
	same bool
	fold int
}

// bestThreshold returns the threshold maximising accuracy (same ⇔ d < t) over s.
func bestThreshold(s []scored) float64 {
	xs := append([]scored(nil), s...)
	sort.Slice(xs, func(i, j int) bool { return xs[i].d < xs[j].d })
	nDiff := 0
	for _, x := range xs {
		if !x.same {
			nDiff++
		}
	}
	// Threshold below everything: all "different".
	best, bestT := nDiff, xs[0].d-1e-6
	correct := nDiff
	for i, x := range xs {
		if x.same {
			correct++
		} else {
			correct--
		}
		if i+1 < len(xs) && xs[i+1].d == x.d {
			continue
		}
		t := x.d + 1e-6
		if i+1 < len(xs) {
			t = (x.d + xs[i+1].d) / 2
		}
		if correct > best {
			best, bestT = correct, t
		}
	}
	return bestT
}

func accuracy(s []scored, t float64) float64 {
	ok := 0
	for _, x := range s {
		if (x.d < t) == x.same {
			ok++
		}
	}
	return float64(ok) / float64(len(s))
}

// lfwProtocol runs the LFW verification protocol: for each fold, the threshold is chosen
// on the other folds and accuracy measured on the fold. It returns the mean accuracy, its
// standard error over folds, and the per-fold thresholds.
func lfwProtocol(s []scored) (mean, se float64, ts []float64) {
	folds := 0
	for _, x := range s {
		folds = max(folds, x.fold+1)
	}
	var accs []float64
	for k := 0; k < folds; k++ {
		var train, test []scored
		for _, x := range s {
			if x.fold == k {
				test = append(test, x)
			} else {
				train = append(train, x)
			}
		}
		if len(test) == 0 || len(train) == 0 {
			continue
		}
		t := bestThreshold(train)
		ts = append(ts, t)
		accs = append(accs, accuracy(test, t))
	}
	for _, a := range accs {
		mean += a
	}
	mean /= float64(len(accs))
	var v float64
	for _, a := range accs {
		v += (a - mean) * (a - mean)
	}
	if len(accs) > 1 {
		se = math.Sqrt(v/float64(len(accs)-1)) / math.Sqrt(float64(len(accs)))
	}
	return mean, se, ts
}

// farFRR returns the false accept rate (different pairs with d < t) and false reject rate
// (same pairs with d ≥ t).
func farFRR(s []scored, t float64) (far, frr float64) {
	var nd, ns, fa, fr int
	for _, x := range s {
		if x.same {
			ns++
			if x.d >= t {
				fr++
			}
		} else {
			nd++
			if x.d < t {
				fa++
			}
		}
	}
	return float64(fa) / float64(max(nd, 1)), float64(fr) / float64(max(ns, 1))
}

// fitLogistic fits P(same | d) = 1/(1+exp(k·(d−t))) by Newton's method on the
// log-likelihood and returns the midpoint t and slope k.
func fitLogistic(s []scored) (t, k float64) {
	// Parameterise as z = a + b·d, P = σ(z); then k = −b, t = −a/b.
	a, b := 6.0, -10.0
	for iter := 0; iter < 50; iter++ {
		var ga, gb, haa, hab, hbb float64
		for _, x := range s {
			if math.IsInf(x.d, 0) {
				continue
			}
			p := 1 / (1 + math.Exp(-(a + b*x.d)))
			y := 0.0
			if x.same {
				y = 1
			}
			w := p * (1 - p)
			ga += y - p
			gb += (y - p) * x.d
			haa += w
			hab += w * x.d
			hbb += w * x.d * x.d
		}
		det := haa*hbb - hab*hab
		if det == 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a, b = a+da, b+db
		if math.Abs(da)+math.Abs(db) < 1e-10 {
			break
		}
	}
	return -a / b, -b
}
