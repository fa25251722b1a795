package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
)

func init() { commands["api-pairs"] = runAPIPairs }

// runAPIPairs runs LFW verification pairs as an application would through the
// SkyBiometry methods (engine/service, the code behind facegate_api): for each pair,
// faces/detect on the first photo, tags/save of its largest face under a uid of its own,
// faces/train, then faces/recognize of the second photo against that uid; the pair is
// "same" when the largest face's best candidate reaches the threshold recognize returned.
// It reports the accuracy and where the errors come from, beside the distance protocol
// of `recognize` on the same pairs (best threshold per fold, descriptors of the same
// faces), so the gap between the two is explained.
func runAPIPairs(args []string) error {
	fs := flag.NewFlagSet("api-pairs", flag.ContinueOnError)
	data := fs.String("data", "../shared/data/faces", "shared faces data directory")
	perFold := fs.Int("per-fold", 20, "same and different pairs per fold (300 = all 3000 pairs)")
	detector := fs.String("detector", "normal", "faces/detect detector: normal or aggressive")
	cache := fs.String("cache", "", "analysis cache directory shared with open-set (\"\" = analyse every photo)")
	decision := fs.String("decision", "calibrated", "recognize's confidence and threshold: calibrated (the product's) or legacy (pairwise)")
	explain := fs.Bool("explain", false, "print the quality-gate inputs of every largest face that is not recognizable")
	var gate gateFlags
	gate.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *decision != "calibrated" && *decision != "legacy" {
		return fmt.Errorf("bad --decision %q", *decision)
	}
	lfw := filepath.Join(*data, "recognition", "lfw")
	pairs, err := readLFWPairs(filepath.Join(lfw, "pairs.txt"), *perFold)
	if err != nil {
		return err
	}
	var an service.Analyzer
	if *cache != "" || !gate.engine() {
		eng, err := pipeline.New(pipeline.Options{DescribeAll: true})
		if err != nil {
			return fmt.Errorf("load engine: %w", err)
		}
		ca, err := newCachedAnalyzer(eng, *cache)
		if err != nil {
			return err
		}
		ca.keep = gate.keep()
		an = ca
	}
	call, closeSvc, err := benchServiceWith(lfw, an, *decision == "calibrated")
	if err != nil {
		return err
	}
	defer closeSvc()
	opts := map[string]string{"attributes": "none", "detector": *detector}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range opts {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	var (
		right, noEnroll, noProbe, below, falseAccept int
		scoredPairs                                  []scored
		start                                        = time.Now()
	)
	for i, p := range pairs {
		uid := fmt.Sprintf("pair%d@bench", i)
		resp, err := call("faces/detect", with(nil), p.a)
		if err != nil {
			return fmt.Errorf("detect %s: %w", p.a, err)
		}
		a := largestTag(resp)
		if a == nil || !a.Recognizable {
			noEnroll++
			if *explain {
				explainTag("first", p.a, a)
			}
			if !p.same {
				right++ // nothing enrolled: the second photo is not accepted
			}
			continue
		}
		if _, err := call("tags/save", map[string]string{"uid": uid, "tids": a.TID}, ""); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if _, err := call("faces/train", map[string]string{"uids": uid}, ""); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		resp, err = call("faces/recognize", with(map[string]string{"uids": uid}), p.b)
		if err != nil {
			return fmt.Errorf("recognize %s: %w", p.b, err)
		}
		b := largestTag(resp)
		if b == nil || !b.Recognizable {
			noProbe++
			if *explain {
				explainTag("second", p.b, b)
			}
			if !p.same {
				right++
			}
			continue
		}
		thr := 50
		if b.Threshold != nil {
			thr = *b.Threshold
		}
		conf := 0
		if len(b.UIDs) > 0 {
			conf = b.UIDs[0].Confidence
		}
		accepted := conf >= thr
		switch {
		case accepted == p.same:
			right++
		case p.same:
			below++
		default:
			falseAccept++
		}
		// The same two faces scored by distance (confidence is monotone in it), for
		// the per-fold best-threshold protocol of `recognize`.
		scoredPairs = append(scoredPairs, scored{d: 1 - float64(conf)/100, same: p.same, fold: p.fold})
	}
	n := len(pairs)
	pct := func(k int) string { return fmt.Sprintf("%.2f %%", 100*float64(k)/float64(max(n, 1))) }
	fmt.Printf("LFW pairs through the SkyBiometry methods (detector=%s, largest face, the threshold recognize returns, decision %s, quality gate %s): %d pairs in %s\n\n",
		*detector, *decision, &gate, n, time.Since(start).Round(time.Second))
	fmt.Println("| measure | value |")
	fmt.Println("|---|---:|")
	fmt.Printf("| accuracy through the API | %s |\n", pct(right))
	fmt.Printf("| first photo: no recognizable largest face (nothing enrolled) | %d (%s) |\n", noEnroll, pct(noEnroll))
	fmt.Printf("| second photo: no recognizable largest face | %d (%s) |\n", noProbe, pct(noProbe))
	fmt.Printf("| same person below the returned threshold | %d (%s) |\n", below, pct(below))
	fmt.Printf("| different people at or above it | %d (%s) |\n", falseAccept, pct(falseAccept))
	if len(scoredPairs) > 0 {
		mean, se, _ := lfwProtocol(scoredPairs)
		fmt.Printf("| pairs with both faces recognizable, best threshold per fold (recognize's protocol) | %.2f %% ± %.2f (%d pairs) |\n", 100*mean, 100*se, len(scoredPairs))
	}
	return nil
}

// largestTag is the widest tag of the answer's only photo.
func largestTag(resp *service.Response) *service.Tag {
	if resp == nil || len(resp.Photos) != 1 {
		return nil
	}
	var best *service.Tag
	for i := range resp.Photos[0].Tags {
		t := &resp.Photos[0].Tags[i]
		if best == nil || t.Width*t.Height > best.Width*best.Height {
			best = t
		}
	}
	return best
}

// explainTag prints what the quality gate saw of a face (no biometric data).
func explainTag(which, img string, t *service.Tag) {
	if t == nil {
		fmt.Printf("%s photo %s: no face\n", which, img)
		return
	}
	conf := func(p *service.Point) int {
		if p == nil {
			return -1
		}
		return p.Confidence
	}
	fmt.Printf("%s photo %s: %.0f×%.0f %%, score %d, yaw %.0f, pitch %.0f, eyes %d/%d nose %d mouth %d\n", which, img,
		t.Width, t.Height, t.Attributes["face"].Confidence, t.Yaw, t.Pitch, conf(t.EyeLeft), conf(t.EyeRight), conf(t.Nose), conf(t.MouthCenter))
}
