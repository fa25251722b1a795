package service

import (
	"errors"

	"github.com/facegate/facegate/engine/skyerr"
)

// Failures are *skyerr.Error values: the code, name and HTTP status come from skyerr's table.

// ErrImageDecode is wrapped by Analyzer implementations for undecodable images (code 20).
var ErrImageDecode = errors.New("image cannot be decoded")

// asError converts any error into a *skyerr.Error: those pass through, ErrImageDecode becomes
// 20, anything else an internal error whose detail does not leak internals.
func asError(err error) *skyerr.Error {
	var e *skyerr.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrImageDecode) {
		return skyerr.New(skyerr.ImgDecode, "image cannot be decoded")
	}
	return skyerr.New(skyerr.Internal, "internal error")
}
