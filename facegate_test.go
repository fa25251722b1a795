package facegate

import (
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// A binary that links this package (xcaddy build --with
// github.com/facegate/facegate generates such a main) has every facegate
// command.
func TestCommandsRegistered(t *testing.T) {
	cmds := caddycmd.Commands()
	for _, name := range []string{"serve", "key", "namespace", "admin", "sign", "version", "run"} {
		if c, ok := cmds[name]; !ok || c.CobraFunc == nil && c.Func == nil {
			t.Errorf("command %q is not registered", name)
		}
	}
}
