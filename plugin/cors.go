package plugin

import (
	"net/http"
	"slices"

	"github.com/facegate/facegate/plugin/keyring"
)

// CORS for SkyBiometry's browser ("domain") mode: answers carry
// Access-Control-Allow-Origin only for an Origin that the calling key lists in
// its allowed origins, never a wildcard, and never for keys without origins.
// The policies decide whether a domain-mode call is allowed at all; CORS only
// lets an allowed origin's page read the answer.

// corsAllowed reports whether origin may read answers made for key k.
func corsAllowed(k keyring.Key, found bool, origin string) bool {
	return found && origin != "" && origin != "null" && slices.Contains(k.AllowedOrigins, origin)
}

// setCORS adds the CORS answer headers for an allowed origin; every answer
// varies by Origin so that caches keep them apart.
func setCORS(h http.Header, origin string, allowed bool) {
	h.Add("Vary", "Origin")
	if !allowed {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "X-Operation-Id, Retry-After, RateLimit, RateLimit-Policy, Signature, Signature-Input, Content-Digest")
}

// preflight answers a CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method) for the key named by api_key in the query:
// 204 with the CORS grant when the key is usable and lists the origin, 403
// without any CORS header otherwise. A preflight carries no credentials and
// changes nothing.
func (g *Guard) preflight(w http.ResponseWriter, r *http.Request, st *state) {
	origin := r.Header.Get("Origin")
	keyID := r.URL.Query().Get("api_key")
	k, err := st.keys.Get(keyID)
	found := err == nil && keyID != ""
	usable := found && k.Status == "active" && (k.ExpiresAt == 0 || k.ExpiresAt > nowUnix())
	allowed := usable && corsAllowed(k, found, origin)
	setCORS(w.Header(), origin, allowed)
	if !allowed {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Signature, Signature-Input, Content-Digest")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}
