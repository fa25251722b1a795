package plugin

import (
	"net/http"

	"github.com/facegate/facegate/engine/skyerr"
)

// badArgs is SkyBiometry error 406 INVALID_ARGUMENTS_VALUE with a detail.
func badArgs(detail string) *skyerr.Error { return skyerr.New(skyerr.InvalidArgs, detail) }

// tooLarge is a limit hit: SkyBiometry has no code of its own for it, so it
// is 406 with HTTP 413 and a detail that names the limit.
func tooLarge(detail string) *skyerr.Error {
	return skyerr.New(skyerr.InvalidArgs, detail).WithStatus(http.StatusRequestEntityTooLarge)
}

// internalError is error 104; the detail never carries internal state.
func internalError(detail string) *skyerr.Error { return skyerr.New(skyerr.Internal, detail) }

// unavailable is error 105, e.g. before the app has started.
func unavailable(detail string) *skyerr.Error { return skyerr.New(skyerr.Unavailable, detail) }
