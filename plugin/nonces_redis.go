package plugin

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/plugin/limits"
)

// redisNonces is the replay defence of the cluster mode: every nonce a node
// accepts is written to Redis with SET NX and an expiry at the end of its
// signature's validity, so that the same signature is a replay on every
// node. Only a digest of (key id, nonce) is written. Redis acknowledges the
// write before the request is served; when Redis cannot be reached the
// request fails closed (503, Retry-After) and the client signs again.
type redisNonces struct {
	c      valkey.Client
	prefix string
}

// Seen reports whether the nonce was seen before by any node; when Redis
// could not record it, the returned commit carries the error (the guard
// then refuses the request).
func (n *redisNonces) Seen(keyID, nonce string, exp time.Time) (bool, *nonceCommit) {
	d := digestNonce(keyID, nonce)
	ttl := min(max(time.Until(exp)+time.Second, time.Second), 2*httpsig.MaxAge)
	ctx, cancel := context.WithTimeout(context.Background(), limits.RedisTimeout)
	defer cancel()
	err := n.c.Do(ctx, n.c.B().Set().Key(n.prefix+hex.EncodeToString(d[:])).Value("1").Nx().Px(ttl).Build()).Error()
	switch {
	case valkey.IsValkeyNil(err): // NX refused: the key exists
		return true, nil
	case err != nil:
		c := &nonceCommit{done: make(chan struct{}), err: err}
		close(c.done)
		return false, c
	}
	return false, nil
}
