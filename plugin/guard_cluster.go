package plugin

import (
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/policies"
)

// serveCluster ends serve in the cluster mode, where a request the policy
// allows costs one round trip to Redis in every auth mode: the caller's
// failed-authentication blocks, a signature's nonce and every limit are
// checked, and the limits charged and the nonce recorded all together or
// not at all, by one script (limits.Redis.Admit). A request refused before
// it (by the policy or a precheck) reads the blocks and the nonce in one
// round trip first (limits.Redis.Inspect). The answers are the embedded
// mode's, which reads the blocks before the policy and gives it the nonce's
// freshness: a blocked caller is answered 429 without its decision being
// logged, and a replay is decided again by the policy with
// auth.signature.replayed set. One difference: a signed request refused by
// a limit or a precheck does not record its nonce (it was not served).
func (g *Guard) serveCluster(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, st *state, call *fcRequest,
	ev *evidence, in *policies.Input, decision policies.Decision, start time.Time, opID string) error {
	checks := limits.Checks{Address: ev.remoteIP}
	if ev.keyID != "" {
		checks.KeySource = limits.KeySource(ev.keyID, ev.remoteIP)
	}
	if ev.sigSecret != nil { // a valid signature: its nonce (see redisNonces)
		checks.NonceKey = st.sharedNonces.key(ev.keyID, ev.sig.Nonce)
		checks.NonceTTL = st.sharedNonces.ttl(signatureExpiry(ev.sig))
	}
	// At most twice: a replay found on the first pass is decided again, and
	// the second pass checks no nonce.
	for {
		var perr *skyerr.Error
		if decision.Allow {
			if perr = g.precheck(st, call, ev.key); perr == nil {
				grant, denial := st.shared.Admit(ev.key.ID, limitSpecs(decision.Limits), checks)
				switch denial.Kind {
				case limits.KindBlocked:
					g.lockoutAnswered(w, limits.Lockout{Address: denial.Name == "address", Key: denial.Name != "address",
						AddressRetry: denial.RetryAfter, KeyRetry: denial.RetryAfter}, nil, opID)
					return nil
				case limits.KindReplayed:
					decision = g.decideReplayed(r, st, ev, in)
					checks.NonceKey = ""
					continue
				}
				g.noteDecision(r, call.Route, ev, decision, start)
				usage, lerr := g.chargeAnswer(w, grant, denial)
				if lerr != nil {
					g.deny(w, lerr, usage, opID)
					return nil
				}
				defer grant.Release()
				return g.serveAdmitted(w, r, next, st, call, ev, usage, opID)
			}
		}
		lo, replayed, err := st.shared.Inspect(checks)
		if g.lockoutAnswered(w, lo, err, opID) {
			return nil
		}
		if replayed {
			decision = g.decideReplayed(r, st, ev, in)
			checks = limits.Checks{} // the blocks are read
			if decision.Allow && perr == nil {
				continue // a policy that serves replays
			}
		}
		g.noteDecision(r, call.Route, ev, decision, start)
		if !decision.Allow {
			g.refuse(w, r, st, ev, decision, opID)
			return nil
		}
		g.denyPrecheck(w, perr, opID)
		return nil
	}
}

// decideReplayed decides again on a request whose nonce another request
// used first.
func (g *Guard) decideReplayed(r *http.Request, st *state, ev *evidence, in *policies.Input) policies.Decision {
	ev.replayed = true
	in.Auth.Signature.Replayed = true
	return st.currentDecider().Decide(r.Context(), in)
}
