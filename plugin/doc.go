// Package plugin holds facegate's Caddy modules: the facegate app (shared
// state that survives config reloads: the encrypted store, the keyring, the
// policy decider, the limiters and the face engine), the facegate_guard
// handler (API keys, signatures, schema validation, OPA decisions, limits)
// and the facegate_api handler (the SkyBiometry-compatible /fc/ routes),
// and the `facegate serve` command (the embedded default Caddyfile).
//
// It is the only package that imports Caddy; it joins policies/ and engine/.
// It owns the HTTP side of the API: parsing a call once (request.go), the
// gateway's evidence and the policy input built from it (guard_*.go), the
// answers' envelopes (envelope.go, xmlanswer.go) and what a reload changes
// (reloadable.go). It does not own the SkyBiometry methods (engine/service),
// their error codes, names and statuses (engine/skyerr), the decisions
// (policies) or the signature profile (httpsig).
package plugin
