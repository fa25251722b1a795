package keyring

import (
	"errors"
	"fmt"

	"github.com/facegate/facegate/store"
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
//
// The three records and an audit entry are written in one transaction, so
// a crash leaves either all of them or none.
func (k *Keyring) Bootstrap() (creds *InitialCredentials, created bool, err error) {
	admins, err := k.adminRecords()
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	if len(admins) > 0 {
		return nil, false, nil
	}
	admin, token, uri, _, err := k.newAdmin(BootstrapAdmin)
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	key, secret, err := k.newKey(CreateParams{
		Owner: BootstrapOwner, Label: "initial demo key", Tier: "free",
		Scopes: []string{"*"}, Namespaces: []string{BootstrapNamespace},
		AuthModes: []string{ModeSecret, ModeSignature},
	})
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	ns := Namespace{Name: BootstrapNamespace, Owner: BootstrapOwner, CreatedAt: k.now().Unix()}
	e := AuditEntry{Actor: bootstrapActor, Action: "bootstrap",
		Detail: fmt.Sprintf("admin=%s namespace=%s key=%s", BootstrapAdmin, BootstrapNamespace, key.ID)}
	errDone := errors.New("already bootstrapped")
	err = k.change(e, func(tx *store.Tx) error {
		existing, err := tx.Keys(prefixAdmin)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return errDone
		}
		if err := putNewAdmin(tx, admin); err != nil {
			return err
		}
		if ok, err := tx.Exists(prefixNS + ns.Name); err != nil {
			return err
		} else if !ok {
			if err := tx.PutJSON(prefixNS+ns.Name, ns, 0); err != nil {
				return err
			}
		}
		return putNewKey(tx, key)
	})
	k.invalidateAdmins()
	k.invalidate(key.ID)
	if errors.Is(err, errDone) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap: %w", err)
	}
	return &InitialCredentials{APIKey: key.ID, APISecret: secret, AdminToken: token, AdminTOTPURI: uri}, true, nil
}
