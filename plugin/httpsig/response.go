package httpsig

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	return signResponse(w, status, body, reqSig, NewKey(secret), now)
}

func signResponse(w http.Header, status int, body []byte, reqSig *Parsed, k *Key, now time.Time) error {
	if w == nil || reqSig == nil || len(reqSig.Sig) == 0 {
		return errors.New("signing response: no header or request signature")
	}
	if k == nil || k.empty {
		return errors.New("signing response: empty secret")
	}
	digest := ContentDigest(body)
	w.Set("Content-Digest", digest)
	if !plainResponse(status, reqSig) {
		return signResponseGeneral(w, status, reqSig, k, now)
	}
	// The base of responseComponents, written directly: the status, the
	// digest just set and the request's signature as the member that
	// `"signature";req;key=<label>` selects, which for a plain label is
	// the serialization of its byte sequence.
	b := make([]byte, 0, 320+len(reqSig.Label)*2+len(reqSig.KeyID)+len(reqSig.Sig)*4/3)
	b = append(b, `"@status": `...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, "\n\"content-digest\": "...)
	b = append(b, digest...)
	b = append(b, "\n\"signature\";req;key="...)
	b = appendString(b, reqSig.Label)
	b = append(b, ": "...)
	b = appendBytes(b, reqSig.Sig)
	b = append(b, "\n\"@signature-params\": "...)
	params := len(b)
	b = append(b, `("@status" "content-digest" "signature";req;key=`...)
	b = appendString(b, reqSig.Label)
	b = append(b, ");created="...)
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, ";keyid="...)
	b = appendString(b, reqSig.KeyID)
	b = append(b, `;alg="`+Alg+`";tag="`+Tag+`"`...)

	var buf [512]byte
	in := append(append(buf[:0], Label+"="...), b[params:]...)
	w.Set("Signature-Input", string(in))
	sv := appendBytes(append(buf[:0], Label+"="...), k.sum(b))
	w.Set("Signature", string(sv))
	return nil
}

// plainResponse reports whether SignResponse can write the base directly:
// the status is one @status accepts, and the request's label is a plain
// dictionary key, so that the field `<label>=:<sig>:` it stands for parses
// back to the byte sequence alone (see message.appendField). Anything else
// takes the general path, which fails the same way it always did.
func plainResponse(status int, reqSig *Parsed) bool {
	l := reqSig.Label
	if status < 100 || status > 999 || l == "" || (!isLCAlpha(l[0]) && l[0] != '*') {
		return false
	}
	if len(l)+1+base64.StdEncoding.EncodedLen(len(reqSig.Sig))+2 > maxFieldLen {
		return false
	}
	for i := 1; i < len(l); i++ {
		if c := l[i]; !isLCAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' && c != '*' {
			return false
		}
	}
	return true
}

// signResponseGeneral is SignResponse (after Content-Digest is set)
// through the generic base builder, re-reading the request's signature
// from a Signature field.
func signResponseGeneral(w http.Header, status int, reqSig *Parsed, k *Key, now time.Time) error {
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
	setSignature(w, p, k.sum(base))
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
