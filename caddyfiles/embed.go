// Package caddyfiles embeds facegate's example Caddyfiles; Default is the
// config that `facegate serve` runs when no --config is given.
package caddyfiles

import _ "embed"

// Default is caddyfiles/Caddyfile: HTTPS on localhost with Caddy's internal
// CA, ports and data dir from FACEGATE_HTTPS_PORT, FACEGATE_HTTP_PORT and
// FACEGATE_DATA_DIR.
//
//go:embed Caddyfile
var Default []byte

// Proxy is caddyfiles/proxy.Caddyfile: the guard in front of any upstream.
//
//go:embed proxy.Caddyfile
var Proxy []byte
