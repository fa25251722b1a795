package httpsig

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrResponse wraps every VerifyResponse failure.
var ErrResponse = errors.New("httpsig: response signature invalid")

// responseComponents are covered by a response signature: the status, the
// body digest and the request's signature (RFC 9421 §2.4), which binds the
// response to the signed request it answers.
func responseComponents(reqLabel string) []component {
	return []component{
		{name: "@status"},
		{name: "content-digest"},
		{name: "signature", params: []sfParam{
			{key: "req", val: sfItem{kind: kindBool, bo: true}},
			{key: "key", val: sfItem{kind: kindString, s: reqLabel}},
		}},
	}
}

// SignResponse sets Content-Digest, Signature-Input and Signature on the
// response header w for a response with the given status and body, bound
// to the verified request signature reqSig. It uses label sig1, the
// request's key id, created=now, alg and tag of the profile.
func SignResponse(w http.Header, status int, body []byte, reqSig *Parsed, secret []byte, now time.Time) error {
	if w == nil || reqSig == nil || len(reqSig.Sig) == 0 {
		return errors.New("signing response: no header or request signature")
	}
	if len(secret) == 0 {
		return errors.New("signing response: empty secret")
	}
	w.Set("Content-Digest", ContentDigest(body))
	reqHeader := http.Header{}
	var sv strings.Builder
	sv.WriteString(reqSig.Label)
	sv.WriteByte('=')
	serializeItem(&sv, sfItem{kind: kindBytes, b: reqSig.Sig})
	reqHeader.Set("Signature", sv.String())
	p := newParsed(Label, responseComponents(reqSig.Label), []sfParam{
		intP("created", now.Unix()),
		strP("keyid", reqSig.KeyID),
		strP("alg", Alg),
		strP("tag", Tag),
	})
	m := &message{header: w, status: status, parent: &message{header: reqHeader}}
	base, err := buildBase(m, p.components, p)
	if err != nil {
		return fmt.Errorf("signing response: %w", err)
	}
	setSignature(w, p, mac(secret, base))
	return nil
}

// VerifyResponse checks the response signature of resp against its body
// (already read), the secret and now. resp.Request must be the signed
// request that was sent (as set by http.Transport and Transport).
func VerifyResponse(resp *http.Response, body []byte, secret []byte, now time.Time) error {
	if resp == nil || resp.Request == nil {
		return fmt.Errorf("%w: response has no request", ErrResponse)
	}
	reqSig, err := ParseLabel(resp.Request.Header, Label)
	if err != nil {
		return fmt.Errorf("%w: request: %w", ErrResponse, err)
	}
	p, err := ParseLabel(resp.Header, Label)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrResponse, err)
	}
	want := responseComponents(reqSig.Label)
	if len(p.components) != len(want) {
		return fmt.Errorf("%w: unexpected covered components", ErrResponse)
	}
	for i := range want {
		if p.Covered[i] != want[i].String() {
			return fmt.Errorf("%w: unexpected covered components", ErrResponse)
		}
	}
	age := now.Unix() - p.Created
	switch {
	case p.Alg != Alg || p.Tag != Tag:
		return fmt.Errorf("%w: wrong alg or tag", ErrResponse)
	case p.KeyID != reqSig.KeyID:
		return fmt.Errorf("%w: key id differs from the request's", ErrResponse)
	case !p.HasCreated || age > int64(MaxAge/time.Second) || -age > int64(MaxAge/time.Second):
		return fmt.Errorf("%w: created missing or outside the window", ErrResponse)
	}
	if err := VerifyDigest(resp.Header, body); err != nil {
		return fmt.Errorf("%w: %w", ErrResponse, err)
	}
	if resp.Header.Get("Content-Digest") == "" {
		return fmt.Errorf("%w: content-digest missing", ErrResponse)
	}
	m := &message{header: resp.Header, status: resp.StatusCode, parent: &message{req: resp.Request, header: resp.Request.Header}}
	base, err := buildBase(m, p.components, p)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrResponse, err)
	}
	if !hmac.Equal(p.Sig, mac(secret, base)) {
		return fmt.Errorf("%w: signature mismatch", ErrResponse)
	}
	return nil
}
