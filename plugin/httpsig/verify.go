package httpsig

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The facegate signature profile (docs/security.md §2).
const (
	// Label is the only accepted signature label.
	Label = "sig1"
	// Alg is the only accepted algorithm.
	Alg = "hmac-sha256"
	// Tag identifies the facegate profile.
	Tag = "facegate/v1"
	// MaxAge is the largest accepted |now - created| and expires - created.
	MaxAge = 300 * time.Second
	// MinNonceBytes is the smallest accepted nonce (128 bits).
	MinNonceBytes = 16
	// maxNonceBytes bounds what the nonce cache stores.
	maxNonceBytes = 64
)

// RequiredComponents must all be covered by a request signature.
var RequiredComponents = []string{"@method", "@authority", "@path", "@query", "content-type", "content-digest"}

// ErrRejected is wrapped by every error Verify returns; Result.Reason says why.
var ErrRejected = errors.New("httpsig: signature rejected")

// Result is what Verify found. It reports facts for the policy to judge.
type Result struct {
	// Valid is true when the signature matches and the profile is met.
	Valid bool
	// AgeS is now - created in seconds (negative if created is ahead).
	AgeS int64
	// Covered lists the covered components as received.
	Covered []string
	// Replayed is true when the nonce was already seen (VerifyFresh only).
	Replayed bool
	// Reason is a short machine-readable cause when Valid is false or
	// Replayed is true; it never contains secrets or request data.
	Reason string
}

// Reasons reported in Result.Reason.
const (
	ReasonLabel      = "label"
	ReasonAlg        = "alg"
	ReasonTag        = "tag"
	ReasonParams     = "params"
	ReasonNonce      = "nonce"
	ReasonComponents = "components"
	ReasonWindow     = "expires_window"
	ReasonExpired    = "expired"
	ReasonSkew       = "skew"
	ReasonDigest     = "digest"
	ReasonNoDigest   = "digest_missing"
	ReasonBase       = "base"
	ReasonSignature  = "signature"
	ReasonReplayed   = "replayed"
)

// Verify checks request signature p against r, the body actually read, the
// key's secret and the current time. The body's Content-Digest is
// recomputed; the signature is compared with hmac.Equal. Verify does not
// consult a nonce cache; see VerifyFresh.
func Verify(r *http.Request, body []byte, p *Parsed, secret []byte, now time.Time) (Result, error) {
	return check(r, body, true, p, NewKey(secret), now)
}

// check runs the profile and time checks, the body's Content-Digest when
// withBody (Key.VerifyHeaders checks the signature before the body is read),
// then the signature.
func check(r *http.Request, body []byte, withBody bool, p *Parsed, k *Key, now time.Time) (Result, error) {
	if r == nil || p == nil {
		return reject(Result{}, ReasonParams)
	}
	res := Result{Covered: slices.Clone(p.Covered), AgeS: now.Unix() - p.Created}
	if reason := profileReason(p); reason != "" {
		return reject(res, reason)
	}
	if reason := timeReason(p, now); reason != "" {
		return reject(res, reason)
	}
	if withBody {
		if err := VerifyDigest(r.Header, body); errors.Is(err, ErrMissingDigest) {
			return reject(res, ReasonNoDigest)
		} else if err != nil {
			return reject(res, ReasonDigest)
		}
	}
	return signatureValid(r, p, k, res)
}

// signatureValid compares the signature with the HMAC of the signature base.
func signatureValid(r *http.Request, p *Parsed, k *Key, res Result) (Result, error) {
	base, err := Base(r, p)
	if err != nil {
		return reject(res, ReasonBase)
	}
	if !hmac.Equal(p.Sig, k.sum(base)) {
		return reject(res, ReasonSignature)
	}
	res.Valid = true
	return res, nil
}

// NonceChecker remembers nonces; NonceCache is the in-memory one, and a
// persistent store (e.g. Badger keys nonce/<keyid>/<nonce> with a TTL) can
// implement it to keep replay protection across process restarts.
type NonceChecker interface {
	// Seen records nonce for keyID until exp and reports whether it was
	// already recorded (or cannot be recorded: fail closed).
	Seen(keyID, nonce string, exp time.Time) (replayed bool)
}

// VerifyFresh is Verify followed, for a valid signature only, by a nonce
// check: a nonce seen before for the same key id sets Replayed and returns
// an error. Invalid signatures never enter the cache. A nil cache fails
// closed: every request is reported as replayed.
func VerifyFresh(r *http.Request, body []byte, p *Parsed, secret []byte, now time.Time, nonces NonceChecker) (Result, error) {
	res, err := Verify(r, body, p, secret, now)
	if err != nil {
		return res, err
	}
	if isNil(nonces) || nonces.Seen(p.KeyID, p.Nonce, time.Unix(p.Expires, 0)) {
		res.Replayed = true
		res.Reason = ReasonReplayed
		return res, fmt.Errorf("%w: %s", ErrRejected, ReasonReplayed)
	}
	return res, nil
}

func reject(res Result, reason string) (Result, error) {
	res.Valid = false
	res.Reason = reason
	return res, fmt.Errorf("%w: %s", ErrRejected, reason)
}

// profileReason checks the label, parameters and covered components.
func profileReason(p *Parsed) string {
	switch {
	case p.Label != Label:
		return ReasonLabel
	case p.Alg != Alg:
		return ReasonAlg
	case p.Tag != Tag:
		return ReasonTag
	case p.KeyID == "" || !p.HasCreated || !p.HasExpires:
		return ReasonParams
	case !validNonce(p.Nonce):
		return ReasonNonce
	}
	for _, c := range RequiredComponents {
		if !slices.Contains(p.Covered, c) {
			return ReasonComponents
		}
	}
	return ""
}

// timeReason checks created and expires against now.
func timeReason(p *Parsed, now time.Time) string {
	maxAge := int64(MaxAge / time.Second)
	n := now.Unix()
	switch {
	case p.Expires < p.Created || p.Expires-p.Created > maxAge:
		return ReasonWindow
	case n > p.Expires:
		return ReasonExpired
	case n-p.Created > maxAge || p.Created-n > maxAge:
		return ReasonSkew
	}
	return ""
}

// validNonce accepts unpadded base64url of 16 to 64 bytes.
func validNonce(n string) bool {
	enc := base64.RawURLEncoding.Strict()
	if len(n) > maxNonceEncoded {
		// Too long for a valid nonce unless it holds the '\r' and '\n'
		// the decoder skips; rare enough to decode the simple way.
		b, err := enc.DecodeString(n)
		return err == nil && len(b) >= MinNonceBytes && len(b) <= maxNonceBytes
	}
	var src [maxNonceEncoded]byte
	var dst [maxNonceBytes]byte
	k, err := enc.Decode(dst[:], src[:copy(src[:], n)])
	return err == nil && k >= MinNonceBytes && k <= maxNonceBytes
}

// maxNonceEncoded is the length of the longest nonce in unpadded base64:
// strings up to it are decoded in stack buffers.
const maxNonceEncoded = (maxNonceBytes*8 + 5) / 6

// SignBase returns the hmac-sha256 signature of a signature base; it is
// exported for test vectors and other profiles.
func SignBase(secret, base []byte) []byte { return mac(secret, base) }

// isNil reports whether c is nil or a nil *NonceCache.
func isNil(c NonceChecker) bool {
	nc, ok := c.(*NonceCache)
	return c == nil || (ok && nc == nil)
}
