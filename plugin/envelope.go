package plugin

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// jsonpName is the only shape a JSONP callback name may have (docs/security.md §4).
var jsonpName = regexp.MustCompile(`^[A-Za-z_$][\w$.]{0,63}$`)

// newOperationID returns SkyBiometry's per-request operation_id (32 hex).
func newOperationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// failure builds SkyBiometry's failure envelope for err.
func failure(err *skyerr.Error, usage *service.Usage, opID string) *service.Response {
	return &service.Response{
		Status:       "failure",
		ErrorCode:    err.Code,
		ErrorMessage: err.Error(),
		Usage:        usage,
		OperationID:  opID,
	}
}

// writeFCError answers a /fc/ request with err in SkyBiometry's envelope,
// in XML when the call asked for it (answersXML). A 503 (error 105) always
// carries Retry-After: the caller's, or one second.
func writeFCError(w http.ResponseWriter, err *skyerr.Error, usage *service.Usage, opID string, legacy bool) {
	status := err.HTTPStatus
	if status == 0 {
		status = http.StatusBadRequest
	}
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		setRetryAfter(w, time.Second) // temporarily unavailable: say when to retry
	}
	if legacy {
		status = http.StatusBadRequest
	}
	writeAnswer(w, status, failure(err, usage, opID), "")
}

// writeJSON encodes v with the standard (HTML-escaping) encoder. With a valid
// callback it answers JSONP as application/javascript with nosniff.
func writeJSON(w http.ResponseWriter, status int, v any, callback string) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, `{"status":"failure","error_code":104,"error_message":"INTERNAL_ERROR - encoding failed"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	body := buf.Bytes()
	if callback != "" {
		h.Set("Content-Type", "application/javascript; charset=utf-8")
		body = append(append([]byte("/**/"+callback+"("), bytes.TrimSpace(body)...), ");\n"...)
	} else {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// problem is an RFC 9457 problem document, used for proxied upstreams.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	ErrorCode int    `json:"error_code,omitempty"`
	Operation string `json:"operation_id,omitempty"`
}

// writeProblem answers a proxied request's denial as application/problem+json.
func writeProblem(w http.ResponseWriter, err *skyerr.Error, opID string) {
	status := err.HTTPStatus
	if status == 0 {
		status = http.StatusBadRequest
	}
	body, _ := json.Marshal(problem{
		Type:      "https://facegate.dev/problems/" + err.Name,
		Title:     err.Name,
		Status:    status,
		Detail:    err.Detail,
		ErrorCode: err.Code,
		Operation: opID,
	})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
