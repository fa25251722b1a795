package plugin

import (
	"net/http"

	"github.com/facegate/facegate/engine/service"
)

// badArgs is SkyBiometry error 406 INVALID_ARGUMENTS_VALUE with a detail.
func badArgs(detail string) *service.Error {
	e := service.ErrInvalidArgs(detail)
	e.HTTPStatus = http.StatusBadRequest
	return e
}

// tooLarge is a limit hit: SkyBiometry has no code of its own for it, so it
// is 406 with HTTP 413 and a detail that names the limit.
func tooLarge(detail string) *service.Error {
	e := service.ErrInvalidArgs(detail)
	e.HTTPStatus = http.StatusRequestEntityTooLarge
	return e
}

// internalError is error 104; the detail never carries internal state.
func internalError(detail string) *service.Error {
	e := service.ErrInternal(detail)
	e.HTTPStatus = http.StatusInternalServerError
	return e
}

// unavailable is error 105, e.g. before the app has started.
func unavailable(detail string) *service.Error {
	e := service.ErrUnavailable(detail)
	e.HTTPStatus = http.StatusServiceUnavailable
	return e
}
