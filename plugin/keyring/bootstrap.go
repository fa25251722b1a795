package keyring

import (
	"errors"
	"fmt"
)

// Bootstrap names.
const (
	BootstrapAdmin     = "admin"
	BootstrapOwner     = "demo"
	BootstrapNamespace = "demo"
	bootstrapActor     = "system:bootstrap"
)

// InitialCredentials are the credentials created on the first start,
// shown once (the app writes them to a 0600 file).
type InitialCredentials struct {
	APIKey       string `json:"api_key"`
	APISecret    string `json:"api_secret"`
	AdminToken   string `json:"admin_token"`
	AdminTOTPURI string `json:"admin_totp_uri"`
}

// Bootstrap creates the first credentials when no administrator exists:
// administrator "admin" with a TOTP enrollment, namespace "demo" owned by
// "demo" and an API key of owner "demo" for it (all scopes, secret and
// signature modes, tier free). created is false, and creds nil, when an
// administrator already exists.
func (k *Keyring) Bootstrap() (creds *InitialCredentials, created bool, err error) {
	admins, err := k.adminRecords()
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	if len(admins) > 0 {
		return nil, false, nil
	}
	token, uri, _, err := k.CreateAdmin(BootstrapAdmin, bootstrapActor)
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	if err := k.CreateNamespace(BootstrapNamespace, BootstrapOwner, bootstrapActor); err != nil && !errors.Is(err, ErrExists) {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	key, secret, err := k.Create(CreateParams{
		Owner: BootstrapOwner, Label: "initial demo key", Tier: "free",
		Scopes: []string{"*"}, Namespaces: []string{BootstrapNamespace},
		AuthModes: []string{ModeSecret, ModeSignature},
	}, bootstrapActor)
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	return &InitialCredentials{APIKey: key.ID, APISecret: secret, AdminToken: token, AdminTOTPURI: uri}, true, nil
}
