// Package keyring manages facegate's API keys, namespace registry,
// administrators and audit log on top of the encrypted store
// (github.com/facegate/facegate/store).
//
// Secret material never sits in the database in plaintext. A 32-byte
// server key, kept outside the database (a file beside the database key,
// or an environment variable), is expanded into independent sub-keys:
//
//   - a pepper for HMAC-SHA256 hashes of API secrets (the `secret` auth
//     mode only needs to compare) and of administrator tokens;
//   - an AES-256-GCM key that seals the API secret when the key may use
//     the `signature` auth mode (the server needs the secret itself to
//     verify RFC 9421 HMAC signatures) and seals administrators' TOTP
//     seeds. Each sealed blob is bound to its record (key id or admin
//     name) as additional authenticated data.
//
// A dump of the database alone therefore reveals no client secret, on
// top of Badger's own encryption at rest. Secrets are compared in
// constant time, including for unknown key ids.
//
// Administrative operations are authenticated with a bearer token plus an
// RFC 6238 TOTP code (github.com/pquerna/otp): codes are single use, and
// repeated failures lock an administrator or a remote address out. Every
// change is written to an append-only audit log.
//
// The package knows nothing of Caddy or HTTP; plugin/admin exposes it as
// an HTTP API and CLI.
package keyring
