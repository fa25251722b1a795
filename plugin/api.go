package plugin

import (
	"errors"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

func init() {
	caddy.RegisterModule(API{})
}

// API serves the SkyBiometry-compatible routes /fc/<group>/<method>[.json|.xml]
// (faces/detect, faces/recognize, tags/save, account/limits, ...). It must sit
// behind facegate_guard, which authenticates and authorises every call; a
// request that did not pass the guard is refused (fail closed).
type API struct {
	app    *App
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (API) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_api",
		New: func() caddy.Module { return new(API) },
	}
}

// Provision finds the facegate app.
func (h *API) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	var err error
	h.app, err = AppFrom(ctx, "facegate_api")
	return err
}

// ServeHTTP answers one SkyBiometry call. It never calls next: /fc/ routes end here.
func (h *API) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	adm := admittedFrom(r.Context())
	if adm == nil {
		opID := newOperationID()
		h.logger.Error("facegate_api reached without facegate_guard in front; refusing (fail closed)")
		writeFCError(w, internalError("facegate_api is not behind facegate_guard"), nil, opID, h.app.LegacyStatusCodes)
		return nil
	}
	st := h.app.awaitState(r.Context())
	if st == nil {
		writeFCError(w, unavailable("facegate is starting"), adm.Usage, adm.OperationID, h.app.LegacyStatusCodes)
		return nil
	}
	call := adm.Request
	defer observeAPICall(call.Route, time.Now())
	if gerr := st.indexGate(call.Route); gerr != nil { // the guard's precheck refused it already; fail closed
		setIndexRetryAfter(w, gerr)
		writeFCError(w, gerr, adm.Usage, adm.OperationID, h.app.LegacyStatusCodes)
		return nil
	}
	callback, cerr := h.callback(call)
	if cerr != nil {
		writeFCError(w, cerr, adm.Usage, adm.OperationID, h.app.LegacyStatusCodes)
		return nil
	}
	switch call.Format {
	case "json":
	case "xml":
		w = withXMLAnswers(w)
	default: // the guard refuses other formats; fail closed all the same
		writeFCError(w, badArgs("format must be json or xml"), adm.Usage, adm.OperationID, h.app.LegacyStatusCodes)
		return nil
	}
	req := &service.Request{
		Method:     call.Route,
		Owner:      adm.Key.Owner,
		KeyID:      adm.Key.ID,
		Namespaces: adm.Key.Namespaces,
		Params:     call.Params,
		Files:      call.Files,
		Usage:      adm.Usage,
	}
	resp, err := st.service.Call(r.Context(), req)
	if err != nil {
		var se *skyerr.Error
		if !errors.As(err, &se) {
			h.logger.Error("face service failed", zap.String("route", call.Route), zap.Error(err))
			se = internalError("the request could not be processed")
		}
		if se.HTTPStatus == http.StatusServiceUnavailable {
			setRetryAfter(w, busyRetryAfter)
		}
		writeFCError(w, se, adm.Usage, adm.OperationID, h.app.LegacyStatusCodes)
		return nil
	}
	resp.Usage = adm.Usage
	resp.OperationID = adm.OperationID
	writeAnswer(w, http.StatusOK, resp, callback)
	return nil
}

// callback returns the JSONP callback name, if JSONP is enabled and asked
// for; a callback when JSONP is off, or a malformed name, is refused.
func (h *API) callback(call *fcRequest) (string, *skyerr.Error) {
	name, ok := call.Params["callback"]
	if !ok || name == "" {
		return "", nil
	}
	if !h.app.JSONP {
		return "", badArgs("JSONP callbacks are disabled on this server")
	}
	if !jsonpName.MatchString(name) {
		return "", badArgs("invalid callback name")
	}
	return name, nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*API)(nil)
	_ caddyhttp.MiddlewareHandler = (*API)(nil)
)
