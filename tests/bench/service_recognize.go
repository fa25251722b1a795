package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/store"
)

func init() { commands["service-recognize"] = runServiceRecognize }

// runServiceRecognize measures recognition through the SkyBiometry methods
// (engine/service, the code behind facegate_api) with the real engine:
// every gallery image of identification.txt is detected, saved under
// <name>@bench with tags/save and trained with faces/train; every probe is
// sent to faces/recognize uids=all; people outside the gallery are the
// strangers. Reports rank-1 accuracy, acceptance at the default threshold and
// stranger rejection. The store is a real encrypted Badger in a temp dir.
func runServiceRecognize(args []string) error {
	fs := flag.NewFlagSet("service-recognize", flag.ContinueOnError)
	data := fs.String("data", "../shared/data/faces", "shared faces data directory")
	maxStrangers := fs.Int("strangers", 300, "at most this many stranger images")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lfw := filepath.Join(*data, "recognition", "lfw")
	gallery, probes, err := identification(filepath.Join(lfw, "identification.txt"))
	if err != nil {
		return err
	}
	call, closeSvc, err := benchService(lfw)
	if err != nil {
		return err
	}
	defer closeSvc()
	start := time.Now()
	enrolled := map[string]bool{}
	var uids []string
	for _, g := range gallery {
		resp, err := call("faces/detect", map[string]string{"attributes": "none"}, g.path)
		if err != nil {
			return fmt.Errorf("detect %s: %w", g.path, err)
		}
		tid := centreTID(resp)
		if tid == "" {
			continue
		}
		uid := strings.ToLower(g.name) + "@bench"
		if _, err := call("tags/save", map[string]string{"uid": uid, "tids": tid}, ""); err != nil {
			return fmt.Errorf("save %s: %w", g.path, err)
		}
		enrolled[g.name] = true
		uids = append(uids, uid)
	}
	for i := 0; i < len(uids); i += 100 {
		if _, err := call("faces/train", map[string]string{"uids": strings.Join(uids[i:min(i+100, len(uids))], ",")}, ""); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	enrollTime := time.Since(start)
	var n, top1, accepted, noFace int
	var genuine, impostor []int // best confidences of right-first probes and of strangers
	for _, p := range probes {
		if !enrolled[p.name] {
			continue
		}
		n++
		best, conf, thr, ok := recognizeTop(call, p.path)
		if !ok {
			noFace++
			continue
		}
		if best == strings.ToLower(p.name)+"@bench" {
			top1++
			genuine = append(genuine, conf)
			if conf >= thr {
				accepted++
			}
		}
	}
	strangers, err := strangerImages(lfw, gallery, probes, *maxStrangers)
	if err != nil {
		return err
	}
	var sn, rejected int
	for _, img := range strangers {
		_, conf, thr, ok := recognizeTop(call, img)
		if !ok {
			continue
		}
		sn++
		impostor = append(impostor, conf)
		if conf < thr {
			rejected++
		}
	}
	fmt.Printf("recognition through the SkyBiometry methods (engine/service + engine/pipeline, encrypted Badger): %d enrolled (%s)\n\n", len(uids), enrollTime.Round(time.Second))
	fmt.Println("| measure | value |")
	fmt.Println("|---|---:|")
	fmt.Printf("| probes of enrolled people | %d (%d with no face found) |\n", n, noFace)
	fmt.Printf("| rank-1: right uid first | %.2f %% |\n", 100*float64(top1)/float64(max(n, 1)))
	fmt.Printf("| right uid first and confidence ≥ returned threshold | %.2f %% |\n", 100*float64(accepted)/float64(max(n, 1)))
	fmt.Printf("| strangers (people not enrolled) with a face | %d |\n", sn)
	fmt.Printf("| stranger rejection: best confidence < threshold | %.2f %% |\n", 100*float64(rejected)/float64(max(sn, 1)))
	fmt.Printf("| total time | %s |\n", time.Since(start).Round(time.Second))
	fmt.Printf("\nbest-candidate confidence percentiles (p5 p25 p50 p75 p95): right person %v, strangers %v\n",
		percentiles(genuine), percentiles(impostor))
	return nil
}

type idEntry struct{ name, path string }

// identification reads identification.txt (readIdentification) with each
// image's person, the folder name.
func identification(path string) (gallery, probes []idEntry, err error) {
	g, p, err := readIdentification(path)
	if err != nil {
		return nil, nil, err
	}
	withName := func(paths []string) []idEntry {
		out := make([]idEntry, len(paths))
		for i, p := range paths {
			out[i] = idEntry{name: identity(p), path: p}
		}
		return out
	}
	return withName(g), withName(p), nil
}

// strangerImages is the first image of people in neither gallery nor probes.
func strangerImages(lfw string, gallery, probes []idEntry, limit int) ([]string, error) {
	known := map[string]bool{}
	for _, e := range append(append([]idEntry{}, gallery...), probes...) {
		known[e.name] = true
	}
	dirs, err := os.ReadDir(filepath.Join(lfw, "images"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		if known[d.Name()] || !d.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(lfw, "images", d.Name(), "*.jpg"))
		sort.Strings(files)
		if len(files) > 0 {
			rel, _ := filepath.Rel(lfw, files[0])
			out = append(out, rel)
		}
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// centreTID is the temp tid of the face covering the image centre.
func centreTID(resp *service.Response) string {
	if len(resp.Photos) != 1 {
		return ""
	}
	for _, tg := range resp.Photos[0].Tags {
		if tg.Recognizable && abs(tg.Center.X-50) < tg.Width/2 && abs(tg.Center.Y-50) < tg.Height/2 {
			return tg.TID
		}
	}
	return ""
}

// benchCall runs one SkyBiometry method as the bench owner's key, with img
// (a path under the data root, or "") as the uploaded photo.
type benchCall func(method string, params map[string]string, img string) (*service.Response, error)

// benchService opens the engine behind facegate_api (engine/service over an
// encrypted Badger store with synced writes, in a temp dir) with one owner and
// namespace, "bench", and returns a benchCall for it; closeFn removes the store.
func benchService(root string) (call benchCall, closeFn func(), err error) {
	return benchServiceWith(root, nil, false)
}

// benchServiceWith is benchService with an analyzer of the caller's (nil: the engine's)
// and, when calibrated, recognize's confidence, threshold, mean-template distance and
// cohort normalisation as facegate_api sets them (faceapi.SearchConfidence,
// SearchThreshold, MeanTemplateDistance, CohortOffset) instead of the pairwise ones.
func benchServiceWith(root string, an service.Analyzer, calibrated bool) (call benchCall, closeFn func(), err error) {
	dir, err := os.MkdirTemp("", "facegate-bench-")
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{7}, 32), SyncWrites: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	closeFn = func() { st.Close(); os.RemoveAll(dir) }
	if an == nil {
		if an, err = pipeline.New(pipeline.Options{}); err != nil {
			closeFn()
			return nil, nil, err
		}
	}
	opts := service.Options{
		NamespaceOwner: func(ns string) (string, bool) { return "bench", ns == "bench" },
		Namespaces:     func(string) []string { return []string{"bench"} },
		Confidence:     faceapi.Confidence,
		Threshold:      50,
	}
	if calibrated {
		opts.SearchConfidence, opts.Threshold = faceapi.SearchConfidence, faceapi.SearchThreshold
		opts.TemplateDistance = faceapi.MeanTemplateDistance
		opts.CohortOffset = faceapi.CohortOffset
	}
	svc, err := service.New(st, index.New(), an, nil, opts)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	ctx := context.Background()
	call = func(method string, params map[string]string, img string) (*service.Response, error) {
		req := &service.Request{Method: method, Owner: "bench", Namespaces: []string{"*"}, Params: params}
		if img != "" {
			b, err := os.ReadFile(filepath.Join(root, img))
			if err != nil {
				return nil, err
			}
			req.Files = []service.File{{Name: "files", Data: b}}
		}
		return svc.Call(ctx, req)
	}
	return call, closeFn, nil
}

// recognizeTop runs faces/recognize uids=all and returns the centre face's
// best candidate, its confidence and the returned threshold.
func recognizeTop(call benchCall, img string) (string, int, int, bool) {
	resp, err := call("faces/recognize", map[string]string{"uids": "all", "namespace": "bench", "attributes": "none"}, img)
	if err != nil || len(resp.Photos) != 1 {
		return "", 0, 0, false
	}
	for _, tg := range resp.Photos[0].Tags {
		if abs(tg.Center.X-50) < tg.Width/2 && abs(tg.Center.Y-50) < tg.Height/2 && tg.Recognizable {
			thr := 50
			if tg.Threshold != nil {
				thr = *tg.Threshold
			}
			if len(tg.UIDs) == 0 {
				return "", 0, thr, true
			}
			return tg.UIDs[0].UID, tg.UIDs[0].Confidence, thr, true
		}
	}
	return "", 0, 0, false
}

// percentiles returns p5, p25, p50, p75 and p95 of v.
func percentiles(v []int) []int {
	if len(v) == 0 {
		return nil
	}
	sort.Ints(v)
	out := make([]int, 0, 5)
	for _, q := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		out = append(out, v[int(q*float64(len(v)-1))])
	}
	return out
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
