package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/plugin/keyring"
)

// evidence is what Go established about the caller; Rego decides on it.
type evidence struct {
	keyID     string
	found     bool
	lookupErr error // the key could not be read (store unreachable): neither found nor unknown
	key       keyring.Key
	mode      string // secret, signature, domain or none
	secretOK  bool
	sig       *httpsig.Parsed
	sigResult httpsig.Result
	sigErr    string
	replayed  bool
	nonce     *nonceCommit // the journal write of a fresh nonce, awaited before serving
	sigSecret *httpsig.Key // the (prepared) secret that verified the signature, to sign the answer
	certSHA   string
	origin    string
	remoteIP  string // the client address (clientAddr), found once per request
}

// readCall reads the body (bounded; gated on credentials past preAuthBody,
// see readGatedBody, recording in gate what the gate saw) and the
// parameters of the request.
func (g *Guard) readCall(r *http.Request, st *state, gate *bodyGate) (*fcRequest, *skyerr.Error) {
	lim := g.app.Limits
	call := &fcRequest{Format: "json"}
	if g.Mode == "proxy" {
		call.Route = r.URL.Path
	} else {
		call.Route, call.Format, _ = parseRoute(r.URL.Path)
	}
	body, err := readGatedBody(r, lim.MaxBody, gate.known(g, r, st), gate.inBody(r, st))
	if err != nil {
		return nil, err
	}
	call.Body = body
	if g.Mode == "proxy" {
		call.Params = map[string]string{}
		mergeValues(call.Params, r.URL.Query())
		return call, nil
	}
	call.Params, call.Files, err = parseParams(r, body, lim)
	if err != nil {
		return nil, err
	}
	return call, nil
}

// authenticate gathers into ev the facts about the caller's credentials:
// which key, whether its secret or signature checks out, whether the nonce
// is fresh, which client certificate and Origin it came with.
func (g *Guard) authenticate(r *http.Request, st *state, call *fcRequest, ev *evidence) {
	ev.mode, ev.origin = "none", r.Header.Get("Origin")
	ev.keyID = call.Params["api_key"]
	secret, hasSecret := call.Params["api_secret"]
	if g.Mode == "proxy" {
		if h := r.Header.Get("X-Api-Key"); h != "" {
			ev.keyID = h
		}
		if h := r.Header.Get("X-Api-Secret"); h != "" {
			secret, hasSecret = h, true
		}
	}
	sig, sigErr := httpsig.ParseRequest(r.Header)
	switch {
	case sigErr == nil:
		ev.mode, ev.sig = "signature", sig
		if ev.keyID == "" || ev.keyID == sig.KeyID {
			ev.keyID = sig.KeyID
		} else {
			ev.sigErr = "keyid does not match api_key"
		}
	case !isNoSignature(sigErr):
		ev.mode, ev.sigErr = "signature", "malformed signature headers"
	case hasSecret:
		ev.mode = "secret"
	case ev.origin != "":
		ev.mode = "domain"
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		ev.certSHA = hex.EncodeToString(sum[:])
	}
	// A read-only view: the key's lists are only read (policy input, CORS).
	// A key that could not be read is not an unknown key: the caller
	// answers 105 rather than a misleading 401 counted as a failure.
	switch k, err := st.keys.View(ev.keyID); {
	case err == nil && ev.keyID != "":
		ev.found, ev.key = true, k
	case err != nil && !errors.Is(err, keyring.ErrNotFound):
		ev.lookupErr = err
		return
	}
	// Always run the comparison, also for unknown ids, so that timing does
	// not tell which key ids exist.
	if hasSecret {
		ev.secretOK = st.keys.CheckSecret(ev.keyID, secret) && ev.found
	}
	if ev.sig != nil && ev.found && ev.sigErr == "" {
		g.verifySignature(r, st, call, ev)
	}
}

// verifySignature checks the RFC 9421 signature with each of the key's
// current secrets and records the nonce of a valid one.
func (g *Guard) verifySignature(r *http.Request, st *state, call *fcRequest, ev *evidence) {
	secrets, err := st.keys.SigningKeys(ev.keyID)
	if err != nil {
		ev.sigErr = "no signing secret"
		return
	}
	now := time.Now()
	for _, secret := range secrets {
		res, err := secret.Verify(r, call.Body, ev.sig, now)
		ev.sigResult = res
		if err == nil && res.Valid {
			ev.sigSecret, ev.sigErr = secret, "" // an earlier secret's failure no longer counts
			ev.replayed, ev.nonce = st.nonceSeen(ev.keyID, ev.sig.Nonce, ev.sig.Created, signatureExpiry(ev.sig))
			return
		}
		if err != nil {
			ev.sigErr = err.Error()
		}
	}
}

// signatureExpiry is when a signature stops being valid: its expires
// parameter, or httpsig.MaxAge after its creation.
func signatureExpiry(sig *httpsig.Parsed) time.Time {
	if sig.Expires > 0 {
		return time.Unix(sig.Expires, 0)
	}
	return time.Unix(sig.Created, 0).Add(httpsig.MaxAge)
}

// clientAddr is the client's IP, as Caddy determined it (trusted proxies
// honoured), falling back to the connection's address.
func clientAddr(r *http.Request) string {
	if v, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && v != "" {
		return v
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// stripSecrets removes api_secret from what is forwarded to an upstream.
func stripSecrets(r *http.Request) {
	r.Header.Del("X-Api-Secret")
	q := r.URL.Query()
	if q.Has("api_secret") {
		q.Del("api_secret")
		r.URL.RawQuery = q.Encode()
	}
}
