package plugin

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/policies"
)

// charge applies the limits the policy named for this request. On success
// it returns the grant (release it when the request is done) and the usage
// block; on refusal the 202/203 error with Retry-After and RateLimit headers.
func (g *Guard) charge(w http.ResponseWriter, st *state, subject string, decided []policies.Limit) (limits.Grant, *service.Usage, *skyerr.Error) {
	grant, denial := st.limits().Acquire(subject, limitSpecs(decided))
	usage, err := g.chargeAnswer(w, grant, denial)
	return grant, usage, err
}

// limitSpecs are the limiter's specs of the limits a decision named.
func limitSpecs(decided []policies.Limit) []limits.Spec {
	specs := make([]limits.Spec, len(decided))
	for i, l := range decided {
		specs[i] = limits.Spec{Name: l.Name, Kind: l.Kind, Rate: l.Rate, PerS: l.PerS, Burst: l.Burst, Count: l.Count, Cost: l.Cost}
	}
	return specs
}

// chargeAnswer sets the headers of a charge and returns its usage block,
// or the error to answer when the limiter refused.
func (g *Guard) chargeAnswer(w http.ResponseWriter, grant limits.Grant, denial limits.Denial) (*service.Usage, *skyerr.Error) {
	if denial.Denied() {
		observeLimitRefusal(denial.Kind)
		usage := usageBlock(denial.Usage)
		setRateHeaders(w, denial.Policy, denial.RateLimit)
		if denial.Kind == limits.KindInvalid {
			g.logger.Error("policy returned unusable limits; refusing (fail closed)")
			return usage, internalError("the request could not be admitted")
		}
		if denial.Kind == limits.KindUnavailable { // cluster mode, Redis unreachable: fail closed
			g.logger.Error("the shared limits (redis) could not be reached; refusing", zap.Error(denial.Err))
			setRetryAfter(w, denial.RetryAfter)
			return nil, unavailable("the request could not be counted against its limits; retry later")
		}
		setRetryAfter(w, denial.RetryAfter)
		e := skyerr.New(denial.Code, "%s limit %q reached", denial.Kind, denial.Name)
		return usage, e
	}
	setRateHeaders(w, grant.Policy, grant.RateLimit)
	return usageBlock(grant.Usage), nil
}

// usageBlock is SkyBiometry's `usage` for the limiter's view of a key.
func usageBlock(u limits.Usage) *service.Usage {
	reset := u.Reset
	if reset.IsZero() {
		reset = time.Now()
	}
	return &service.Usage{
		Used:          u.Used,
		Remaining:     u.Remaining,
		Limit:         u.Limit,
		ResetTime:     reset.Unix(),
		ResetTimeText: resetText(reset.Unix()),
	}
}

// resetText formats a reset time as SkyBiometry does, remembering the last
// one: the requests of a quota window share their reset second.
func resetText(unix int64) string {
	if last := lastResetText.Load(); last != nil && last.unix == unix {
		return last.text
	}
	t := &unixText{unix: unix, text: time.Unix(unix, 0).UTC().Format("Mon, 2 January 2006 15:04:05 -0700")}
	lastResetText.Store(t)
	return t.text
}

type unixText struct {
	unix int64
	text string
}

var lastResetText atomic.Pointer[unixText]

func setRateHeaders(w http.ResponseWriter, policy, state string) {
	if policy != "" {
		w.Header().Set("RateLimit-Policy", policy)
	}
	if state != "" {
		w.Header().Set("RateLimit", state)
	}
}

// setRetryAfter sets Retry-After in whole seconds, at least 1.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	s := int((d + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(s, 1)))
}
