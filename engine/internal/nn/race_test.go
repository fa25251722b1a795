//go:build race

package nn

// raceEnabled skips allocation checks: under the race detector sync.Pool drops items at
// random, so pooled scratch is allocated again.
const raceEnabled = true
