package limits

import (
	"fmt"
	"net/http"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/engine/skyerr"
)

// Checks are what Redis.Admit checks in the same script as the limits,
// before them, so that an admitted request costs one round trip whatever
// its auth mode: the failed-authentication blocks of the caller's address
// (Source) and of its (key, address) pair (KeySource), read as Lockouts
// reads them, and a signed request's nonce. The nonce is recorded only
// when the request is admitted: a request refused by a block or a limit
// leaves no trace, so that its signature stays usable once, as a request
// that was never served.
type Checks struct {
	// Address is the client's address; "" checks no address block.
	Address string
	// KeySource is a KeySource subject; "" checks no (key, address) block.
	KeySource string
	// NonceKey is the Redis key that records a signature's nonce (whoever
	// writes it elsewhere writes the same key); "" for an unsigned request.
	NonceKey string
	// NonceTTL is how long the nonce is kept (at least 1 ms).
	NonceTTL time.Duration
}

// Kinds of refusal by Admit's checks. Nothing is charged or recorded.
const (
	// KindBlocked is a failed-authentication block: Name is "address"
	// (the address over all keys) or "key_address"; RetryAfter is when
	// the block ends.
	KindBlocked = "blocked"
	// KindReplayed is a nonce recorded before, by any node.
	KindReplayed = "replayed"
)

// checkDenial is the Denial of a script answer that refused on c.
func (r *Redis) checkDenial(res acquireResult, c Checks) Denial {
	retry := time.Duration(res.retry) * time.Microsecond
	switch res.worst {
	case -1:
		r.rememberBlock(c.Address, time.UnixMicro(res.nowUS).Add(retry))
		return Denial{Kind: KindBlocked, Name: "address", RetryAfter: retry, Code: skyerr.NotAuthenticated, Status: http.StatusTooManyRequests}
	case -2:
		return Denial{Kind: KindBlocked, Name: "key_address", RetryAfter: retry, Code: skyerr.NotAuthenticated, Status: http.StatusTooManyRequests}
	case -3:
		return Denial{Kind: KindReplayed, Code: skyerr.NotAuthenticated, Status: http.StatusUnauthorized}
	}
	return unavailableDenial(errAnswer)
}

// Inspect reads, changing nothing, what Admit would refuse on c before its
// limits: the blocks of c's address and (key, address) pair, and whether
// c's nonce is recorded, in one round trip. The guard reads it before it
// refuses a request that Admit did not see (refused by the policy or a
// precheck), so that a blocked caller is told only that it is blocked and a
// replay is refused as one. Address blocks it finds are remembered by this
// node until they end (KnownSourceBlock).
func (r *Redis) Inspect(c Checks) (lo Lockout, replayed bool, err error) {
	var cmds [3]valkey.Completed
	n := 0
	if c.Address != "" {
		cmds[n] = r.c.B().Hget().Key(r.sourceKey(c.Address)).Field("t").Build()
		n++
	}
	if c.KeySource != "" {
		cmds[n] = r.c.B().Hget().Key(r.hashKey("a", c.KeySource)).Field("t").Build()
		n++
	}
	if c.NonceKey != "" {
		cmds[n] = r.c.B().Exists().Key(c.NonceKey).Build()
		n++
	}
	if n == 0 {
		return lo, false, nil
	}
	res := r.c.DoMulti(r.callCtx(), cmds[:n]...)
	now := r.nowTime()
	i := 0
	if c.Address != "" {
		if lo.Address, lo.AddressRetry, err = blockedIn(res[i], r.failSpec(SourceFactor), now); err != nil {
			return lo, false, err
		}
		if lo.Address {
			r.rememberBlock(c.Address, now.Add(lo.AddressRetry))
		}
		i++
	}
	if c.KeySource != "" {
		if lo.Key, lo.KeyRetry, err = blockedIn(res[i], r.failSpec(1), now); err != nil {
			return lo, false, err
		}
		i++
	}
	if c.NonceKey != "" {
		n, err := res[i].AsInt64()
		if err != nil {
			return lo, false, fmt.Errorf("reading a nonce in redis: %w", err)
		}
		replayed = n > 0
	}
	return lo, replayed, nil
}
