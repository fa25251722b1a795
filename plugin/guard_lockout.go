package plugin

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/plugin/limits"
)

// maxDelayedFailures bounds the failing answers held back at once (each
// holds a goroutine and its request); past it a failing request is answered
// at once with 429 and Retry-After instead of waiting.
const maxDelayedFailures = 256

// failureDelays is the process-wide count of failing answers being delayed.
var failureDelays = make(chan struct{}, maxDelayedFailures)

// addressLockedOut refuses, before credentials are looked at, a caller
// whose address has used up its failed authentications over all keys. It
// reports whether it answered. In the cluster mode it answers from the
// blocks this node has already read (no round trip): the address is read
// from Redis together with its key in keyLockedOut, so a block counted on
// other nodes refuses the request there, after its body is read.
func (g *Guard) addressLockedOut(w http.ResponseWriter, st *state, ev *evidence, opID string) bool {
	var blocked bool
	var retry time.Duration
	if st.shared != nil {
		blocked, retry = st.shared.KnownSourceBlock(ev.remoteIP)
	} else {
		blocked, retry = st.limiter.SourceBlocked(ev.remoteIP)
	}
	if blocked {
		observeLockout("address")
		g.denyLockedOut(w, retry, "too many failed authentications from this address", opID)
	}
	return blocked
}

// keyLockedOut refuses, before the policy runs, a caller whose address has
// used up its failed authentications for the key it names. Failures from
// other addresses never lock a key's holder out (see limits.KeyFailure).
func (g *Guard) keyLockedOut(w http.ResponseWriter, st *state, ev *evidence, opID string) bool {
	if st.shared != nil {
		return g.clusterLockedOut(w, st, ev, opID)
	}
	if ev.keyID == "" {
		return false
	}
	blocked, retry := st.limiter.Blocked(limits.KeySource(ev.keyID, ev.remoteIP))
	if blocked {
		observeLockout("key_address")
		g.denyLockedOut(w, retry, "too many failed authentications for this key from this address", opID)
	}
	return blocked
}

// clusterLockedOut is keyLockedOut and addressLockedOut of the cluster
// mode, read from Redis in one round trip. When Redis cannot be reached it
// refuses too: 503 with Retry-After.
func (g *Guard) clusterLockedOut(w http.ResponseWriter, st *state, ev *evidence, opID string) bool {
	subject := ""
	if ev.keyID != "" {
		subject = limits.KeySource(ev.keyID, ev.remoteIP)
	}
	lo, err := st.shared.Lockouts(ev.remoteIP, subject)
	return g.lockoutAnswered(w, lo, err, opID)
}

// lockoutAnswered answers a request whose blocks were read from Redis when
// one of them holds (or Redis could not be reached), and reports whether it
// did.
func (g *Guard) lockoutAnswered(w http.ResponseWriter, lo limits.Lockout, err error, opID string) bool {
	switch {
	case err != nil:
		g.countersUnavailable(w, opID, err)
	case lo.Address:
		observeLockout("address")
		g.denyLockedOut(w, lo.AddressRetry, "too many failed authentications from this address", opID)
	case lo.Key:
		observeLockout("key_address")
		g.denyLockedOut(w, lo.KeyRetry, "too many failed authentications for this key from this address", opID)
	default:
		return false
	}
	return true
}

// failedAuth counts a refused authentication for the address, the (key,
// address) pair and the key, and delays the failing answer when the key has
// more failures than its allowance over all addresses (reported once per
// period in the audit log). It reports whether it answered the request
// itself (a 429 when too many failing answers are already waiting).
func (g *Guard) failedAuth(w http.ResponseWriter, r *http.Request, st *state, ev *evidence, opID string) bool {
	observeFailedAuth()
	lim := st.limits()
	if err := lim.FailedSource(ev.remoteIP); err != nil {
		g.countersUnavailable(w, opID, err)
		return true
	}
	if ev.keyID == "" {
		return false
	}
	if err := lim.FailedAuth(limits.KeySource(ev.keyID, ev.remoteIP)); err != nil {
		g.countersUnavailable(w, opID, err)
		return true
	}
	delay, report, err := lim.KeyFailure(ev.keyID)
	if err != nil {
		g.countersUnavailable(w, opID, err)
		return true
	}
	if report {
		// The key id is what the caller sent, found or not: the entry must
		// not tell an admin less than what was tried, and holds no secret.
		_ = st.keys.Audit(keyring.AuditEntry{Actor: "-", Action: "key.auth_failures", Target: truncateID(ev.keyID),
			RemoteAddr: ev.remoteIP, Detail: "failed authentications for this key passed the allowance; failing answers are delayed"})
		g.logger.Warn("failed authentications for a key passed the allowance", zap.String("key_id", truncateID(ev.keyID)))
	}
	if delay <= 0 {
		return false
	}
	select {
	case failureDelays <- struct{}{}:
	default:
		observeLockout("key_delay_full")
		g.denyLockedOut(w, delay, "too many failed authentications for this key", opID)
		return true
	}
	defer func() { <-failureDelays }()
	observeLockout("key_delay")
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

// truncateID bounds a client-chosen key id before it is logged or audited.
func truncateID(id string) string {
	if len(id) > 64 {
		return fmt.Sprintf("%s…", id[:64])
	}
	return id
}

// countersUnavailable fails closed when the failed-authentication counters
// cannot be reached (cluster mode, Redis down): 105 with HTTP 503 and
// Retry-After, so that a correct credential cannot be told from a wrong one
// while nothing is counted.
func (g *Guard) countersUnavailable(w http.ResponseWriter, opID string, err error) {
	g.logger.Error("the shared failed-authentication counters (redis) could not be reached; refusing", zap.Error(err))
	setRetryAfter(w, time.Second)
	g.deny(w, unavailable("the request could not be checked; retry later"), nil, opID)
}

// denyLockedOut answers a caller blocked by the failed-authentication limit:
// 204 with HTTP 429 and Retry-After.
func (g *Guard) denyLockedOut(w http.ResponseWriter, retry time.Duration, detail, opID string) {
	setRetryAfter(w, retry)
	e := skyerr.New(skyerr.NotAuthenticated, detail).WithStatus(http.StatusTooManyRequests)
	g.deny(w, e, nil, opID)
}
