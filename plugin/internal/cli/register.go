package cli

import (
	"sync"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// Command groups of the root command's help.
const (
	groupFacegate = "facegate"
	groupCaddy    = "caddy"
)

// annotation marks the commands that facegate registered.
const annotation = "facegate"

func init() {
	// Read by Caddy when it builds the root command; an ldflags -X setting
	// wins.
	if caddy.CustomBinaryName == "" {
		caddy.CustomBinaryName = BinaryName
	}
	if caddy.CustomLongDescription == "" {
		caddy.CustomLongDescription = rootLong
	}
	cobra.AddTemplateFunc("caddysOwn", caddysOwn)
}

// BinaryName is the name the help text gives the binary.
const BinaryName = "facegate"

// registry holds the facegate commands built so far and the root command
// once one of them is attached to it.
var registry struct {
	mu    sync.Mutex
	built []*cobra.Command
	root  *cobra.Command
}

// Register registers a facegate command with Caddy's command line, like
// caddycmd.RegisterCommand, and marks it as facegate's. c.CobraFunc is
// required.
func Register(c caddycmd.Command) {
	build := c.CobraFunc
	c.CobraFunc = func(cmd *cobra.Command) {
		if build != nil {
			build(cmd)
		}
		adopt(cmd)
	}
	caddycmd.RegisterCommand(c)
}

// adopt records cmd (not attached yet) and brands the root command as soon
// as an earlier facegate command is attached to it.
func adopt(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotation] = "true"
	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.built = append(registry.built, cmd)
	if registry.root == nil {
		for _, c := range registry.built {
			if p := c.Parent(); p != nil {
				registry.root = p
				brand(p)
				break
			}
		}
	}
	if r := registry.root; r != nil && cmd.Parent() == nil && r.ContainsGroup(groupFacegate) {
		cmd.GroupID = groupFacegate
	}
}

// brand gives the root command facegate's help layout and version. It runs
// once, while Caddy builds the root command.
func brand(root *cobra.Command) {
	root.Long = caddy.CustomLongDescription
	root.Example = rootExample
	root.Version = ShortVersion()
	root.SetHelpTemplate(helpTemplate)
	root.AddGroup(
		&cobra.Group{ID: groupFacegate, Title: "facegate commands:"},
		&cobra.Group{ID: groupCaddy, Title: "Caddy's own commands (https://caddyserver.com/docs/command-line):"},
	)
	root.SetHelpCommandGroupID(groupFacegate)
	root.SetCompletionCommandGroupID(groupCaddy)
	for _, c := range root.Commands() {
		c.GroupID = groupCaddy
		if c.Annotations[annotation] != "" {
			c.GroupID = groupFacegate
		}
		switch c.Name() {
		case "version":
			brandVersion(c)
		case "upgrade", "add-package", "remove-package":
			// They replace the binary with a build from Caddy's download
			// service, which has no facegate modules.
			c.Hidden = true
		}
	}
}

// brandVersion makes `version` report facegate's components.
func brandVersion(c *cobra.Command) {
	c.GroupID = groupFacegate
	c.Short = "Prints the facegate, Caddy, OPA, Go and model versions"
	c.Long = "\nPrints the versions of facegate and of what it is built from: Caddy,\nOPA, Go, and the embedded face models and cascades.\n"
	c.Run = nil
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		_, err := cmd.OutOrStdout().Write([]byte(Versions().String()))
		return err
	}
}

// caddysOwn reports whether c is one of Caddy's own commands (not
// facegate's, not the root, help or completion), whose documentation is
// Caddy's.
func caddysOwn(c *cobra.Command) bool {
	return c.HasParent() && c.GroupID == groupCaddy && c.Name() != "completion"
}

// helpTemplate is cobra's help template with a pointer to Caddy's
// documentation on Caddy's own commands only.
const helpTemplate = `{{with (or .Long .Short)}}{{. | trimTrailingWhitespaces}}

{{end}}{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}{{if caddysOwn .}}
This is Caddy's own command; full documentation:
https://caddyserver.com/docs/command-line
{{end}}`

const rootLong = `facegate is a self-hosted face detection and recognition API that
SkyBiometry clients call unchanged (/fc/faces/detect, /fc/faces/recognize,
/fc/tags/save, ...), behind an API-security gateway: API keys, RFC 9421
request signatures, rate limits and quotas, JSON Schema validation, and
OPA Rego policies for every decision. It is one Caddy binary: Caddy
terminates TLS and serves the facegate modules.

Start it with 'facegate serve' (the embedded default Caddyfile: HTTPS on
https://localhost:$FACEGATE_HTTPS_PORT, default 8443, data in
$FACEGATE_DATA_DIR, default ./data), or 'facegate run --config <file>' with
your own Caddyfile. The first start writes initial-credentials.json (an API
key and the admin credentials) into the data dir.

'key', 'namespace' and 'admin' manage the running server through its admin
API (admin token + TOTP); 'sign' sends requests signed with facegate's RFC
9421 profile. They take their defaults from the same environment as the
server (FACEGATE_DATA_DIR, FACEGATE_HTTPS_PORT).

The other commands are Caddy's own and work as in any Caddy build.`

const rootExample = `  $ facegate serve
  $ facegate namespace create acme-faces --owner acme
  $ facegate key create --owner acme --namespaces acme-faces --scopes 'faces/*,tags/*'
  $ facegate sign --key fg_live_... --secret-file secret.txt -F files=@photo.jpg https://localhost:8443/fc/faces/detect.json
  $ facegate run --config /etc/facegate/Caddyfile`
