package plugin

import (
	"encoding/hex"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/httpsig"
)

// redisNonces is the replay defence of the cluster mode: every nonce a node
// accepts is written to Redis with an expiry at the end of its signature's
// validity, so that the same signature is a replay on every node. Only a
// digest of (key id, nonce) is written. The nonce is checked and written
// by the script that charges the request's limits (limits.Redis.Admit, in
// the same round trip), only when the request is admitted, and read by
// limits.Redis.Inspect before a refusal; when Redis cannot be reached the
// request fails closed (503, Retry-After) and the client signs again.
type redisNonces struct {
	c      valkey.Client // the cluster's client (the scripts use it through limits.Redis)
	prefix string
}

// Seen reports every nonce as unseen: the cluster mode checks it, and
// records it only for an admitted request, in the script that charges the
// request's limits (see serveCluster), so that there is nothing to do while
// the signature is verified.
func (n *redisNonces) Seen(string, string, time.Time) (bool, *nonceCommit) { return false, nil }

// key is the Redis key of a (key id, nonce) pair.
func (n *redisNonces) key(keyID, nonce string) string {
	d := digestNonce(keyID, nonce)
	var b [2 * len(d)]byte
	hex.Encode(b[:], d[:])
	return n.prefix + string(b[:])
}

// ttl is how long a nonce is kept: until its signature expires (exp), and
// a second more for the clocks of the nodes, at most 2 × httpsig.MaxAge.
func (n *redisNonces) ttl(exp time.Time) time.Duration {
	return min(max(time.Until(exp)+time.Second, time.Second), 2*httpsig.MaxAge)
}
