package plugin

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/http"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// holdingAnalyzer holds every call until release is closed.
type holdingAnalyzer struct {
	started chan struct{}
	release chan struct{}
}

func (h *holdingAnalyzer) Analyze(ctx context.Context, data []byte, opt service.AnalyzeOptions) (*service.Analyzed, error) {
	h.started <- struct{}{}
	<-h.release
	return &service.Analyzed{}, nil
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPixelBudget(t *testing.T) {
	inner := &holdingAnalyzer{started: make(chan struct{}, 8), release: make(chan struct{})}
	b := newPixelBudget(inner, 100, 50*time.Millisecond)
	img64 := pngOf(t, 8, 8)
	first := make(chan error, 1)
	go func() { _, err := b.Analyze(context.Background(), img64, service.AnalyzeOptions{}); first <- err }()
	<-inner.started

	// 64 of 100 pixels are taken: another 64 waits, then is refused.
	_, err := b.Analyze(context.Background(), img64, service.AnalyzeOptions{})
	var se *skyerr.Error
	if !errors.As(err, &se) || se.Code != 105 || se.HTTPStatus != http.StatusServiceUnavailable {
		t.Fatalf("over budget: %v, want 105 with HTTP 503", err)
	}
	// A small image fits beside it.
	small := make(chan error, 1)
	go func() {
		_, err := b.Analyze(context.Background(), pngOf(t, 5, 5), service.AnalyzeOptions{})
		small <- err
	}()
	select {
	case <-inner.started:
	case <-time.After(5 * time.Second):
		t.Fatal("a 25-pixel image did not start beside a 64-pixel one in a 100-pixel budget")
	}
	// An image larger than the whole budget costs the whole budget: it waits
	// for everything else, then runs alone.
	huge := make(chan error, 1)
	go func() {
		b2 := *b // the same semaphore, a longer wait
		b2.wait = 5 * time.Second
		_, err := b2.Analyze(context.Background(), pngOf(t, 20, 20), service.AnalyzeOptions{})
		huge <- err
	}()
	close(inner.release)
	for _, c := range []chan error{first, small, huge} {
		if err := <-c; err != nil {
			t.Fatalf("admitted call failed: %v", err)
		}
	}
	// A header that cannot be read is left to the decoder.
	if _, err := b.Analyze(context.Background(), []byte("not an image"), service.AnalyzeOptions{}); err != nil {
		t.Fatalf("unreadable header: %v", err)
	}
	// A cancelled caller gets its own error, not a busy one.
	full := &holdingAnalyzer{started: make(chan struct{}, 1), release: make(chan struct{})}
	fb := newPixelBudget(full, 64, time.Minute)
	go fb.Analyze(context.Background(), img64, service.AnalyzeOptions{})
	<-full.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fb.Analyze(ctx, img64, service.AnalyzeOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(full.release)
}
