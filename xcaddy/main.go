// Command facegate is Caddy with its standard modules plus facegate's:
// the facegate app, facegate_guard, facegate_api and facegate_admin, and
// facegate's commands (serve, key, namespace, admin, sign, version).
//
//	go build -o bin/facegate ./xcaddy
//
// or, with xcaddy: xcaddy build --with github.com/facegate/facegate=.
// (the root package registers every facegate module and command, so both
// builds are the same).
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/facegate/facegate"
)

func main() {
	caddycmd.Main()
}
