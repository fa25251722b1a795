package service

import (
	"errors"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// Failures are *skyerr.Error values: the code, name and HTTP status come from skyerr's table.

// ErrImageDecode is wrapped by Analyzer implementations for undecodable images (code 20).
var ErrImageDecode = errors.New("image cannot be decoded")

// asError converts any error into a *skyerr.Error: those pass through, ErrImageDecode becomes
// 20, a shared store that cannot be reached (store.ErrUnavailable) 105 (nothing was written;
// retry later), anything else an internal error whose detail does not leak internals.
func asError(err error) *skyerr.Error {
	var e *skyerr.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrImageDecode) {
		return skyerr.New(skyerr.ImgDecode, "image cannot be decoded")
	}
	if errors.Is(err, store.ErrUnavailable) {
		return skyerr.New(skyerr.Unavailable, "the store is temporarily unavailable; nothing was saved, retry later")
	}
	return skyerr.New(skyerr.Internal, "internal error")
}
