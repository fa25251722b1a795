package keyring

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"slices"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/store"
)

// TOTP parameters (RFC 6238 defaults, what authenticator apps expect).
const (
	totpIssuer = "facegate"
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
	qrSize     = 256
)

// Errors returned for administrators.
var (
	// ErrAdminAuth is the one answer to a failed admin authentication; it
	// does not say whether the token or the code was wrong.
	ErrAdminAuth = errors.New("admin authentication failed")
	// ErrCodeReused wraps ErrAdminAuth: the token and code were right but
	// the code was already used; wait for the next one.
	ErrCodeReused = fmt.Errorf("%w: TOTP code already used, wait for the next code", ErrAdminAuth)
	// ErrLastAdmin refuses to delete the only administrator.
	ErrLastAdmin = errors.New("cannot delete the last administrator")
	// ErrQRGone means the enrollment QR code was already fetched.
	ErrQRGone = errors.New("enrollment QR code already fetched; re-enroll to get a new one")
)

// Admin is the public view of an administrator.
type Admin struct {
	Name        string `json:"name"`
	CreatedAt   int64  `json:"created_at"`
	EnrolledAt  int64  `json:"enrolled_at"`
	LastLoginAt int64  `json:"last_login_at,omitempty"`
}

// adminRecord is stored at admin/<name>.
type adminRecord struct {
	Admin
	TokenHash  []byte `json:"token_hash"`
	TOTPSealed []byte `json:"totp_sealed"` // base32 TOTP seed, sealed
	QRPending  bool   `json:"qr_pending,omitempty"`
}

func adminAAD(name string) string { return "admin/" + name }

// newTOTP generates a TOTP seed for name and returns the otp key, its
// sealed seed and the QR code PNG.
func (k *Keyring) newTOTP(name string) (*otp.Key, []byte, []byte, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: totpIssuer, AccountName: name, Period: totpPeriod,
		SecretSize: 20, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("generating TOTP seed: %w", err)
	}
	sealed, err := k.c.seal([]byte(key.Secret()), adminAAD(name))
	if err != nil {
		return nil, nil, nil, err
	}
	qr, err := qrPNG(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return key, sealed, qr, nil
}

// totpKey rebuilds the otp key (URI) of name from its base32 seed.
func totpKey(name, seed string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed)
	if err != nil {
		return nil, fmt.Errorf("decoding TOTP seed: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: totpIssuer, AccountName: name, Period: totpPeriod,
		Secret: raw, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("rebuilding TOTP key: %w", err)
	}
	return key, nil
}

func qrPNG(key *otp.Key) ([]byte, error) {
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("rendering QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// CreateAdmin creates administrator name and returns its bearer token and
// TOTP enrollment (otpauth URI and QR PNG). Only the token's peppered hash
// and the sealed TOTP seed are stored.
func (k *Keyring) CreateAdmin(name, actor string) (token, otpauthURI string, qr []byte, err error) {
	rec, token, uri, qr, err := k.newAdmin(name)
	if err != nil {
		return "", "", nil, fmt.Errorf("admin.create: %w", err)
	}
	err = k.change(AuditEntry{Actor: actor, Action: "admin.create", Target: name}, func(tx *store.Tx) error {
		return putNewAdmin(tx, rec)
	})
	k.invalidateAdmins()
	if err != nil {
		return "", "", nil, fmt.Errorf("admin.create: %w", err)
	}
	return token, uri, qr, nil
}

// newAdmin prepares the record of a new administrator with its token and
// TOTP enrollment.
func (k *Keyring) newAdmin(name string) (rec adminRecord, token, uri string, qr []byte, err error) {
	if !ValidName(name) {
		return rec, "", "", nil, invalidf("admin name must match %s", namePattern)
	}
	if token, err = newAdminToken(); err != nil {
		return rec, "", "", nil, err
	}
	key, sealed, qr, err := k.newTOTP(name)
	if err != nil {
		return rec, "", "", nil, err
	}
	now := k.now().Unix()
	rec = adminRecord{
		Admin:     Admin{Name: name, CreatedAt: now, EnrolledAt: now},
		TokenHash: k.c.hashToken(token), TOTPSealed: sealed, QRPending: true,
	}
	return rec, token, key.URL(), qr, nil
}

// putNewAdmin stores rec unless an administrator of that name exists.
func putNewAdmin(tx *store.Tx, rec adminRecord) error {
	if ok, err := tx.Exists(prefixAdmin + rec.Name); err != nil || ok {
		return errors.Join(err, fmt.Errorf("admin %s: %w", rec.Name, ErrExists))
	}
	return tx.PutJSON(prefixAdmin+rec.Name, rec, 0)
}

// ListAdmins returns every administrator, in name order.
func (k *Keyring) ListAdmins() ([]Admin, error) {
	recs, err := k.adminRecords()
	if err != nil {
		return nil, err
	}
	out := make([]Admin, 0, len(recs))
	for _, r := range recs {
		var u usedSteps
		if err := k.st.GetJSON(prefixAdminStep+r.Name, &u); err == nil {
			r.LastLoginAt = u.LastLoginAt
		}
		out = append(out, r.Admin)
	}
	return out, nil
}

// DeleteAdmin removes administrator name; the last one cannot be deleted.
func (k *Keyring) DeleteAdmin(name, actor string) error {
	err := k.change(AuditEntry{Actor: actor, Action: "admin.delete", Target: name}, func(tx *store.Tx) error {
		keys, err := tx.Keys(prefixAdmin)
		if err != nil {
			return err
		}
		if !ValidName(name) || !slices.Contains(keys, prefixAdmin+name) {
			return fmt.Errorf("admin %s: %w", truncate(name, 70), ErrNotFound)
		}
		if len(keys) == 1 {
			return ErrLastAdmin
		}
		if err := tx.Delete(prefixAdmin + name); err != nil {
			return err
		}
		if err := k.closeSessionsTx(tx, name); err != nil {
			return err
		}
		return tx.Delete(prefixAdminStep + name)
	})
	k.invalidateAdmins()
	if err != nil {
		return fmt.Errorf("admin.delete: %w", err)
	}
	return nil
}

// ReenrollTOTP replaces the TOTP seed of administrator name and returns
// the new otpauth URI and QR PNG; the old authenticator stops working.
func (k *Keyring) ReenrollTOTP(name, actor string) (otpauthURI string, qr []byte, err error) {
	key, sealed, qr, err := k.newTOTP(name)
	if err != nil {
		return "", nil, err
	}
	now := k.now().Unix()
	// The sessions opened with the old authenticator end with it.
	err = k.modifyAdmin(name, actor, "admin.totp.reenroll", func(tx *store.Tx, r *adminRecord) error {
		r.TOTPSealed, r.QRPending, r.EnrolledAt = sealed, true, now
		return k.closeSessionsTx(tx, name)
	})
	if err != nil {
		return "", nil, err
	}
	return key.URL(), qr, nil
}

// TOTPQR returns the QR PNG of administrator name's current enrollment,
// once: later calls fail with ErrQRGone until ReenrollTOTP.
func (k *Keyring) TOTPQR(name, actor string) ([]byte, error) {
	var qr []byte
	err := k.modifyAdmin(name, actor, "admin.totp.qr", func(_ *store.Tx, r *adminRecord) error {
		if !r.QRPending {
			return ErrQRGone
		}
		seed, err := k.c.unseal(r.TOTPSealed, adminAAD(name))
		if err != nil {
			return err
		}
		key, err := totpKey(name, string(seed))
		if err != nil {
			return err
		}
		if qr, err = qrPNG(key); err != nil {
			return err
		}
		r.QRPending = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	return qr, nil
}

// modifyAdmin applies fn to the record of administrator name, audited.
func (k *Keyring) modifyAdmin(name, actor, action string, fn func(tx *store.Tx, r *adminRecord) error) error {
	err := k.change(AuditEntry{Actor: actor, Action: action, Target: name}, func(tx *store.Tx) error {
		var rec adminRecord
		if !ValidName(name) {
			return fmt.Errorf("admin %s: %w", truncate(name, 70), ErrNotFound)
		}
		if err := tx.GetJSON(prefixAdmin+name, &rec); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("admin %s: %w", name, ErrNotFound)
			}
			return err
		}
		if err := fn(tx, &rec); err != nil {
			return err
		}
		return tx.PutJSON(prefixAdmin+name, rec, 0)
	})
	k.invalidateAdmins()
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return nil
}

// adminRecords returns all administrator records, through a cache that
// every admin change invalidates.
func (k *Keyring) adminRecords() ([]adminRecord, error) {
	k.mu.Lock()
	cached, gen := k.admins, k.adminGen
	k.mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	recs := []adminRecord{}
	err := k.st.ScanJSON(prefixAdmin, func(_ string, raw []byte) error {
		var r adminRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decoding admin record: %w", err)
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing admins: %w", err)
	}
	k.mu.Lock()
	if k.adminGen == gen {
		k.admins = recs
	}
	k.mu.Unlock()
	return recs, nil
}

func (k *Keyring) invalidateAdmins() {
	k.mu.Lock()
	k.admins = nil
	k.adminGen++
	k.mu.Unlock()
}
