package plugin

import (
	"net/http"

	"github.com/facegate/facegate/engine/service"
)

// badArgs is SkyBiometry error 406 INVALID_ARGUMENTS_VALUE with a detail.
func badArgs(detail string) *service.Error {
	return &service.Error{Code: 406, Name: "INVALID_ARGUMENTS_VALUE", Detail: detail, HTTPStatus: http.StatusBadRequest}
}

// tooLarge is a limit hit: SkyBiometry has no code of its own for it, so it
// is 406 with HTTP 413 and a detail that names the limit.
func tooLarge(detail string) *service.Error {
	return &service.Error{Code: 406, Name: "INVALID_ARGUMENTS_VALUE", Detail: detail, HTTPStatus: http.StatusRequestEntityTooLarge}
}

// unknownMethod is error 401 UNKNWOWN_REST_METHOD (sic, as SkyBiometry spells it).
func unknownMethod(route string) *service.Error {
	return &service.Error{Code: 401, Name: "UNKNWOWN_REST_METHOD", Detail: "unknown method " + safeName(route), HTTPStatus: http.StatusNotFound}
}

// internalError is error 104; the detail never carries internal state.
func internalError(detail string) *service.Error {
	return &service.Error{Code: 104, Name: "INTERNAL_ERROR", Detail: detail, HTTPStatus: http.StatusInternalServerError}
}

// unavailable is error 105, e.g. before the app has started.
func unavailable(detail string) *service.Error {
	return &service.Error{Code: 105, Name: "SERVICE_TEMPORARILY_UNAVAILABLE", Detail: detail, HTTPStatus: http.StatusServiceUnavailable}
}
