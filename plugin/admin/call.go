package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/keyring"
)

// errNotAvailable answers 501 for hooks the backend does not provide.
var errNotAvailable = errors.New("not available in this server")

// call is an authenticated admin call.
type call struct {
	api    *API
	kr     *keyring.Keyring
	admin  string
	remote string
	// session is the id (hash) of the admin session the call was made
	// with, "" for a call with a TOTP code.
	session string
	note    string // extra audit detail (never a secret)
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// handlerFunc is a route handler of an authenticated call.
type handlerFunc func(c *call, w http.ResponseWriter, r *http.Request)

// wrap turns a handlerFunc into an http.HandlerFunc for the mux.
func wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := r.Context().Value(callKey{}).(*call)
		if !ok {
			WriteProblem(w, http.StatusUnauthorized, errAuth, "not authenticated")
			return
		}
		h(c, w, r)
	}
}

// writeJSON answers status with v as JSON, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// answer writes {name: v} with status, or the error err.
func (c *call) answer(w http.ResponseWriter, status int, name string, v any, err error) {
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, status, map[string]any{name: v})
}

// fail answers an error from the keyring or a hook.
func (c *call) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, errNotAvailable) {
		WriteProblem(w, http.StatusNotImplemented, errUnavailable, err.Error())
		return
	}
	status, code := statusOf(err)
	detail := err.Error()
	if status == http.StatusInternalServerError {
		c.api.opts.Logger.Error("admin API call failed", zap.String("admin", c.admin), zap.Error(err))
		detail = "internal error"
	}
	WriteProblem(w, status, code, detail)
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// probeWriter captures what the mux's not-found / method-not-allowed
// handler would write, so the API can answer a problem document instead.
type probeWriter struct {
	header http.Header
	code   int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }

func (p *probeWriter) WriteHeader(code int) { p.code = code }
