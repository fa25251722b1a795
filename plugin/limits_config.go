package plugin

import (
	"fmt"

	"github.com/dustin/go-humanize"
)

// InputLimits are the hard input limits of docs/security.md §4. A request over
// any of them gets a 4xx with a clear message before anything is allocated
// in proportion to what the client claims.
type InputLimits struct {
	// MaxBody is the largest request body read, in bytes (default 20 MiB).
	MaxBody int64 `json:"max_body,omitempty"`
	// MaxImages is the most images (uploads + urls) one call may carry (default 10).
	MaxImages int `json:"max_images,omitempty"`
	// MaxImageBytes is the largest single image, in bytes (default 10 MiB).
	MaxImageBytes int64 `json:"max_image_bytes,omitempty"`
	// MaxPixels is the largest width×height decoded (default 25 megapixels).
	MaxPixels int64 `json:"max_pixels,omitempty"`
	// MaxPixelsInFlight bounds the pixels of all images being decoded and
	// analysed at once, server-wide (default 40 megapixels, at least
	// MaxPixels); an image that finds no room within 10 s is refused with
	// 105 SERVICE_TEMPORARILY_UNAVAILABLE, HTTP 503 and Retry-After.
	MaxPixelsInFlight int64 `json:"max_pixels_in_flight,omitempty"`
	// MaxParts is the most multipart parts one request may have (default 32).
	MaxParts int `json:"max_parts,omitempty"`
	// MaxParamBytes is the largest single non-file parameter (default 64 KiB).
	MaxParamBytes int64 `json:"max_param_bytes,omitempty"`
}

func (l *InputLimits) setDefaults() {
	if l.MaxBody == 0 {
		l.MaxBody = 20 << 20
	}
	if l.MaxImages == 0 {
		l.MaxImages = 10
	}
	if l.MaxImageBytes == 0 {
		l.MaxImageBytes = 10 << 20
	}
	if l.MaxPixels == 0 {
		l.MaxPixels = 25_000_000
	}
	if l.MaxPixelsInFlight == 0 {
		l.MaxPixelsInFlight = max(40_000_000, l.MaxPixels)
	}
	if l.MaxParts == 0 {
		l.MaxParts = 32
	}
	if l.MaxParamBytes == 0 {
		l.MaxParamBytes = 64 << 10
	}
}

func (l InputLimits) validate() error {
	switch {
	case l.MaxBody < 0 || l.MaxImageBytes < 0 || l.MaxPixels < 0 || l.MaxParamBytes < 0 || l.MaxPixelsInFlight < 0:
		return fmt.Errorf("facegate limits must not be negative")
	case l.MaxImages < 0 || l.MaxParts < 0:
		return fmt.Errorf("facegate limits must not be negative")
	case l.MaxPixelsInFlight > 0 && l.MaxPixelsInFlight < l.MaxPixels:
		return fmt.Errorf("facegate limits: max_pixels_in_flight (%d) is below max_pixels (%d): the largest image could never be analysed", l.MaxPixelsInFlight, l.MaxPixels)
	case l.MaxImageBytes > l.MaxBody:
		return fmt.Errorf("facegate limits: max_image_bytes (%s) exceeds max_body (%s)",
			humanize.IBytes(uint64(l.MaxImageBytes)), humanize.IBytes(uint64(l.MaxBody)))
	}
	return nil
}
