// Command facegate is Caddy with its standard modules plus facegate's:
// the facegate app, facegate_guard, facegate_api and facegate_admin.
//
//	go build -o bin/facegate ./xcaddy
//
// or, with xcaddy: xcaddy build --with github.com/facegate/facegate=.
// (the root package registers every facegate module and command).
package main

import (
	"fmt"
	"os"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/facegate/facegate"
	"github.com/facegate/facegate/plugin"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		args, err := plugin.ServeArgs(os.Args)
		if err != nil {
			fmt.Fprintln(os.Stderr, "facegate serve:", err)
			os.Exit(1)
		}
		os.Args = args
	}
	caddycmd.Main()
}
