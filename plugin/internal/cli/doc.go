// Package cli gives the facegate binary its own command line on top of
// Caddy's: the root command's name, description, examples and help layout
// (facegate's commands first, Caddy's own commands apart, with a pointer to
// Caddy's documentation), a `version` command that reports facegate, Caddy,
// OPA, Go and the embedded models, and the defaults every client command
// shares with the server (FACEGATE_DATA_DIR, FACEGATE_HTTPS_PORT, a
// --cacert's roots, files written atomically).
//
// facegate's packages register their commands with Register instead of
// caddycmd.RegisterCommand. Caddy builds its root command from registration
// callbacks, in registration order, when the binary starts (Caddy's own
// commands first, since every facegate package imports Caddy's CLI); the
// first facegate command built after another one has been attached finds
// the root through it and brands it. Any build that links the root package
// (go build ./xcaddy, or xcaddy build --with github.com/facegate/facegate)
// registers several facegate commands, so the branding always happens.
package cli
