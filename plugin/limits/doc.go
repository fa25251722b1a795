// Package limits counts requests for facegate's guard: GCRA rate limits,
// concurrency slots and per-image quotas, plus a failed-authentication
// limiter per client address and key id. Go counts; the Rego policy
// decides which limits (Spec) apply to a request.
//
// Counting is exact under concurrency: Acquire checks every spec of a call
// and charges them all, or none, under the subject's shard lock, so N
// parallel requests against a limit L admit exactly L (tests prove it with
// -race and an injected Clock). Rate limits use GCRA (one int64 per key,
// no background goroutine); quotas use fixed windows aligned to Unix time
// so the SkyBiometry usage block has a stable reset time. Memory is bounded
// by the maxKeys given to New: the least recently used subject without a
// request in flight is evicted when a shard is full (an evicted subject
// starts afresh, so size maxKeys above the number of active keys).
//
// Denials carry SkyBiometry's codes: 202 API_KEY_USAGE_PASSED_QUOTA for
// quota and rate limits (SkyBiometry has no separate rate code), 203
// API_KEY_CONCURRENT_USAGE_PASSED_QUOTA for concurrency, always with HTTP
// 429 and a Retry-After; and the values of the RateLimit-Policy and
// RateLimit fields of draft-ietf-httpapi-ratelimit-headers. For a rate
// spec, the policy item says q=burst units per w=burst×interval seconds,
// which is the sustained rate and the burst in one item.
//
// State lives in memory; the plugin keeps the Limiter in a caddy.UsagePool
// so it survives config reloads, and journals it to its store through
// Snapshot and Restore so that it survives restarts (persist.go). Redis is
// the same limiter for several nodes (cluster mode): the counters live in
// Redis and one Lua script charges all the specs of a request (redis.go);
// redistest runs a private redis-server for tests. This package does not
// import Caddy.
package limits
