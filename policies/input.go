package policies

// Input is the document the guard hands to the policy for one request
// (data.facegate.decision's input). Go fills it with facts; the policy
// decides. policies/README.md documents every field.
type Input struct {
	Request RequestInput `json:"request"`
	Key     KeyInput     `json:"key"`
	Auth    AuthInput    `json:"auth"`
	Schema  SchemaResult `json:"schema"`
	// NowNS is the current time in unix nanoseconds.
	NowNS int64 `json:"now_ns"`
}

// RequestInput describes the HTTP request.
type RequestInput struct {
	// Method is the HTTP method ("GET", "POST").
	Method string `json:"method"`
	// Route is "<group>/<method>" for API routes ("faces/detect", without
	// /fc/ and format suffix), or the URL path for proxied upstreams.
	Route string `json:"route"`
	// Params are the merged query and form parameters. api_secret and
	// password are never passed to the policy (see [sensitiveParams]).
	Params map[string]string `json:"params"`
	// RemoteIP is the client address.
	RemoteIP string `json:"remote_ip"`
	// TLS describes the connection; an empty Version means plain HTTP.
	TLS TLSInput `json:"tls"`
	// Origin is the Origin header (or the origin of the Referer).
	Origin string `json:"origin"`
	// Images counts the images in the request: uploaded files plus urls.
	Images int `json:"images"`
	// Proxied is true when the guard fronts a reverse_proxy upstream.
	Proxied bool `json:"proxied"`
}

// TLSInput describes the TLS connection.
type TLSInput struct {
	// Version is "1.2" or "1.3", empty without TLS.
	Version string `json:"version"`
	// ClientCertSHA256 is the hex SHA-256 of the client certificate (DER), if any.
	ClientCertSHA256 string `json:"client_cert_sha256"`
}

// KeyInput is the API key record the request named (never its secret).
type KeyInput struct {
	// ID is the public key id.
	ID string `json:"id"`
	// Found is false when the key id is unknown (or absent).
	Found bool `json:"found"`
	// Status is "active", "suspended" or "revoked".
	Status string `json:"status"`
	// ExpiresAt is unix nanoseconds; 0 means the key never expires.
	ExpiresAt int64 `json:"expires_at"`
	// Scopes are the routes the key may call ("faces/detect", "tags/*", "*",
	// "proxy/*", "/v1/*").
	Scopes []string `json:"scopes"`
	// Namespaces the key owns; "*" means all.
	Namespaces []string `json:"namespaces"`
	// AuthModes the key may use: "secret", "signature", "domain".
	AuthModes []string `json:"auth_modes"`
	// AllowedOrigins for domain mode ("https://app.example.com").
	AllowedOrigins []string `json:"allowed_origins"`
	// ClientCertSHA256 binds the key to one client certificate when set.
	ClientCertSHA256 string `json:"client_cert_sha256"`
	// Tier is "free", "standard" or "unlimited"; unknown tiers count as free.
	Tier string `json:"tier"`
	// Limits override the tier's limits by name.
	Limits map[string]LimitOverride `json:"limits"`
	// DomainWrite lets a domain-mode key call write methods.
	DomainWrite bool `json:"domain_write"`
}

// LimitOverride changes one of the tier's limits for a key. Zero fields
// keep the tier's value; a new name needs a Kind.
type LimitOverride struct {
	Kind     string  `json:"kind,omitempty"`
	Rate     float64 `json:"rate,omitempty"`
	PerS     float64 `json:"per_s,omitempty"`
	Burst    int     `json:"burst,omitempty"`
	Count    int     `json:"count,omitempty"`
	Disabled bool    `json:"disabled,omitempty"`
}

// AuthInput holds the credential checks Go performed.
type AuthInput struct {
	// Mode is the mode the request used: "secret", "signature" or "domain"
	// ("" when no credentials were presented).
	Mode string `json:"mode"`
	// SecretOK is true when api_secret matched the key (constant time).
	SecretOK bool `json:"secret_ok"`
	// PasswordOK is nil when no tags/* password applies, else whether the
	// password parameter matched.
	PasswordOK *bool `json:"password_ok"`
	// Signature describes the RFC 9421 signature, if any.
	Signature SignatureInput `json:"signature"`
	// CertBound is true when Go matched the client certificate to the key.
	CertBound bool `json:"cert_bound"`
}

// SignatureInput describes an RFC 9421 request signature.
type SignatureInput struct {
	Present bool `json:"present"`
	Valid   bool `json:"valid"`
	// AgeS is now - created, in seconds (negative when created is in the future).
	AgeS     int64 `json:"age_s"`
	Replayed bool  `json:"replayed"`
	// Covered are the covered component identifiers ("@method", "content-digest").
	Covered []string `json:"covered"`
}

// SchemaResult is the outcome of validating a request's params
// ([Validator.Validate]).
type SchemaResult struct {
	Valid  bool          `json:"valid"`
	Errors []SchemaError `json:"errors"`
}

// SchemaError is one validation failure. Message never contains the
// parameter's value.
type SchemaError struct {
	// Kind is "missing" (required param absent), "too_long" (a list with
	// too many items), "invalid" or "unknown_route".
	Kind    string `json:"kind"`
	Param   string `json:"param"`
	Message string `json:"message"`
}

// Schema error kinds.
const (
	KindMissing      = "missing"
	KindTooLong      = "too_long"
	KindInvalid      = "invalid"
	KindUnknownRoute = "unknown_route"
)

// sensitiveParams are never copied into the policy input, so that no
// decision log or policy trace can contain them.
var sensitiveParams = map[string]bool{"api_secret": true, "password": true}
