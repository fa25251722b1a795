package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/store"
)

func init() { commands["open-set"] = runOpenSet }

// runOpenSet measures open-set identification (1:N search of a namespace that may not hold
// the person) through the SkyBiometry methods: each gallery is a namespace filled with
// faces/detect → tags/save → faces/train, and every probe goes through faces/recognize
// uids=all on it. See openSetData for how the galleries and probes are built. It prints
// FNIR at fixed FPIR per gallery size, the same figures at the threshold faces/recognize
// returns, rank-1, and writes a DET plot.
func runOpenSet(args []string) error {
	fs := flag.NewFlagSet("open-set", flag.ContinueOnError)
	data := fs.String("data", "../shared/data/faces", "shared faces data directory")
	cache := fs.String("cache", filepath.Join(os.TempDir(), "facegate-open-set-cache"), "analysis cache directory (\"\" = none)")
	sizesFlag := fs.String("sizes", "100,1000,0", "LFW gallery sizes (0 = every enrollable person plus the distractor faces)")
	model := fs.Int("model", 10000, "gallery size modelled from the measured impostor distances (0 = none)")
	plot := fs.String("plot", "", "write the DET plot to this PNG file")
	workers := fs.Int("workers", 2, "goroutines analysing photos before the service calls")
	foldsFlag := fs.String("folds", "", "pairs.txt folds (1-based) whose people are used (\"\" = all)")
	decision := fs.String("decision", "calibrated", "recognize's confidence and threshold, or a comma list of them measured in one run: calibrated (faceapi.SearchConfidence of the distance moved by faceapi.CohortOffset, the product's), distance (the same without the cohort) or legacy (pairwise confidence, threshold +20 per decade of uids)")
	distractorDetector := fs.String("distractor-detector", "aggressive", "detector for the distractor photos")
	extraFolds := fs.String("extra-folds", "", "pairs.txt folds whose people (their first image) join the largest gallery as distractor uids, never searched for (must not overlap --folds)")
	var gate gateFlags
	gate.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var (
		sizes []int
		err   error
	)
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("bad --sizes: %w", err)
		}
		sizes = append(sizes, n)
	}
	var folds map[int]bool
	if *foldsFlag != "" {
		if folds, err = parseFolds(*foldsFlag); err != nil {
			return err
		}
	}
	d, err := loadOpenSet(*data, folds)
	if err != nil {
		return err
	}
	if *extraFolds != "" {
		ef, err := parseFolds(*extraFolds)
		if err != nil {
			return err
		}
		for f := range ef {
			if folds == nil || folds[f] {
				return fmt.Errorf("--extra-folds %s overlaps the folds searched", *extraFolds)
			}
		}
		xd, err := loadOpenSet(*data, ef)
		if err != nil {
			return err
		}
		for _, ps := range [][]lfwPerson{xd.multi, xd.single, xd.strangers} {
			for _, p := range ps {
				d.extra = append(d.extra, p.images[0])
			}
		}
	}
	an, err := pipeline.New(pipeline.Options{DescribeAll: true})
	if err != nil {
		return fmt.Errorf("load engine: %w", err)
	}
	ca, err := newCachedAnalyzer(an, *cache)
	if err != nil {
		return err
	}
	ca.keep = gate.keep()
	ctx := context.Background()
	lfwOpt := service.AnalyzeOptions{Detector: "normal", Attributes: []string{"none"}, Describe: true}
	disOpt := lfwOpt
	disOpt.Detector = *distractorDetector
	var files []string
	for _, ps := range [][]lfwPerson{d.multi, d.single, d.strangers} {
		for _, p := range ps {
			files = append(files, p.images...)
		}
	}
	files = append(files, d.extra...)
	isDistractor := map[string]bool{}
	for _, f := range d.distractors {
		isDistractor[f] = true
	}
	start := time.Now()
	ca.warm(ctx, append(files, d.distractors...), func(f string) service.AnalyzeOptions {
		if isDistractor[f] {
			return disOpt
		}
		return lfwOpt
	}, *workers)
	fmt.Printf("analysis (cached in %q): %s\n", *cache, time.Since(start).Round(time.Second))

	gs := d.galleries(sizes)
	var results []*openSetResult
	var modelled *openSetResult
	decisions := strings.Split(*decision, ",")
	for _, dec := range decisions {
		rs, err := runOpenSetDecision(ctx, d, gs, dec, ca, lfwOpt, disOpt, *distractorDetector)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if len(decisions) > 1 {
				r.name += ", " + map[string]string{"calibrated": "calibrated with the cohort (the product's)", "distance": "calibrated distance, no cohort"}[dec]
				if dec == "legacy" {
					r.name += ", legacy"
				}
			}
			r.decision = dec
		}
		results = append(results, rs...)
		if *model > 0 && dec != "calibrated" && modelled == nil {
			modelled = modelGallery(rs[len(rs)-1], *model, dec)
			modelled.decision = dec
		}
	}
	if *model > 0 && modelled == nil {
		fmt.Printf("\nno %d-uid model: it assumes independent impostor distances, which the cohort normalisation is there to correct (add --decision calibrated,distance to model the scoring without it)\n", *model)
	}
	fmt.Printf("\ndecision: %s; quality gate: %s\n", *decision, &gate)
	printOpenSet(d, results, modelled)
	if *plot != "" {
		// the product's curves last, drawn over the others where they coincide
		var curves, product []*openSetResult
		for _, r := range results {
			if r.decision == "calibrated" {
				product = append(product, r)
			} else {
				curves = append(curves, r)
			}
		}
		curves = append(curves, product...)
		if modelled != nil {
			curves = append(curves, modelled)
		}
		if err := writeDETPlot(*plot, curves); err != nil {
			return err
		}
		fmt.Printf("\nDET plot written to %s\n", *plot)
	}
	return nil
}

// runOpenSetDecision enrols the galleries in a new store and searches them through a
// service scoring with decision: calibrated (the product's: faceapi.SearchConfidence of the
// distance moved by faceapi.CohortOffset), distance (the same without the cohort) or
// legacy (pairwise confidence, threshold +20 per decade of uids).
func runOpenSetDecision(ctx context.Context, d *openSetData, gs []gallery, decision string, ca *cachedAnalyzer, lfwOpt, disOpt service.AnalyzeOptions, disDetector string) ([]*openSetResult, error) {
	dir, err := os.MkdirTemp("", "facegate-open-set-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	owned := map[string]bool{}
	for _, g := range gs {
		owned[g.ns] = true
	}
	opts := service.Options{
		NamespaceOwner: func(ns string) (string, bool) { return "bench", owned[ns] },
		Namespaces:     func(string) []string { return nil },
		Confidence:     faceapi.Confidence,
		Threshold:      50,
	}
	var cohort func(d float32, next []float32, n int) float32
	switch decision {
	case "calibrated", "distance":
		opts.SearchConfidence, opts.Threshold = faceapi.SearchConfidence, faceapi.SearchThreshold
		opts.TemplateDistance = faceapi.MeanTemplateDistance
		if decision == "calibrated" {
			opts.CohortOffset, cohort = faceapi.CohortOffset, faceapi.CohortDistance
		}
	case "legacy":
	default:
		return nil, fmt.Errorf("bad --decision %q", decision)
	}
	svc, err := service.New(st, index.New(), ca, nil, opts)
	if err != nil {
		return nil, err
	}
	r := &openSetRun{svc: svc, ca: ca, lfwOpt: lfwOpt, disOpt: disOpt, disDetector: disDetector, cohort: cohort}
	var results []*openSetResult
	for _, g := range gs {
		res, err := r.run(ctx, d, g)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return results, nil
}

// openSetRun enrols galleries and searches them through one Service.
type openSetRun struct {
	svc            *service.Service
	ca             *cachedAnalyzer
	lfwOpt, disOpt service.AnalyzeOptions
	disDetector    string
	// cohort moves a distance as the service's Options.CohortOffset does (nil: none): the
	// exact scores of a search are moved by it as the service moves its candidates
	cohort func(d float32, next []float32, n int) float32
}

func (r *openSetRun) call(ctx context.Context, method string, params map[string]string, img string) (*service.Response, error) {
	req := &service.Request{Method: method, Owner: "bench", Namespaces: []string{"*"}, Params: params}
	if img != "" {
		b, err := os.ReadFile(img)
		if err != nil {
			return nil, err
		}
		req.Files = []service.File{{Name: "files", Data: b}}
	}
	return r.svc.Call(ctx, req)
}

// faces returns the faces the engine finds in img with opt (from the analysis cache).
func (r *openSetRun) faces(ctx context.Context, img string, opt service.AnalyzeOptions) ([]service.Face, error) {
	b, err := os.ReadFile(img)
	if err != nil {
		return nil, err
	}
	a, err := r.ca.Analyze(ctx, b, opt)
	if err != nil {
		return nil, err
	}
	return a.Faces, nil
}

// centreFace is the index of the recognizable face covering the image centre, or -1.
func centreFace(fs []service.Face) int {
	for i, f := range fs {
		if f.Recognizable && len(f.Descriptor) == 128 && abs(f.CenterX-50) < f.Width/2 && abs(f.CenterY-50) < f.Height/2 {
			return i
		}
	}
	return -1
}

// run enrols gallery g and searches it with the mated and non-mated probes.
func (r *openSetRun) run(ctx context.Context, d *openSetData, g gallery) (*openSetResult, error) {
	res := &openSetResult{name: g.ns}
	start := time.Now()
	var uids []string
	enrol := func(img, uid string, tid string, desc []float32) error {
		if _, err := r.call(ctx, "tags/save", map[string]string{"uid": uid, "tids": tid}, ""); err != nil {
			return fmt.Errorf("tags/save: %w", err)
		}
		uids = append(uids, uid)
		res.templates = append(res.templates, template{uid: uid, v: desc})
		return nil
	}
	for _, p := range g.people {
		if g.size > 0 && res.enrolledPeople == g.size {
			break
		}
		resp, err := r.call(ctx, "faces/detect", map[string]string{"attributes": "none"}, p.images[0])
		if err != nil {
			return nil, fmt.Errorf("detect gallery photo: %w", err)
		}
		fs, err := r.faces(ctx, p.images[0], r.lfwOpt)
		if err != nil {
			return nil, err
		}
		j := centreFace(fs)
		if j < 0 || len(resp.Photos) != 1 || j >= len(resp.Photos[0].Tags) {
			res.notEnrolled++
			continue
		}
		if err := enrol(p.images[0], uidOf(p.name, g.ns), resp.Photos[0].Tags[j].TID, fs[j].Descriptor); err != nil {
			return nil, err
		}
		res.enrolledPeople++
	}
	if g.distractors {
		for k, img := range d.distractors {
			resp, err := r.call(ctx, "faces/detect", map[string]string{"attributes": "none", "detector": r.disDetector}, img)
			if err != nil || len(resp.Photos) != 1 {
				continue
			}
			fs, err := r.faces(ctx, img, r.disOpt)
			if err != nil {
				return nil, err
			}
			for j, tg := range resp.Photos[0].Tags {
				if !tg.Recognizable || j >= len(fs) || len(fs[j].Descriptor) != 128 {
					continue
				}
				if err := enrol(img, uidOf(fmt.Sprintf("distractor%03d_%02d", k, j), g.ns), tg.TID, fs[j].Descriptor); err != nil {
					return nil, err
				}
				res.distractorFaces++
			}
		}
	}
	if g.distractors {
		for _, img := range d.extra {
			resp, err := r.call(ctx, "faces/detect", map[string]string{"attributes": "none"}, img)
			if err != nil {
				return nil, fmt.Errorf("detect extra distractor photo: %w", err)
			}
			fs, err := r.faces(ctx, img, r.lfwOpt)
			if err != nil {
				return nil, err
			}
			j := centreFace(fs)
			if j < 0 || len(resp.Photos) != 1 || j >= len(resp.Photos[0].Tags) {
				continue
			}
			if err := enrol(img, uidOf("extra_"+filepath.Base(filepath.Dir(img)), g.ns), resp.Photos[0].Tags[j].TID, fs[j].Descriptor); err != nil {
				return nil, err
			}
			res.distractorFaces++
		}
	}
	for i := 0; i < len(uids); i += 100 {
		if _, err := r.call(ctx, "faces/train", map[string]string{"uids": strings.Join(uids[i:min(i+100, len(uids))], ",")}, ""); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	res.enrolTime = time.Since(start)
	start = time.Now()
	enrolled := map[string]bool{}
	for _, t := range res.templates {
		enrolled[t.uid] = true
	}
	for _, p := range g.people {
		uid := uidOf(p.name, g.ns)
		if !enrolled[uid] {
			continue
		}
		for _, img := range p.images[1:] {
			pr, err := r.probe(ctx, g.ns, img, uid, res.templates)
			if err != nil {
				return nil, err
			}
			res.mated = append(res.mated, pr)
		}
	}
	for _, p := range d.strangers {
		for _, img := range p.images {
			pr, err := r.probe(ctx, g.ns, img, "", res.templates)
			if err != nil {
				return nil, err
			}
			res.nonMated = append(res.nonMated, pr)
		}
	}
	res.searchTime = time.Since(start)
	return res, nil
}

// probe sends img to faces/recognize uids=all on ns and scores it against the templates.
func (r *openSetRun) probe(ctx context.Context, ns, img, self string, ts []template) (probeResult, error) {
	pr := probeResult{selfDist: -1}
	resp, err := r.call(ctx, "faces/recognize", map[string]string{"uids": "all", "namespace": ns, "attributes": "none", "limit": "1"}, img)
	if err != nil {
		return pr, fmt.Errorf("recognize: %w", err)
	}
	fs, err := r.faces(ctx, img, r.lfwOpt)
	if err != nil {
		return pr, err
	}
	j := centreFace(fs)
	if j < 0 || len(resp.Photos) != 1 || j >= len(resp.Photos[0].Tags) {
		return pr, nil
	}
	pr.found = true
	tg := resp.Photos[0].Tags[j]
	if tg.Threshold != nil {
		pr.threshold = *tg.Threshold
	}
	if len(tg.UIDs) > 0 {
		pr.svcUID, pr.svcConf = tg.UIDs[0].UID, tg.UIDs[0].Confidence
	}
	pr.scoreAgainst(fs[j].Descriptor, ts, self, r.cohort)
	return pr, nil
}
