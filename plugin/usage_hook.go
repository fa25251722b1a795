package plugin

import (
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/internal/usage"
)

// usageWriter follows one call through the guard for the usage recorder:
// the guard notes the images of an admitted call and the error of a
// denial on it; the key and route come from the decision's variables.
type usageWriter struct {
	caddyhttp.ResponseWriterWrapper
	st     *state
	start  time.Time
	images int
	denied bool
	reason string
	keyID  string // a key refused before the decision (body gate)
}

// trackUsage wraps w for the recorder (nil when there is none); call
// record once the call is over.
func (g *Guard) trackUsage(w http.ResponseWriter) *usageWriter {
	st := g.app.state.Load()
	if st == nil || st.usage == nil {
		return nil
	}
	return &usageWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, st: st, start: time.Now()}
}

// record adds the call to the recorder. A key refused by the body gate is
// tracked when it exists.
func (uw *usageWriter) record(r *http.Request) {
	e := usageEvent(r, uw, uw.start)
	if e.Key == usage.NoKey && uw.keyID != "" {
		if _, err := uw.st.keys.View(uw.keyID); err == nil {
			e.Key = uw.keyID
		}
	}
	uw.st.usage.Record(e)
}

// usageEvent is the call as the recorder counts it. Only keys that exist
// are tracked one by one (the owner variable is set only for them), so
// that key ids chosen by clients cannot fill the recorder.
func usageEvent(r *http.Request, uw *usageWriter, start time.Time) usage.Event {
	e := usage.Event{Key: usage.NoKey, Route: usage.OtherRoute, At: start, Latency: time.Since(start),
		Images: uw.images, Denied: uw.denied}
	ctx := r.Context()
	if owner, _ := caddyhttp.GetVar(ctx, varOwner).(string); owner != "" {
		if id, _ := caddyhttp.GetVar(ctx, varKeyID).(string); id != "" {
			e.Key = id
		}
	}
	if route, _ := caddyhttp.GetVar(ctx, varRoute).(string); route != "" {
		e.Route = knownRoute(route)
	}
	// The SkyBiometry error name, whatever refused the call (as
	// facegate_guard_denials_total counts them): the same cause has the
	// same name whether the body gate or the policy refused it.
	e.Reason = uw.reason
	return e
}

// usageOf finds the usageWriter under w's wrappers (nil when there is none).
func usageOf(w http.ResponseWriter) *usageWriter { return wrapped[*usageWriter](w) }

// noteDenial records on w's usageWriter that the guard refused the call.
func noteDenial(w http.ResponseWriter, code int) {
	if uw := usageOf(w); uw != nil {
		uw.denied = true
		uw.reason = skyerr.Name(code)
		if uw.reason == "" {
			uw.reason = "other"
		}
	}
}

// noteKey records on w's usageWriter the key id of a call refused before
// its decision.
func noteKey(w http.ResponseWriter, keyID string) {
	if uw := usageOf(w); uw != nil {
		uw.keyID = keyID
	}
}

// noteImages records on w's usageWriter the images of an admitted call.
func noteImages(w http.ResponseWriter, n int) {
	if uw := usageOf(w); uw != nil {
		uw.images = n
	}
}

// Usage answers a usage query from the recorder (the admin API's GET
// /usage).
func (a *App) Usage(q usage.Query) (usage.Report, error) {
	st := a.state.Load()
	if st == nil || st.usage == nil {
		return usage.Report{}, errNotStarted
	}
	return st.usage.Query(q)
}
