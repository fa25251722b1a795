package plugin

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/plugin/httpsig"
)

// isNoSignature reports whether a signature parse error just means "none".
func isNoSignature(err error) bool { return errors.Is(err, httpsig.ErrNoSignature) }

// serveSigned runs next with the answer buffered, then signs it (RFC 9421,
// covering @status and content-digest, bound to the request's signature) so
// that the client can verify the answer end to end.
func serveSigned(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, reqSig *httpsig.Parsed, secret *httpsig.Key) error {
	var buf bytes.Buffer
	rec := caddyhttp.NewResponseRecorder(w, &buf, func(int, http.Header) bool { return true })
	if err := next.ServeHTTP(rec, r); err != nil {
		return err
	}
	if !rec.Buffered() {
		return nil
	}
	status := rec.Status()
	if status == 0 {
		status = http.StatusOK
	}
	body := buf.Bytes()
	if err := secret.SignResponse(rec.Header(), status, body, reqSig, time.Now()); err != nil {
		return err
	}
	rec.Header().Set("Content-Length", strconv.Itoa(len(body)))
	return rec.WriteResponse()
}
