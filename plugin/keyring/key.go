package keyring

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Key statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
)

// Auth modes a key may be allowed to use.
const (
	ModeSecret    = "secret"
	ModeSignature = "signature"
	ModeDomain    = "domain"
)

// Errors returned for keys. Check them with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrExists         = errors.New("already exists")
	ErrInvalid        = errors.New("invalid argument")
	ErrSuspended      = errors.New("key is suspended")
	ErrRevoked        = errors.New("key is revoked")
	ErrExpired        = errors.New("key is expired")
	ErrBadTransition  = errors.New("transition not allowed from the key's status")
	ErrNeedsRotation  = errors.New("signature mode was enabled after creation: rotate the key to use it")
	ErrNamespaceOwner = errors.New("namespace belongs to another owner")
)

// Key is the public view of an API key: what list and show return. It
// holds no secret material.
type Key struct {
	ID               string         `json:"id"`
	Owner            string         `json:"owner"`
	Label            string         `json:"label,omitempty"`
	Status           string         `json:"status"`
	ExpiresAt        int64          `json:"expires_at"`
	Scopes           []string       `json:"scopes"`
	Namespaces       []string       `json:"namespaces"`
	AuthModes        []string       `json:"auth_modes"`
	AllowedOrigins   []string       `json:"allowed_origins,omitempty"`
	ClientCertSHA256 string         `json:"client_cert_sha256,omitempty"`
	Tier             string         `json:"tier"`
	Limits           map[string]any `json:"limits,omitempty"`
	CreatedAt        int64          `json:"created_at"`
	RotatedAt        int64          `json:"rotated_at,omitempty"`
	LastUsedAt       int64          `json:"last_used_at,omitempty"`
}

// Usable reports why the key may not be used at time now: nil when it is
// active and not expired, else ErrSuspended, ErrRevoked or ErrExpired.
func (k Key) Usable(now time.Time) error {
	switch k.Status {
	case StatusActive:
	case StatusSuspended:
		return ErrSuspended
	default:
		return ErrRevoked
	}
	if k.ExpiresAt != 0 && now.Unix() >= k.ExpiresAt {
		return ErrExpired
	}
	return nil
}

// HasMode reports whether the key may use the given auth mode.
func (k Key) HasMode(mode string) bool { return slices.Contains(k.AuthModes, mode) }

// CreateParams describes a key to create, or the new settings of a key
// (Update). Empty AuthModes default to secret and signature, empty Scopes
// to none (the key can do nothing until scoped), empty Tier to "free".
type CreateParams struct {
	Owner            string         `json:"owner"`
	Label            string         `json:"label,omitempty"`
	Tier             string         `json:"tier,omitempty"`
	Scopes           []string       `json:"scopes,omitempty"`
	Namespaces       []string       `json:"namespaces,omitempty"`
	AuthModes        []string       `json:"auth_modes,omitempty"`
	AllowedOrigins   []string       `json:"allowed_origins,omitempty"`
	ExpiresAt        int64          `json:"expires_at,omitempty"`
	ClientCertSHA256 string         `json:"client_cert_sha256,omitempty"`
	Limits           map[string]any `json:"limits,omitempty"`
}

// keyRecord is what is stored at key/<id>: the public view plus the
// secret material (hashes and sealed secrets, never plaintext).
type keyRecord struct {
	Key
	SecretHash   []byte `json:"secret_hash,omitempty"`
	SecretSealed []byte `json:"secret_sealed,omitempty"`
	PrevHash     []byte `json:"prev_hash,omitempty"`
	PrevSealed   []byte `json:"prev_sealed,omitempty"`
	PrevUntil    int64  `json:"prev_until,omitempty"` // unix s; previous secret valid before this
}

const (
	maxListLen    = 64
	maxLabelLen   = 128
	maxLimitsJSON = 4096
)

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	ownerPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)
	scopePattern = regexp.MustCompile(`^(\*|[a-z_]{1,32}/(\*|[a-z_]{1,32}))$`)
	tierPattern  = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	keyIDPattern = regexp.MustCompile(`^` + KeyIDPrefix + `[a-z2-7]{24}$`)
)

// ValidName reports whether s is a valid namespace or administrator name.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// ValidKeyID reports whether s has the shape of a key id (keyIDPattern,
// checked by hand: it runs several times per request).
func ValidKeyID(s string) bool {
	rest, ok := strings.CutPrefix(s, KeyIDPrefix)
	if !ok || len(rest) != keyIDChars {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// keyIDChars is the length of a key id after its prefix.
const keyIDChars = 24

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// normalize validates p and fills defaults. It does not check the
// namespace registry (see Keyring.checkNamespaces).
func (p *CreateParams) normalize(now time.Time) error {
	if !ownerPattern.MatchString(p.Owner) {
		return invalidf("owner must match %s", ownerPattern)
	}
	if len(p.Label) > maxLabelLen || strings.ContainsFunc(p.Label, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return invalidf("label must be at most %d printable characters", maxLabelLen)
	}
	if p.Tier == "" {
		p.Tier = "free"
	}
	if !tierPattern.MatchString(p.Tier) {
		return invalidf("tier must match %s", tierPattern)
	}
	if p.ExpiresAt < 0 || (p.ExpiresAt != 0 && p.ExpiresAt <= now.Unix()) {
		return invalidf("expires_at must be 0 (never) or a future unix time")
	}
	var err error
	if p.Scopes, err = cleanList("scopes", p.Scopes, scopePattern.MatchString); err != nil {
		return err
	}
	if p.Namespaces, err = cleanList("namespaces", p.Namespaces, func(s string) bool { return s == "*" || ValidName(s) }); err != nil {
		return err
	}
	if len(p.AuthModes) == 0 {
		p.AuthModes = []string{ModeSecret, ModeSignature}
	}
	if p.AuthModes, err = cleanList("auth_modes", p.AuthModes, func(s string) bool {
		return s == ModeSecret || s == ModeSignature || s == ModeDomain
	}); err != nil {
		return err
	}
	if p.AllowedOrigins, err = cleanList("allowed_origins", p.AllowedOrigins, validOrigin); err != nil {
		return err
	}
	if slices.Contains(p.AuthModes, ModeDomain) && len(p.AllowedOrigins) == 0 {
		return invalidf("auth mode domain needs allowed_origins")
	}
	if p.ClientCertSHA256 != "" {
		fp := strings.ToLower(strings.ReplaceAll(p.ClientCertSHA256, ":", ""))
		if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
			return invalidf("client_cert_sha256 must be 64 hex digits")
		}
		p.ClientCertSHA256 = fp
	}
	if p.Limits != nil {
		b, err := json.Marshal(p.Limits)
		if err != nil || len(b) > maxLimitsJSON {
			return invalidf("limits must be a JSON object of at most %d bytes", maxLimitsJSON)
		}
	}
	return nil
}

// cleanList checks every entry of a list and removes duplicates, keeping order.
func cleanList(field string, in []string, ok func(string) bool) ([]string, error) {
	if len(in) > maxListLen {
		return nil, invalidf("%s: at most %d entries", field, maxListLen)
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !ok(s) {
			return nil, invalidf("%s: invalid entry %q", field, truncate(s, 70))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// validOrigin accepts a web origin: scheme://host[:port] with no path.
func validOrigin(s string) bool {
	if len(s) > 256 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return false
	}
	return u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil && u.Opaque == ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
