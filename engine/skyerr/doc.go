// Package skyerr is SkyBiometry's error vocabulary, in one place: every error code facegate
// answers with, its NAME (error_message starts with it) and the HTTP status that goes with it,
// and Error, the value that carries a code and a detail through the engine's service, the
// gateway and the policies.
//
// It owns the table of codes and nothing else: it imports only the standard library (not
// even net/http; statuses are plain integers), so that the engine, the policies' Go side and
// the plugin can all depend on it without depending on each other. The Rego errors module
// (policies/facegate/errors) lists the codes the policies deny with; a test in policies checks
// that every one of them has the same name here.
//
// Codes 201-207 are answered by the gateway only (keys, quotas, concurrency, authentication),
// never by the engine's service; the rest come from the service, from URL fetching or from
// input checks in front of it.
package skyerr
