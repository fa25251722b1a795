// Package facegate registers all of facegate's Caddy modules and commands, so
// that `xcaddy build --with github.com/facegate/facegate` and xcaddy/main.go
// build the same binary.
package facegate

import (
	// The app, facegate_guard, facegate_api and the `facegate serve` command;
	// through plugin/internal/cli, facegate's help and `facegate version`.
	_ "github.com/facegate/facegate/plugin"
	// facegate_admin and the `facegate key|namespace|admin` commands.
	_ "github.com/facegate/facegate/plugin/admin"
	// facegate_console, the web console.
	_ "github.com/facegate/facegate/plugin/console"
	// The `facegate sign` command.
	_ "github.com/facegate/facegate/plugin/signcmd"
)
