package plugin

import (
	"errors"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/keyring"
)

// Requests refused before any work never charge quota. "Before any work"
// means before an image is downloaded or decoded and before the store is
// read or written: everything the policies refuse (credentials, scopes,
// namespaces, JSON Schema arguments, attribute names), then precheck: the
// answer format, the JSONP callback, and the face service's own argument
// checks of the image methods (service.Check: detector, options, the number
// of images, uids and their namespaces, limit and thresholds), and the
// methods that need the template index while it still loads. These run
// after the policy allowed the call and before the guard charges its
// limits. Requests that fail later - an image that cannot be downloaded or
// decoded, a tag that does not exist - have cost work and are charged, as
// SkyBiometry counts every image passed.

// precheck refuses, before the limits are charged, an admitted api call
// that facegate_api would refuse without doing any work.
func (g *Guard) precheck(st *state, call *fcRequest, key keyring.Key) *skyerr.Error {
	if g.Mode != "api" {
		return nil
	}
	if call.Format != "json" && call.Format != "xml" {
		return badArgs("format must be json or xml")
	}
	if cb := call.Params["callback"]; cb != "" {
		switch {
		case !g.app.JSONP:
			return badArgs("JSONP callbacks are disabled on this server")
		case call.Format == "xml":
			return badArgs("callback needs the json format")
		case !jsonpName.MatchString(cb):
			return badArgs("invalid callback name")
		}
	}
	if st.service == nil {
		return nil
	}
	if gerr := st.indexGate(call.Route); gerr != nil { // 105 until the index is built (index_load.go)
		return gerr
	}
	err := st.service.Check(&service.Request{
		Method:     call.Route,
		Owner:      key.Owner,
		KeyID:      key.ID,
		Namespaces: key.Namespaces,
		Params:     call.Params,
		Files:      call.Files,
	})
	if err == nil {
		return nil
	}
	var se *skyerr.Error
	if errors.As(err, &se) {
		return se
	}
	return internalError("the request could not be checked")
}
