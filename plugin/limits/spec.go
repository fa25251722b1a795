package limits

import (
	"fmt"
	"math"
	"time"

	"github.com/facegate/facegate/engine/skyerr"
)

// Kinds of limit.
const (
	// KindRate is a GCRA rate limit: Rate units per PerS seconds, at most
	// Burst at once. A request costs max(Cost, 1) units.
	KindRate = "rate"
	// KindConcurrency allows Count requests in flight; Grant.Release frees a slot.
	KindConcurrency = "concurrency"
	// KindQuota allows Count units per fixed window of PerS seconds (aligned
	// to Unix time); a request is charged Cost units (its images), 0 is free.
	KindQuota = "quota"
)

// SkyBiometry error codes carried by a Denial (names for skyerr's, kept for this package's callers).
const (
	// CodeQuota is API_KEY_USAGE_PASSED_QUOTA; also used for rate denials,
	// since SkyBiometry has no separate rate code.
	CodeQuota = skyerr.Quota
	// CodeConcurrency is API_KEY_CONCURRENT_USAGE_PASSED_QUOTA.
	CodeConcurrency = skyerr.Concurrency
)

// Spec is one limit to apply, as decided by the policy.
type Spec struct {
	Name, Kind string
	Rate, PerS float64
	Burst      int
	Count      int
	Cost       int
}

// maxCost bounds a request's cost; maxSpan bounds interval×burst (ns) so
// that GCRA arithmetic cannot overflow int64.
const (
	maxCost = 1 << 30
	maxSpan = 1e18
)

// maxNameLen bounds spec names (they appear in headers and state keys).
const maxNameLen = 64

// Validate reports whether s can be enforced.
func (s Spec) Validate() error {
	if s.Name == "" || len(s.Name) > maxNameLen {
		return fmt.Errorf("limit name must be 1 to %d characters", maxNameLen)
	}
	for i := 0; i < len(s.Name); i++ {
		if c := s.Name[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("limit %q: name must be printable ASCII without quotes or spaces", s.Name)
		}
	}
	if s.Cost < 0 || s.Cost > maxCost {
		return fmt.Errorf("limit %s: cost must be between 0 and %d", s.Name, maxCost)
	}
	switch s.Kind {
	case KindRate:
		if !(s.Rate > 0) || !(s.PerS > 0) || math.IsInf(s.Rate, 0) || math.IsInf(s.PerS, 0) {
			return fmt.Errorf("limit %s: rate and per_s must be positive and finite", s.Name)
		}
		if s.Burst < 1 {
			return fmt.Errorf("limit %s: burst must be at least 1", s.Name)
		}
		if s.interval() < 1 || float64(s.interval())*float64(s.Burst) > maxSpan {
			return fmt.Errorf("limit %s: rate, per_s and burst out of range", s.Name)
		}
	case KindQuota:
		if s.Count < 0 || !(s.PerS >= 1) || s.PerS > 10*365*24*3600 {
			return fmt.Errorf("limit %s: quota needs count >= 0 and 1 s <= per_s <= 10 years", s.Name)
		}
	case KindConcurrency:
		if s.Count < 0 {
			return fmt.Errorf("limit %s: negative count", s.Name)
		}
	default:
		return fmt.Errorf("limit %s: unknown kind %q", s.Name, s.Kind)
	}
	return nil
}

// interval is the GCRA emission interval: nanoseconds per unit.
func (s Spec) interval() int64 {
	return int64(s.PerS * float64(time.Second) / s.Rate)
}

// window is the quota window length in nanoseconds.
func (s Spec) window() int64 { return int64(s.PerS * float64(time.Second)) }

// rateCost is what a request costs a rate limit.
func (s Spec) rateCost() int64 {
	if s.Cost < 1 {
		return 1
	}
	return int64(s.Cost)
}
