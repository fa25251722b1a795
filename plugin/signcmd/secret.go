package signcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// EnvSecret is the environment variable read when --secret-file is absent.
const EnvSecret = "FACEGATE_API_SECRET"

// loadSecret returns the API secret from --secret-file, the environment or
// (with a warning on stderr) --secret. Exactly one source may be used.
func loadSecret(o Options, getenv func(string) string, stderr io.Writer) ([]byte, error) {
	switch {
	case o.SecretFile != "" && o.Secret != "":
		return nil, errors.New("give either --secret-file or --secret, not both")
	case o.SecretFile != "":
		b, err := os.ReadFile(o.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("reading secret file: %w", err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return nil, errors.New("secret file is empty")
		}
		if strings.ContainsAny(s, "\r\n") {
			return nil, errors.New("secret file must hold the secret on one line")
		}
		return []byte(s), nil
	case o.Secret != "":
		fmt.Fprintln(stderr, "warning: --secret is visible to other users in the process list; prefer --secret-file or "+EnvSecret)
		return []byte(o.Secret), nil
	}
	if s := getenv(EnvSecret); s != "" {
		return []byte(s), nil
	}
	return nil, errors.New("no API secret: use --secret-file or set " + EnvSecret)
}
