package admin

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/facegate/facegate/plugin/keyring"
)

// problemType values for the `error` extension member of a problem, so
// that clients can react without parsing the detail text.
const (
	errAuth       = "admin_auth_failed"
	errCodeReused = "totp_code_reused"
	// errSessionExpired: the token and session match, but the session
	// expired or was closed; open a new one.
	errSessionExpired   = "admin_session_expired"
	errSessionNeedsCode = "session_needs_totp"
	errLockedOut        = "locked_out"
	errBadRequest       = "bad_request"
	errNotFound         = "not_found"
	errConflict         = "conflict"
	errGone             = "gone"
	errInternal         = "internal"
	errUnavailable      = "unavailable"
	errHTTPS            = "https_required"
	errMethod           = "method_not_allowed"
)

// Problem is an RFC 9457 problem details object, with `error`, a stable
// machine-readable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error"`
}

// WriteProblem answers status with a problem document (the admin API's and
// the console's).
func WriteProblem(w http.ResponseWriter, status int, code, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Error: code,
	})
}

// authProblem answers a failed admin authentication: 429 with Retry-After
// for a lockout, else 401 with a generic detail.
func authProblem(w http.ResponseWriter, err error) {
	var le *keyring.LockoutError
	switch {
	case errors.As(err, &le):
		secs := int(math.Ceil(le.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		WriteProblem(w, http.StatusTooManyRequests, errLockedOut, "too many failed authentications; retry later")
	case errors.Is(err, keyring.ErrSessionExpired):
		w.Header().Set("WWW-Authenticate", `Bearer realm="facegate-admin"`)
		WriteProblem(w, http.StatusUnauthorized, errSessionExpired,
			"admin session expired or closed; open a new one with POST /sessions and a TOTP code")
	case errors.Is(err, keyring.ErrCodeReused):
		w.Header().Set("WWW-Authenticate", `Bearer realm="facegate-admin"`)
		WriteProblem(w, http.StatusUnauthorized, errCodeReused, "TOTP code already used; wait for the next code")
	case errors.Is(err, keyring.ErrAdminAuth):
		w.Header().Set("WWW-Authenticate", `Bearer realm="facegate-admin"`)
		WriteProblem(w, http.StatusUnauthorized, errAuth,
			"admin authentication failed: send Authorization: Bearer <admin token> and X-TOTP-Code: <6 digits>, or Authorization: Bearer <admin token>.<admin session>")
	default:
		WriteProblem(w, http.StatusInternalServerError, errInternal, "internal error")
	}
}

// statusOf maps a keyring error to an HTTP status and problem code; the
// detail is the error text (keyring errors carry no secret).
func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, errBody), errors.Is(err, errParam), errors.Is(err, keyring.ErrInvalid):
		return http.StatusBadRequest, errBadRequest
	case errors.Is(err, keyring.ErrNotFound):
		return http.StatusNotFound, errNotFound
	case errors.Is(err, keyring.ErrExists), errors.Is(err, keyring.ErrBadTransition),
		errors.Is(err, keyring.ErrNamespaceOwner), errors.Is(err, keyring.ErrLastAdmin):
		return http.StatusConflict, errConflict
	case errors.Is(err, keyring.ErrQRGone):
		return http.StatusGone, errGone
	}
	return http.StatusInternalServerError, errInternal
}
