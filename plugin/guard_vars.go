package plugin

import (
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/policies"
)

// Variables the guard sets on every request it decides, for Caddy
// placeholders ({http.vars.facegate.key_id}, ...) in access logs
// (`log_append`), headers, matchers and `handle_errors` routes. None holds
// a secret or anything biometric; the key id is the public half of a key.
const (
	varKeyID     = "facegate.key_id"     // the key id the request named ("" if none)
	varOwner     = "facegate.owner"      // the key's owner, when the key exists
	varRoute     = "facegate.route"      // e.g. faces/detect, or the path in proxy mode
	varAllow     = "facegate.allow"      // "true" or "false"
	varReason    = "facegate.reason"     // the policy's reason of a denial, e.g. secret_invalid
	varErrorCode = "facegate.error_code" // SkyBiometry's error code of a denial ("" when allowed)
)

// setDecisionVars records the decision in the request's Caddy variables.
func setDecisionVars(r *http.Request, ev *evidence, route string, d policies.Decision) {
	ctx := r.Context()
	caddyhttp.SetVar(ctx, varKeyID, truncateID(ev.keyID))
	if ev.found {
		caddyhttp.SetVar(ctx, varOwner, ev.key.Owner)
	}
	caddyhttp.SetVar(ctx, varRoute, boundedRoute(route))
	caddyhttp.SetVar(ctx, varAllow, strconv.FormatBool(d.Allow))
	if !d.Allow {
		caddyhttp.SetVar(ctx, varReason, d.Reason)
		caddyhttp.SetVar(ctx, varErrorCode, strconv.Itoa(d.ErrorCode))
	}
}

// boundedRoute bounds a client-chosen route (a path in proxy mode) to 128 bytes.
func boundedRoute(route string) string {
	if len(route) > 128 {
		return route[:128]
	}
	return route
}
