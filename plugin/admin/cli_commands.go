package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/facegate/facegate/plugin/keyring"
)

// buildKeyCommand adds `key create|list|show|rotate|suspend|resume|revoke|delete`.
func buildKeyCommand(root *cobra.Command, deps cliDeps) {
	addClientFlags(root)

	create := &cobra.Command{
		Use:   "create --owner <owner> [flags]",
		Short: "Creates an API key and prints it with its secret (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := createParamsFrom(cmd, deps.now())
			if err != nil {
				return err
			}
			return request(cmd, deps, http.MethodPost, "/keys", nil, p)
		},
	}
	cf := create.Flags()
	cf.String("owner", "", "owner of the key (required)")
	cf.String("label", "", "free-text label")
	cf.String("tier", "free", "rate-limit tier")
	cf.StringSlice("scopes", nil, "allowed methods, e.g. faces/detect,tags/* or *")
	cf.StringSlice("namespaces", nil, "namespaces of the owner the key may use (* for all)")
	cf.StringSlice("modes", nil, "auth modes: secret,signature,domain (default secret,signature)")
	cf.StringSlice("origins", nil, "allowed browser origins (domain mode)")
	cf.String("expires", "", "expiry: unix seconds, RFC 3339 or a duration like 720h")
	cf.String("cert-sha256", "", "bind the key to a client certificate (SHA-256, hex)")
	cf.String("limits", "", "per-key limits as a JSON object")
	_ = create.MarkFlagRequired("owner")

	list := &cobra.Command{
		Use: "list [--owner <owner>]", Short: "Lists API keys (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if o, _ := cmd.Flags().GetString("owner"); o != "" {
				q.Set("owner", o)
			}
			return request(cmd, deps, http.MethodGet, "/keys", q, nil)
		},
	}
	list.Flags().String("owner", "", "only this owner's keys")

	show := &cobra.Command{
		Use: "show <key id>", Short: "Shows one API key", Args: oneArg("key id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return request(cmd, deps, http.MethodGet, "/keys/"+url.PathEscape(args[0]), nil, nil)
		},
	}

	rotate := &cobra.Command{
		Use: "rotate <key id> [--grace 24h]", Short: "Gives a key a new secret; the old one stays valid for --grace", Args: oneArg("key id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			grace, _ := cmd.Flags().GetDuration("grace")
			if grace < 0 {
				return fmt.Errorf("--grace must not be negative")
			}
			return request(cmd, deps, http.MethodPost, "/keys/"+url.PathEscape(args[0])+"/rotate", nil,
				rotateRequest{GraceS: int64(grace / time.Second)})
		},
	}
	rotate.Flags().Duration("grace", 0, "how long the previous secret stays valid")

	del := &cobra.Command{
		Use: "delete <key id> [--erase]", Short: "Deletes a key (with --erase, also its owner's data)", Args: oneArg("key id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if erase, _ := cmd.Flags().GetBool("erase"); erase {
				q.Set("erase", "true")
			}
			return request(cmd, deps, http.MethodDelete, "/keys/"+url.PathEscape(args[0]), q, nil)
		},
	}
	del.Flags().Bool("erase", false, "also erase the data (namespaces, faces, tags) of the key's owner")

	root.AddCommand(create, list, show, rotate, del)
	for verb, short := range map[string]string{
		"suspend": "Suspends a key until it is resumed",
		"resume":  "Makes a suspended key usable again",
		"revoke":  "Revokes a key for good (its secret material is erased)",
	} {
		root.AddCommand(&cobra.Command{
			Use: verb + " <key id>", Short: short, Args: oneArg("key id"),
			RunE: func(cmd *cobra.Command, args []string) error {
				return request(cmd, deps, http.MethodPost, "/keys/"+url.PathEscape(args[0])+"/"+verb, nil, nil)
			},
		})
	}
}

// createParamsFrom reads the flags of `key create`.
func createParamsFrom(cmd *cobra.Command, now time.Time) (keyring.CreateParams, error) {
	f := cmd.Flags()
	str := func(n string) string { v, _ := f.GetString(n); return v }
	list := func(n string) []string { v, _ := f.GetStringSlice(n); return v }
	p := keyring.CreateParams{
		Owner: str("owner"), Label: str("label"), Tier: str("tier"), ClientCertSHA256: str("cert-sha256"),
		Scopes: list("scopes"), Namespaces: list("namespaces"), AuthModes: list("modes"), AllowedOrigins: list("origins"),
	}
	var err error
	if p.ExpiresAt, err = parseExpiry(str("expires"), now); err != nil {
		return p, err
	}
	if l := str("limits"); l != "" {
		if err := json.Unmarshal([]byte(l), &p.Limits); err != nil {
			return p, fmt.Errorf("--limits must be a JSON object: %w", err)
		}
	}
	return p, nil
}

// buildNamespaceCommand adds `namespace create|list|delete`.
func buildNamespaceCommand(root *cobra.Command, deps cliDeps) {
	addClientFlags(root)
	create := &cobra.Command{
		Use: "create <name> --owner <owner>", Short: "Registers a namespace for an owner", Args: oneArg("namespace name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, _ := cmd.Flags().GetString("owner")
			return request(cmd, deps, http.MethodPost, "/namespaces", nil, namespaceRequest{Name: args[0], Owner: owner})
		},
	}
	create.Flags().String("owner", "", "owner of the namespace (required)")
	_ = create.MarkFlagRequired("owner")
	list := &cobra.Command{
		Use: "list [--owner <owner>]", Short: "Lists namespaces", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if o, _ := cmd.Flags().GetString("owner"); o != "" {
				q.Set("owner", o)
			}
			return request(cmd, deps, http.MethodGet, "/namespaces", q, nil)
		},
	}
	list.Flags().String("owner", "", "only this owner's namespaces")
	del := &cobra.Command{
		Use: "delete <name>", Short: "Erases a namespace's data and unregisters it", Args: oneArg("namespace name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return request(cmd, deps, http.MethodDelete, "/namespaces/"+url.PathEscape(args[0]), nil, nil)
		},
	}
	root.AddCommand(create, list, del)
}

// buildAdminCommand adds `admin totp|create|list|delete|audit|sessions|logout|reload-policies`.
func buildAdminCommand(root *cobra.Command, deps cliDeps) {
	addClientFlags(root)
	totpCmd := &cobra.Command{
		Use:   "totp [--json] [--reenroll <name> [--qr <file.png>]]",
		Short: "Prints the current TOTP code from the credentials (just the code), or re-enrolls an admin",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, _ := cmd.Flags().GetString("reenroll")
			qr, _ := cmd.Flags().GetString("qr")
			if name == "" {
				c, err := clientFrom(cmd, deps)
				if err != nil {
					return err
				}
				code, err := c.CurrentCode()
				if err != nil {
					return err
				}
				if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
					left := 30 - deps.now().Unix()%30
					out, _ := json.Marshal(map[string]any{"code": code, "valid_for_s": left})
					code = string(out)
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), code)
				return err
			}
			if err := request(cmd, deps, http.MethodPost, "/admins/"+url.PathEscape(name)+"/totp", nil, nil); err != nil {
				return err
			}
			if qr != "" {
				return saveQR(cmd, deps, name, qr)
			}
			return nil
		},
	}
	totpCmd.Flags().String("reenroll", "", "admin whose TOTP seed is replaced (prints the new otpauth URI)")
	totpCmd.Flags().String("qr", "", "with --reenroll: also save the enrollment QR code PNG here")
	totpCmd.Flags().Bool("json", false, `print {"code": ..., "valid_for_s": ...} instead of the code alone`)

	create := &cobra.Command{
		Use: "create <name> [--qr <file.png>]", Short: "Creates an administrator (token and otpauth URI shown once)", Args: oneArg("admin name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := request(cmd, deps, http.MethodPost, "/admins", nil, adminRequest{Name: args[0]}); err != nil {
				return err
			}
			if qr, _ := cmd.Flags().GetString("qr"); qr != "" {
				return saveQR(cmd, deps, args[0], qr)
			}
			return nil
		},
	}
	create.Flags().String("qr", "", "also save the enrollment QR code PNG here")

	list := &cobra.Command{
		Use: "list", Short: "Lists administrators", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return request(cmd, deps, http.MethodGet, "/admins", nil, nil)
		},
	}
	del := &cobra.Command{
		Use: "delete <name>", Short: "Deletes an administrator", Args: oneArg("admin name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return request(cmd, deps, http.MethodDelete, "/admins/"+url.PathEscape(args[0]), nil, nil)
		},
	}
	audit := &cobra.Command{
		Use: "audit [--since <time>] [--limit <n>]", Short: "Prints the audit log", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if s, _ := cmd.Flags().GetString("since"); s != "" {
				q.Set("since", s)
			}
			if n, _ := cmd.Flags().GetInt("limit"); n > 0 {
				q.Set("limit", strconv.Itoa(n))
			}
			return request(cmd, deps, http.MethodGet, "/audit", q, nil)
		},
	}
	audit.Flags().String("since", "", "RFC 3339 time or unix seconds (default: the latest entries)")
	audit.Flags().Int("limit", 0, "how many entries (default 100)")
	sessions := &cobra.Command{
		Use: "sessions", Short: "Lists the open admin sessions (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return request(cmd, deps, http.MethodGet, "/sessions", nil, nil)
		},
	}
	logout := &cobra.Command{
		Use: "logout", Short: "Closes the cached admin session on the server and forgets it", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := clientFrom(cmd, deps)
			if err != nil {
				return err
			}
			had, err := c.Logout()
			if err != nil {
				return err
			}
			if had {
				fmt.Fprintln(cmd.ErrOrStderr(), "admin session closed")
			} else {
				fmt.Fprintln(cmd.ErrOrStderr(), "no admin session was open")
			}
			return nil
		},
	}
	reload := &cobra.Command{
		Use: "reload-policies", Short: "Recompiles the Rego policies on the server", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return request(cmd, deps, http.MethodPost, "/policies/reload", nil, nil)
		},
	}
	root.AddCommand(totpCmd, create, list, del, audit, sessions, logout, reload)
}
