package plugin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/policies"
)

func init() {
	caddy.RegisterModule(Guard{})
}

// Guard is the API-security gateway in front of facegate_api or any other
// upstream. For every request it reads the credentials, verifies the secret
// or RFC 9421 signature, validates the parameters against the method's JSON
// Schema, asks OPA (data.facegate.decision) whether to allow it, and charges
// the limits the decision names. Response headers of the site (HSTS) are
// left to Caddy's header directive, as in the shipped Caddyfiles.
type Guard struct {
	// Mode is "api" (default: SkyBiometry /fc/ routes, answers in its
	// envelope) or "proxy" (any upstream; denials as application/problem+json,
	// the route is the URL path, api_secret is stripped before forwarding).
	Mode string `json:"mode,omitempty"`
	// Denials is "envelope" (default: a denial is answered at once,
	// SkyBiometry's envelope in api mode, problem+json in proxy mode) or
	// "errors": a denial is returned to Caddy as an HTTP error, for the
	// site's handle_errors routes ({http.error.status_code},
	// {http.error.message} and the facegate.* variables).
	Denials string `json:"denials,omitempty"`

	app    *App
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Guard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_guard",
		New: func() caddy.Module { return new(Guard) },
	}
}

// Provision finds the facegate app.
func (g *Guard) Provision(ctx caddy.Context) error {
	g.logger = ctx.Logger()
	initMetrics(ctx.GetMetricsRegistry())
	var err error
	if g.app, err = AppFrom(ctx, "facegate_guard"); err != nil {
		return err
	}
	if g.Mode == "" {
		g.Mode = "api"
	}
	return nil
}

// Validate checks the configuration.
func (g *Guard) Validate() error {
	if g.Mode != "api" && g.Mode != "proxy" {
		return fmt.Errorf("facegate_guard: mode must be api or proxy, not %q", g.Mode)
	}
	if g.Denials != "" && g.Denials != "envelope" && g.Denials != "errors" {
		return fmt.Errorf("facegate_guard: denials must be envelope or errors, not %q", g.Denials)
	}
	return nil
}

// ServeHTTP admits or refuses the request.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if uw := g.trackUsage(w); uw != nil {
		w = uw
		defer uw.record(r)
	}
	if g.Denials != "errors" {
		return g.serve(w, r, next)
	}
	rec := &denialRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	err := g.serve(rec, r, next)
	if rec.denied != nil {
		status := rec.denied.HTTPStatus
		if status == 0 || g.app.LegacyStatusCodes {
			status = http.StatusBadRequest
		}
		return caddyhttp.Error(status, rec.denied)
	}
	return err
}

// denialRecorder takes the guard's denial instead of answering it (denials
// errors); everything else passes through to the client's writer.
type denialRecorder struct {
	*caddyhttp.ResponseWriterWrapper
	denied *skyerr.Error
}

// serve is ServeHTTP with denials answered by deny.
func (g *Guard) serve(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	start := time.Now()
	opID := newOperationID()
	w.Header().Set("X-Operation-Id", opID)
	w = g.answerWriter(w, urlFormat(r)) // XML calls get XML denials too
	st := g.app.awaitState(r.Context())
	if st == nil {
		g.deny(w, unavailable("facegate is starting"), nil, opID)
		return nil
	}
	if g.Mode == "api" && isPreflight(r) {
		g.preflight(w, r, st)
		return nil
	}
	ev := &evidence{remoteIP: clientAddr(r)}
	// A locked-out address is refused before its body is read.
	if g.addressLockedOut(w, st, ev, opID) {
		return nil
	}
	var gate bodyGate
	call, ferr := g.readCall(r, st, &gate)
	if ferr != nil {
		if gate.unreadable { // fail closed, not counted (see lookupErr below)
			g.deny(w, unavailable("the key store is unreachable; retry later"), nil, opID)
			return nil
		}
		if gate.refused { // counted like any failed authentication
			ev.keyID = gate.keyID
			noteKey(w, gate.keyID)
			if g.keyLockedOut(w, st, ev, opID) || g.failedAuth(w, r, st, ev, opID) {
				return nil
			}
		}
		g.deny(w, ferr, nil, opID)
		return nil
	}
	w = g.resolveFormat(w, call)
	// Secrets never travel in clear text, whatever the policies say.
	if r.TLS == nil && (call.Params["api_secret"] != "" || r.Header.Get("X-Api-Secret") != "") {
		e := skyerr.New(skyerr.Authorization, "api_secret is refused over plain HTTP: use HTTPS")
		g.deny(w, e, nil, opID)
		return nil
	}
	g.authenticate(r, st, call, ev)
	if ev.lookupErr != nil {
		// Fail closed, and not as a failed authentication: the key may exist.
		g.logger.Warn("reading the caller's key failed; answering 105", zap.Error(ev.lookupErr))
		g.deny(w, unavailable("the key store is unreachable; retry later"), nil, opID)
		return nil
	}
	if ev.origin != "" {
		setCORS(w.Header(), ev.origin, corsAllowed(ev.key, ev.found, ev.origin))
	}
	// The cluster mode reads this block with the limits (guard_cluster.go).
	if st.shared == nil && g.keyLockedOut(w, st, ev, opID) {
		return nil
	}
	in := g.policyInput(r, st, call, ev)
	decision := st.currentDecider().Decide(r.Context(), in)
	if st.shared != nil {
		return g.serveCluster(w, r, next, st, call, ev, in, decision, start, opID)
	}
	g.noteDecision(r, call.Route, ev, decision, start)
	if !decision.Allow {
		g.refuse(w, r, st, ev, decision, opID)
		return nil
	}
	// A signed request created after the current second (a client clock
	// ahead) is served only once its nonce is journaled, so that it cannot
	// be replayed after a crash; if the journal cannot be written, fail
	// closed. Earlier ones are refused after any restart (see nonceGuard).
	if ev.nonce != nil {
		if err := ev.nonce.Wait(r.Context()); err != nil {
			setRetryAfter(w, time.Second)
			g.deny(w, unavailable("the request could not be recorded; retry with a new signature"), nil, opID)
			return nil
		}
	}
	// What facegate_api would refuse without doing any work is refused
	// before the limits are charged (guard_precheck.go).
	if perr := g.precheck(st, call, ev.key); perr != nil {
		g.denyPrecheck(w, perr, opID)
		return nil
	}
	grant, usage, lerr := g.charge(w, st, ev.key.ID, decision.Limits)
	if lerr != nil {
		g.deny(w, lerr, usage, opID)
		return nil
	}
	defer grant.Release()
	return g.serveAdmitted(w, r, next, st, call, ev, usage, opID)
}

// serveAdmitted hands a request whose limits are charged to the next
// handler (the caller releases the grant when it returns).
func (g *Guard) serveAdmitted(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, st *state, call *fcRequest, ev *evidence, usage *service.Usage, opID string) error {
	addInFlight(1)
	defer addInFlight(-1)
	st.keys.Touch(ev.key.ID)
	if n := call.images(); n > 0 && guardMetrics.images != nil {
		guardMetrics.images.WithLabelValues(knownRoute(call.Route)).Add(float64(n))
	}
	noteImages(w, call.images())

	ctx := withAdmitted(r.Context(), &admitted{Key: ev.key, Request: call, Usage: usage, OperationID: opID})
	r = r.WithContext(ctx)
	if g.Mode == "proxy" {
		stripSecrets(r)
	}
	if ev.sig != nil && ev.sigSecret != nil {
		return serveSigned(w, r, next, ev.sig, ev.sigSecret)
	}
	return next.ServeHTTP(w, r)
}

// noteDecision logs, counts and exposes (Caddy variables) the decision
// that answers the request.
func (g *Guard) noteDecision(r *http.Request, route string, ev *evidence, d policies.Decision, start time.Time) {
	g.logDecision(route, ev, d, start)
	setDecisionVars(r, ev, route, d)
	observeDecision(g.Mode, route, d.Allow, d.Reason, time.Since(start))
}

// refuse answers a request the policy refused; a failed authentication is
// counted (and its answer maybe delayed) first.
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, st *state, ev *evidence, d policies.Decision, opID string) {
	if skyerr.IsAuthFailure(d.ErrorCode) && g.failedAuth(w, r, st, ev, opID) {
		return
	}
	g.deny(w, decisionError(d), nil, opID)
}

// denyPrecheck answers a request that precheck refused.
func (g *Guard) denyPrecheck(w http.ResponseWriter, perr *skyerr.Error, opID string) {
	setIndexRetryAfter(w, perr)
	g.deny(w, perr, nil, opID)
}

// nowUnix is the wall clock in unix seconds (key expiry is in seconds).
func nowUnix() int64 { return time.Now().Unix() }

// deny answers a refused request in the mode's format (or hands it to
// Caddy's error routes, with denials errors).
func (g *Guard) deny(w http.ResponseWriter, err *skyerr.Error, usage *service.Usage, opID string) {
	observeDenial(err.Code)
	noteDenial(w, err.Code)
	if rec, ok := w.(*denialRecorder); ok {
		rec.denied = err
		return
	}
	if g.Mode == "proxy" {
		writeProblem(w, err, opID)
		return
	}
	writeFCError(w, err, usage, opID, g.app.LegacyStatusCodes)
}

// decisionError turns a denying decision into SkyBiometry's error (the
// decider only hands out denials with a known code and a 4xx/5xx status).
func decisionError(d policies.Decision) *skyerr.Error {
	return skyerr.New(d.ErrorCode, d.Detail).WithStatus(d.Status)
}

// logDecision writes one decision log line: no secrets, no biometrics.
// Denials are logged at INFO; allowed decisions, one per request served,
// at DEBUG (a request log is Caddy's access log, with the decision's
// variables appended: docs/operations.md), so that the check comes first
// and a server at INFO builds no line for them.
func (g *Guard) logDecision(route string, ev *evidence, d policies.Decision, start time.Time) {
	level := zapcore.InfoLevel
	if d.Allow {
		level = zapcore.DebugLevel
	}
	ce := g.logger.Check(level, "decision")
	if ce == nil {
		return
	}
	ce.Write(
		zap.String("key_id", ev.keyID),
		zap.String("route", route),
		zap.String("auth_mode", ev.mode),
		zap.Bool("allow", d.Allow),
		zap.Int("error_code", d.ErrorCode),
		zap.String("reason", d.Reason),
		zap.String("remote_ip", ev.remoteIP),
		zap.Duration("latency", time.Since(start)),
	)
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Guard)(nil)
	_ caddy.Validator             = (*Guard)(nil)
	_ caddyhttp.MiddlewareHandler = (*Guard)(nil)
)
