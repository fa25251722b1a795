package plugin

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/facegate/facegate/engine/pipeline"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/plugin/internal/urlfetch"
)

// The face service outlives config reloads (it holds the store and the
// index), but the input limits and url_allow_hosts of the new config must
// apply to it: the analyzer (max_image_bytes, max_pixels,
// max_pixels_in_flight) and the fetcher (url_allow_hosts, max_image_bytes)
// sit behind these swappable holders, and max_images is the service's
// SetMaxImages.

// swapAnalyzer is the current analyzer; calls in flight keep the one they
// started with.
type swapAnalyzer struct{ cur atomic.Pointer[pixelBudget] }

func (a *swapAnalyzer) Analyze(ctx context.Context, data []byte, opt service.AnalyzeOptions) (*service.Analyzed, error) {
	out, err := a.cur.Load().Analyze(ctx, data, opt)
	observeAnalysis(out, err)
	return out, err
}

// swapFetcher is the current url fetcher.
type swapFetcher struct {
	cur atomic.Pointer[urlfetch.Fetcher]
}

func (f *swapFetcher) Fetch(ctx context.Context, u string) ([]byte, error) {
	start := time.Now()
	b, err := f.cur.Load().Fetch(ctx, u)
	observeFetch(err, time.Since(start))
	return b, err
}

// newAnalyzer builds the face pipeline with cfg's decoding limits behind a
// pixel budget of cfg's size.
func newAnalyzer(cfg stateConfig) (*pixelBudget, error) {
	an, err := pipeline.New(pipeline.Options{MaxBytes: cfg.Limits.MaxImageBytes, MaxPixels: cfg.Limits.MaxPixels, Observe: observeStage})
	if err != nil {
		return nil, fmt.Errorf("loading the face engine: %w", err)
	}
	return newPixelBudget(an, cfg.Limits.MaxPixelsInFlight, pixelQueueWait), nil
}

// newFetcher builds the SSRF-safe fetcher for cfg.
func newFetcher(cfg stateConfig) (*urlfetch.Fetcher, error) {
	fe, err := urlfetch.New(urlfetch.Options{AllowHosts: cfg.URLAllowHosts, MaxBytes: cfg.Limits.MaxImageBytes})
	if err != nil {
		return nil, fmt.Errorf("configuring url fetching: %w", err)
	}
	return fe, nil
}

// applyLimits makes cfg's input limits and url_allow_hosts those of the
// running service, rebuilding only what changed since old.
func (s *state) applyLimits(old, cfg stateConfig) error {
	l, o := cfg.Limits, old.Limits
	if l.MaxImageBytes != o.MaxImageBytes || l.MaxPixels != o.MaxPixels || l.MaxPixelsInFlight != o.MaxPixelsInFlight {
		an, err := newAnalyzer(cfg)
		if err != nil {
			return err
		}
		s.analyzer.cur.Store(an)
	}
	if l.MaxImageBytes != o.MaxImageBytes || !slices.Equal(cfg.URLAllowHosts, old.URLAllowHosts) {
		fe, err := newFetcher(cfg)
		if err != nil {
			return err
		}
		s.fetcher.cur.Store(fe)
	}
	s.service.SetMaxImages(l.MaxImages)
	return nil
}

var (
	_ service.Analyzer = (*swapAnalyzer)(nil)
	_ service.Fetcher  = (*swapFetcher)(nil)
)
