// Package admin is facegate's administration surface: the Caddy HTTP
// handler `http.handlers.facegate_admin` (a JSON API for the key
// lifecycle, the namespace registry, administrators and the audit log) and
// the `facegate key ...`, `facegate namespace ...` and `facegate admin ...`
// CLI commands, which talk to that API on the running server (the store is
// locked by the server process).
//
// Every API call needs the administrator's bearer token AND a fresh TOTP
// code (header X-TOTP-Code), checked by keyring.VerifyAdmin: a code is
// usable once, and repeated failures lock the administrator or the remote
// address out (429 with Retry-After). Errors are RFC 9457
// application/problem+json. Every call is written to the audit log with the
// administrator's name and remote address; secrets (API secrets, admin
// tokens) are returned once, in the response that creates them, and never
// logged.
package admin
