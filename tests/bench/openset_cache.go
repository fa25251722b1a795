package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
)

// cachedAnalyzer is a service.Analyzer that keeps each analysis in a directory, keyed by the
// sha256 of the image bytes and the analysis options, so that the open-set benchmark
// analyses every photo once however many galleries it is enrolled in or searched against.
// The cache holds descriptors: it lives in a temporary directory, never in the repository
// or the shared data. The engine's answers do not change with the cache; a cache written
// by an older engine must be removed by hand (--cache with a new directory, or rm -r).
//
// The analyzer behind it describes every face, recognizable or not (pipeline.Options
// DescribeAll), so that the quality gate can be studied on cached analyses: keep decides
// which faces the service and the benchmark see as recognizable, given the face with the
// engine's own verdict (the others lose their descriptor, as in the product); nil keeps
// the engine's verdict.
type cachedAnalyzer struct {
	an   service.Analyzer
	dir  string // "" = no disk cache
	keep func(a *service.Analyzed, f *service.Face) bool

	mu  sync.Mutex
	mem map[string]*service.Analyzed
}

func newCachedAnalyzer(an service.Analyzer, dir string) (*cachedAnalyzer, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create analysis cache: %w", err)
		}
	}
	return &cachedAnalyzer{an: an, dir: dir, mem: map[string]*service.Analyzed{}}, nil
}

// analysisVersion names what a cached analysis holds beyond the engine's answer, so that
// a cache written before it is not read back: descriptors of every face and their sharpness,
// and aggressive-mode descriptors averaged over both alignments (faceapi.AggressiveOptions) of
// faces boxed by the pass nearer the image's resolution.
const analysisVersion = "describe-all,sharpness,aggressive-ens4,native-box"

func analysisKey(data []byte, opt service.AnalyzeOptions) string {
	o, _ := json.Marshal(opt)
	h := sha256.New()
	h.Write([]byte(analysisVersion))
	h.Write(data)
	h.Write([]byte{0})
	h.Write(o)
	return hex.EncodeToString(h.Sum(nil))
}

// Analyze returns the cached analysis of data with opt, computing and storing it on a miss.
// The service may change the faces it is given (it fills tags from them), so every caller
// gets its own copy.
func (c *cachedAnalyzer) Analyze(ctx context.Context, data []byte, opt service.AnalyzeOptions) (*service.Analyzed, error) {
	key := analysisKey(data, opt)
	c.mu.Lock()
	a := c.mem[key]
	c.mu.Unlock()
	if a == nil && c.dir != "" {
		if b, err := os.ReadFile(filepath.Join(c.dir, key+".json")); err == nil {
			var v service.Analyzed
			if json.Unmarshal(b, &v) == nil {
				a = &v
			}
		}
	}
	if a == nil {
		v, err := c.an.Analyze(ctx, data, opt)
		if err != nil {
			return nil, err
		}
		a = v
		if c.dir != "" {
			if b, err := json.Marshal(a); err == nil {
				tmp := filepath.Join(c.dir, key+".tmp")
				if os.WriteFile(tmp, b, 0o600) == nil {
					_ = os.Rename(tmp, filepath.Join(c.dir, key+".json"))
				}
			}
		}
	}
	c.mu.Lock()
	c.mem[key] = a
	c.mu.Unlock()
	out := copyAnalyzed(a)
	for i := range out.Faces {
		f := &out.Faces[i]
		if c.keep != nil {
			f.Recognizable = len(f.Descriptor) == 128 && c.keep(out, f)
		}
		if !f.Recognizable {
			f.Descriptor = nil
		}
	}
	return out, nil
}

func copyAnalyzed(a *service.Analyzed) *service.Analyzed {
	out := &service.Analyzed{Width: a.Width, Height: a.Height, Faces: make([]service.Face, len(a.Faces))}
	for i, f := range a.Faces {
		f.Descriptor = append([]float32(nil), f.Descriptor...)
		f.Points = append([]service.Point(nil), f.Points...)
		attrs := make(map[string]service.Attribute, len(f.Attributes))
		for k, v := range f.Attributes {
			attrs[k] = v
		}
		f.Attributes = attrs
		out.Faces[i] = f
	}
	return out
}

// warm analyses the files with workers goroutines, so that the sequential service calls
// that follow find every analysis cached. Errors are left for the service calls to report.
func (c *cachedAnalyzer) warm(ctx context.Context, files []string, opt func(string) service.AnalyzeOptions, workers int) {
	ch := make(chan string)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range ch {
				if b, err := os.ReadFile(f); err == nil {
					_, _ = c.Analyze(ctx, b, opt(f))
				}
			}
		}()
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
}

// openSetStudy is what the open-set study commands (open-set-norm,
// open-set-templates, open-set-calibrate) share: their flags (--data, --cache,
// --folds and the quality gate's), the chosen folds and the cached analyzer
// with the options every study analyses with.
type openSetStudy struct {
	data      string
	folds     map[int]bool
	foldsText string
	gate      gateFlags
	ca        *cachedAnalyzer
	opt       service.AnalyzeOptions
}

// newOpenSetStudy parses the study command name's args (with the command's own
// flags, which flags register) and opens the engine behind the analysis cache.
func newOpenSetStudy(name string, args []string, flags ...func(*flag.FlagSet)) (*openSetStudy, error) {
	s := &openSetStudy{opt: service.AnalyzeOptions{Detector: "normal", Attributes: []string{"none"}, Describe: true}}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, f := range flags {
		f(fs)
	}
	fs.StringVar(&s.data, "data", "../shared/data/faces", "shared faces data directory")
	cache := fs.String("cache", filepath.Join(os.TempDir(), "facegate-open-set-cache"), "analysis cache directory (\"\" = none)")
	fs.StringVar(&s.foldsText, "folds", "1,2", "pairs.txt folds (1-based) whose people are used")
	s.gate.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if s.folds, err = parseFolds(s.foldsText); err != nil {
		return nil, err
	}
	an, err := pipeline.New(pipeline.Options{DescribeAll: true})
	if err != nil {
		return nil, fmt.Errorf("load engine: %w", err)
	}
	if s.ca, err = newCachedAnalyzer(an, *cache); err != nil {
		return nil, err
	}
	s.ca.keep = s.gate.keep()
	return s, nil
}

// centre analyses the photo f and returns its recognizable centre face (ok
// false when f cannot be read or analysed, or has none).
func (s *openSetStudy) centre(f string) (face service.Face, ok bool) {
	b, err := os.ReadFile(f)
	if err != nil {
		return face, false
	}
	a, err := s.ca.Analyze(context.Background(), b, s.opt)
	if err != nil {
		return face, false
	}
	j := centreFace(a.Faces)
	if j < 0 {
		return face, false
	}
	return a.Faces[j], true
}
