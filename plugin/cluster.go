package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/valkey-io/valkey-go"

	"github.com/facegate/facegate/plugin/limits"
)

// ClusterConfig names the shared engines of the cluster mode. Empty (the
// default) is the embedded mode: one process, everything in its Badger
// store. With Redis set, every node that names the same Redis (or Valkey)
// shares the hot state: rate, quota, concurrency and failed-authentication
// counters, and the nonces of signed requests, so that limits hold in total
// whichever node a request hits and a signature accepted by one node is a
// replay on every other.
type ClusterConfig struct {
	// Redis is a redis://, rediss:// (TLS) or unix:// URL, e.g.
	// redis://:password@10.0.0.5:6379/0. Placeholders are replaced at
	// start ({env.FACEGATE_REDIS_URL}); an empty value keeps the embedded
	// mode. The URL may hold a password: it is never logged.
	Redis string `json:"redis,omitempty"`
	// Postgres is the DSN of the PostgreSQL database that holds the durable
	// state (keys, admins, namespaces, audit log, photos, tags and templates)
	// instead of the data dir's Badger store, e.g.
	// postgres://facegate:password@10.0.0.6:5432/facegate. Placeholders are
	// replaced at start ({env.FACEGATE_POSTGRES_URL}); empty keeps Badger.
	// Every node must use the same key files. It may hold a password: it is
	// never logged.
	Postgres string `json:"postgres,omitempty"`
}

// unmarshalCaddyfile reads the `cluster` block of the facegate option:
//
//	cluster {
//	    redis <url>       # e.g. {env.FACEGATE_REDIS_URL}; empty = embedded
//	    postgres <dsn>    # e.g. {env.FACEGATE_POSTGRES_URL}; empty = Badger
//	}
func (c *ClusterConfig) unmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "redis":
			if !d.AllArgs(&c.Redis) {
				return d.ArgErr()
			}
		case "postgres":
			if !d.AllArgs(&c.Postgres) {
				return d.ArgErr()
			}
		default:
			return d.Errf("unrecognized cluster option %q (redis, postgres)", d.Val())
		}
	}
	return nil
}

// redisKeyPrefix starts every key facegate writes in Redis.
const redisKeyPrefix = "facegate:"

// openRedis connects to the cluster's Redis. Errors never repeat the URL
// (it may hold a password).
func openRedis(rawURL string) (valkey.Client, error) {
	opt, err := valkey.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("cluster redis: the url does not parse (want redis://[user:password@]host:port[/db], rediss:// or unix://)")
	}
	opt.DisableCache = true // client-side caching: the counters change on every call
	opt.Dialer = net.Dialer{Timeout: limits.RedisTimeout, KeepAlive: 30 * time.Second}
	opt.ConnWriteTimeout = 2 * limits.RedisTimeout
	c, err := valkey.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("cluster redis: connecting to %s: %w", redisHost(opt), redactErr(err, rawURL))
	}
	if c.Mode() == valkey.ClientModeCluster {
		// A request's lockouts, nonce and limits are checked by one script,
		// whose keys Redis Cluster would spread over its nodes.
		c.Close()
		return nil, fmt.Errorf("cluster redis: %s is a Redis Cluster; facegate needs one primary (standalone, or behind Sentinel)", redisHost(opt))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*limits.RedisTimeout)
	defer cancel()
	if err := c.Do(ctx, c.B().Ping().Build()).Error(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster redis: %s does not answer: %w", redisHost(opt), redactErr(err, rawURL))
	}
	return c, nil
}

// redisHost is where the client connects, for messages (no credentials).
func redisHost(opt valkey.ClientOption) string {
	if len(opt.InitAddress) > 0 {
		return opt.InitAddress[0]
	}
	return "redis"
}

// redactErr keeps an error's text but never the URL it may quote.
func redactErr(err error, rawURL string) error {
	if rawURL != "" && strings.Contains(err.Error(), rawURL) {
		return errors.New("connection failed")
	}
	return err
}

// guardLimiter is what the guard charges and counts failed
// authentications on: the embedded limits.Limiter (through embeddedLimiter)
// or the cluster's limits.Redis. Errors mean the shared counters could not
// be reached: the guard fails closed. Lockouts are read by guard_lockout.go
// from either directly (the cluster reads address and key in one trip).
type guardLimiter interface {
	Acquire(subject string, specs []limits.Spec) (limits.Grant, limits.Denial)
	FailedAuth(subject string) error
	FailedSource(addr string) error
	KeyFailure(keyID string) (time.Duration, bool, error)
}

// embeddedLimiter is the in-process limiter, which never fails.
type embeddedLimiter struct{ *limits.Limiter }

func (e embeddedLimiter) FailedAuth(subject string) error { e.Limiter.FailedAuth(subject); return nil }
func (e embeddedLimiter) FailedSource(addr string) error  { e.Limiter.FailedSource(addr); return nil }

func (e embeddedLimiter) KeyFailure(keyID string) (time.Duration, bool, error) {
	d, r := e.Limiter.KeyFailure(keyID)
	return d, r, nil
}

// limits returns the limiter of the mode: the cluster's when Redis is set.
func (s *state) limits() guardLimiter {
	if s.shared != nil {
		return s.shared
	}
	return embeddedLimiter{s.limiter}
}

// nonceSeen records a signature's nonce in the mode's replay defence (see
// nonceGuard.Seen and redisNonces.Seen).
func (s *state) nonceSeen(keyID, nonce string, created int64, exp time.Time) (bool, *nonceCommit) {
	if s.sharedNonces != nil {
		return s.sharedNonces.Seen(keyID, nonce, exp)
	}
	return s.nonces.Seen(keyID, nonce, created, exp)
}

// Interface guards.
var (
	_ guardLimiter = embeddedLimiter{}
	_ guardLimiter = (*limits.Redis)(nil)
)
