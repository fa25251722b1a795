package signcmd

import (
	"os"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/facegate/facegate/plugin/internal/cli"
)

func init() {
	cli.Register(caddycmd.Command{
		Name:  "sign",
		Usage: "--key <api_key> [--secret-file <path>] [--cacert <root.crt> | --insecure] [-X <method>] [-H <header>] [-F <field=value|field=@file>] [-d <data>] <url>",
		Short: "Sends a request signed with facegate's RFC 9421 profile",
		Long: `
Sends one HTTP request signed with RFC 9421 HTTP Message Signatures
(hmac-sha256, label sig1, tag facegate/v1, covering @method, @authority,
@path, @query, content-type and content-digest, with a fresh nonce), prints
the response body to stdout, and verifies the response signature.

Exit status: 0 when the server answered with a success and a response
signature that verifies; 1 on bad options or a transport error; 2 when the
response signature does not verify; 3 when the server answered with a
failure status (HTTP 4xx or 5xx). The body is printed in every case.

The API secret is read from --secret-file or from the FACEGATE_API_SECRET
environment variable. --secret also works but prints a warning, since
command-line arguments are visible to other users of the machine.
Without --cacert or --insecure, the server certificate is checked against
the system roots and, if it exists, the root of Caddy's internal CA in
$FACEGATE_DATA_DIR (default ./data), as for the admin commands.

-F sends multipart/form-data (field=@file attaches a file, e.g. a photo);
-d sends application/x-www-form-urlencoded data (repeatable, joined with
'&'; @file reads the data from a file). Without -X the method is GET, or
POST when there is a body. Redirects are not followed.

Example:
  facegate sign --key fg_live_abc --secret-file ~/.facegate-secret \
      -F files=@photo.jpg -F attributes=all \
      https://localhost:8443/fc/faces/detect.json
`,
		CobraFunc: func(cmd *cobra.Command) {
			var o Options
			f := cmd.Flags()
			f.StringVar(&o.KeyID, "key", "", "API key id (api_key)")
			f.StringVar(&o.SecretFile, "secret-file", "", "file holding the API secret")
			f.StringVar(&o.Secret, "secret", "", "API secret (discouraged: visible in the process list)")
			f.StringVar(&o.CACert, "cacert", "", "PEM file of the CA that signed the server certificate (default: the data dir's internal CA)")
			f.BoolVarP(&o.Insecure, "insecure", "k", false, "do not verify the server certificate")
			f.StringVarP(&o.Method, "request", "X", "", "HTTP method")
			f.StringArrayVarP(&o.Headers, "header", "H", nil, "extra header 'Name: value' (repeatable)")
			f.StringArrayVarP(&o.Form, "form", "F", nil, "multipart field=value or field=@file (repeatable)")
			f.StringArrayVarP(&o.Data, "data", "d", nil, "urlencoded data or @file (repeatable)")
			// --strict was needed for a non-zero exit on a bad response
			// signature; that is the default now.
			f.Bool("strict", true, "accepted for compatibility: an unverified response always fails")
			_ = f.MarkHidden("strict")
			cmd.Args = cobra.ExactArgs(1)
			cmd.RunE = func(cmd *cobra.Command, args []string) error {
				o.URL = args[0]
				code, err := run(cmd.Context(), o, os.Getenv, cmd.OutOrStdout(), cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				if code != exitOK {
					os.Exit(code)
				}
				return nil
			}
		},
	})
}
