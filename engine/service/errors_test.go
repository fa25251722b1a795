package service

import (
	"errors"
	"fmt"
	"testing"

	"github.com/facegate/facegate/engine/skyerr"
)

func TestAsError(t *testing.T) {
	if e := asError(fmt.Errorf("saving: %w", skyerr.New(skyerr.TagNotFound, "gone"))); e.Code != 301 || e.Detail != "gone" {
		t.Fatalf("asError lost the code: %+v", e)
	}
	if e := asError(fmt.Errorf("decode: %w", ErrImageDecode)); e.Code != 20 {
		t.Fatalf("image decode mapped to %d", e.Code)
	}
	if e := asError(errors.New("disk on fire at /secret/path")); e.Code != 104 || e.Detail != "internal error" {
		t.Fatalf("internal error leaks: %+v", e)
	}
}
