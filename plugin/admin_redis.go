package plugin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/plugin/limits"
)

// redisAdminState is keyring.SharedAdminState in Redis (cluster mode):
// failures per subject in a sorted set (a sliding LockoutWindow), a lockout
// as a key that expires with it, and each used TOTP step of an
// administrator as a key set with NX that outlives the step's validity.
// Subjects and names are hashed into the keys. Times come from the node's
// clock (the windows are minutes long).
type redisAdminState struct {
	c      valkey.Client
	prefix string
}

var adminFailScript = valkey.NewLuaScript(`
-- KEYS[1]: failures (sorted set), KEYS[2]: lockout (string: locked until, ms)
-- ARGV: now ms, window ms, failures that lock, lockout ms, member
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, ARGV[5])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], string.format('%.0f', now + tonumber(ARGV[4])), 'PX', ARGV[4])
  return 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`)

func (r *redisAdminState) key(kind, subject string) string {
	h := sha256.Sum256([]byte(subject))
	return r.prefix + kind + ":{" + hex.EncodeToString(h[:16]) + "}"
}

func redisCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), limits.RedisTimeout)
}

// CheckLockout implements keyring.SharedAdminState.
func (r *redisAdminState) CheckLockout(subject string, now time.Time) error {
	ctx, cancel := redisCtx()
	defer cancel()
	v, err := r.c.Do(ctx, r.c.B().Get().Key(r.key("lock", subject)).Build()).AsInt64()
	if valkey.IsValkeyNil(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the shared admin lockout: %w", err)
	}
	if until := time.UnixMilli(v); now.Before(until) {
		return &keyring.LockoutError{RetryAfter: until.Sub(now)}
	}
	return nil
}

// Fail implements keyring.SharedAdminState.
func (r *redisAdminState) Fail(subject string, now time.Time) (bool, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := redisCtx()
	defer cancel()
	locked, err := adminFailScript.Exec(ctx, r.c, []string{r.key("fail", subject), r.key("lock", subject)}, []string{
		strconv.FormatInt(now.UnixMilli(), 10), strconv.FormatInt(keyring.LockoutWindow.Milliseconds(), 10),
		strconv.Itoa(keyring.LockoutFailures), strconv.FormatInt(keyring.LockoutDuration.Milliseconds(), 10),
		strconv.FormatInt(now.UnixMilli(), 10) + "-" + hex.EncodeToString(b[:]),
	}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("recording a shared admin failure: %w", err)
	}
	return locked == 1, nil
}

// Reset implements keyring.SharedAdminState.
func (r *redisAdminState) Reset(subject string) error {
	ctx, cancel := redisCtx()
	defer cancel()
	if err := r.c.Do(ctx, r.c.B().Del().Key(r.key("fail", subject)).Build()).Error(); err != nil {
		return fmt.Errorf("clearing shared admin failures: %w", err)
	}
	return nil
}

// usedStepTTL keeps a used step past the ±1 step of skew it is accepted in.
const usedStepTTL = 4 * 30 * time.Second

// UseStep implements keyring.SharedAdminState.
func (r *redisAdminState) UseStep(name string, steps []int64, _ time.Time) error {
	ctx, cancel := redisCtx()
	defer cancel()
	for _, s := range steps {
		err := r.c.Do(ctx, r.c.B().Set().Key(r.key("step", name)+":"+strconv.FormatInt(s, 10)).Value("1").Nx().Px(usedStepTTL).Build()).Error()
		if valkey.IsValkeyNil(err) {
			continue // used on some node
		}
		if err != nil {
			return fmt.Errorf("recording a used code in redis: %w", err)
		}
		return nil
	}
	return keyring.ErrCodeReused
}

// Interface guard.
var _ keyring.SharedAdminState = (*redisAdminState)(nil)
