package plugin

import (
	"context"
	"runtime"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/facegate/facegate/engine/imageio"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// pixelQueueWait is how long an image waits for room in the server-wide
// pixel budget before its call is refused (503 with Retry-After).
const pixelQueueWait = 10 * time.Second

// busyRetryAfter is the Retry-After of a call refused for want of room.
const busyRetryAfter = 2 * time.Second

// pixelBudget bounds the decode and detection work of the whole server:
// the pixels of the images being analysed at once, whichever keys sent
// them. Per-key tiers limit each caller; this limits their sum, so that
// memory stays bounded however many callers there are. An image waits
// (first come, first served) for room, then is refused.
type pixelBudget struct {
	inner service.Analyzer
	sem   *semaphore.Weighted
	total int64
	wait  time.Duration
}

// newPixelBudget wraps an analyzer with a budget of total pixels in flight.
func newPixelBudget(inner service.Analyzer, total int64, wait time.Duration) *pixelBudget {
	return &pixelBudget{inner: inner, sem: semaphore.NewWeighted(total), total: total, wait: wait}
}

// errBusy is SkyBiometry's 105 with HTTP 503: the caller retries later.
func errBusy() *skyerr.Error {
	e := skyerr.New(skyerr.Unavailable, "the server is analysing as many images as it can hold; retry later")
	return e
}

// Analyze reserves the image's pixels (read from its header; a header that
// cannot be read costs nothing and fails in the decoder), runs the analysis
// and frees them.
func (b *pixelBudget) Analyze(ctx context.Context, data []byte, opt service.AnalyzeOptions) (*service.Analyzed, error) {
	px, err := imageio.Pixels(data)
	if err != nil || px <= 0 {
		return b.inner.Analyze(ctx, data, opt)
	}
	px = min(px, b.total) // larger images are refused by the decoder's max_pixels
	wctx, cancel := context.WithTimeout(ctx, b.wait)
	start := time.Now()
	err = b.sem.Acquire(wctx, px)
	observePixelWait(time.Since(start))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		observeBusy()
		return nil, errBusy()
	}
	defer b.sem.Release(px)
	out, err := b.inner.Analyze(ctx, data, opt)
	if px >= largeImagePixels {
		// A large decoded image is garbage now: collect it before the next
		// one is decoded, so that the heap does not grow to twice the
		// budget between collections.
		runtime.GC()
	}
	return out, err
}

// largeImagePixels is the size from which an analysed image is collected
// at once (a 4000×2500 photo, 40 MB as RGBA).
const largeImagePixels = 10_000_000

var _ service.Analyzer = (*pixelBudget)(nil)
