// Package usage records how each API key uses each route over the last 24
// hours, in one-minute buckets kept in memory: requests, images, gateway
// denials by reason, and latency (average and maximum). It answers the
// admin API's GET /usage, which the console draws as charts.
//
// The Prometheus metrics are deliberately low-cardinality (no key ids);
// this is where per-key usage lives instead. Memory is bounded: at most
// Options.MaxSeries (key, route) series (keys beyond it are counted
// together under OverflowKey, so totals stay right), each with at most
// 1440 buckets of 24 bytes, and at most MaxReasons denial reasons. Calls
// that name no existing key are counted under NoKey: key ids chosen by
// clients never create series. Nothing here is a secret or biometric.
// Snapshot and Restore carry the history across restarts (the facegate app
// keeps it in its store).
package usage
