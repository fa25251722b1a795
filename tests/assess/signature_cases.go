package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/facegate/facegate/plugin/httpsig"
)

// sigSpec describes a hand-made RFC 9421 signature: which components it
// covers and its parameters. The zero value of a field means the
// facegate profile's value.
type sigSpec struct {
	components []string
	created    time.Time
	lifetime   time.Duration // expires - created
	nonce      string
	alg, tag   string
	keyID      string
}

// signWith signs req (whose body is body) with k's secret as spec says:
// Content-Digest of the body, Signature-Input and Signature (label sig1).
// Unlike httpsig.SignRequest it can leave components out or set any
// parameter, to build signatures the server must refuse.
func signWith(req *http.Request, body []byte, k key, spec sigSpec) error {
	if spec.components == nil {
		spec.components = httpsig.RequiredComponents
	}
	if spec.created.IsZero() {
		spec.created = time.Now()
	}
	if spec.lifetime == 0 {
		spec.lifetime = 300 * time.Second
	}
	if spec.nonce == "" {
		n, err := httpsig.NewNonce()
		if err != nil {
			return err
		}
		spec.nonce = n
	}
	if spec.alg == "" {
		spec.alg = "hmac-sha256"
	}
	if spec.tag == "" {
		spec.tag = "facegate/v1"
	}
	if spec.keyID == "" {
		spec.keyID = k.ID
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Content-Digest", httpsig.ContentDigest(body))
	quoted := make([]string, len(spec.components))
	for i, c := range spec.components {
		quoted[i] = `"` + c + `"`
	}
	input := fmt.Sprintf(`sig1=(%s);created=%d;expires=%d;nonce="%s";keyid="%s";alg="%s";tag="%s"`,
		strings.Join(quoted, " "), spec.created.Unix(), spec.created.Add(spec.lifetime).Unix(), spec.nonce, spec.keyID, spec.alg, spec.tag)
	h := http.Header{"Signature-Input": {input}, "Signature": {"sig1=:AA==:"}}
	p, err := httpsig.ParseRequest(h)
	if err != nil {
		return fmt.Errorf("parsing the signature input: %w", err)
	}
	base, err := httpsig.Base(req, p)
	if err != nil {
		return fmt.Errorf("building the signature base: %w", err)
	}
	req.Header.Set("Signature-Input", input)
	req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(httpsig.SignBase([]byte(k.Secret), base))+":")
	return nil
}

// signedForm is a signed urlencoded POST of route with body v.
func (a *assessor) signedForm(route string, v url.Values, k key, spec sigSpec) (*http.Request, []byte) {
	body := []byte(v.Encode())
	req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/"+route), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := signWith(req, body, k, spec); err != nil {
		panic(err)
	}
	return req, body
}

// resend rebuilds req with the same headers and another URL and body.
func (a *assessor) resend(req *http.Request, rawURL string, body []byte) *http.Request {
	out, _ := http.NewRequest(req.Method, rawURL, bytes.NewReader(body))
	out.Header = req.Header.Clone()
	return out
}

// signatureCases tamper with RFC 9421 signed requests (API2): body, path,
// query and headers changed after signing, stale and future timestamps,
// a replayed nonce, components or parameters left out or changed.
func (a *assessor) signatureCases() {
	k, err := a.adm.ownerKey(a.ns("assess-sig"), a.ns("assess-sig"))
	if err != nil {
		a.skip(API2, "signature cases", "admin API setup", "a signature key", err.Error())
		return
	}
	fresh := func() *http.Client { return a.t.client(a.t.nextSource()) }
	const route = "account/authenticate"
	sent := "POST /fc/account/authenticate signed (RFC 9421, hmac-sha256, sig1) "
	a.add(API2, "control: a well-formed signature is accepted", sent+"covering all six components", "HTTP 200 success", func() (string, string) {
		req, _ := a.signedForm(route, url.Values{"n": {"1"}}, k, sigSpec{})
		r := a.do(fresh(), req)
		return r.String(), verdict(r.ok())
	})
	a.add(API2, "control: facegate's own client signature is accepted", sent+"made by plugin/httpsig.SignRequest", "HTTP 200 success", func() (string, string) {
		body := []byte("n=2")
		req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/"+route), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := httpsig.SignRequest(req, body, k.ID, []byte(k.Secret), time.Now()); err != nil {
			return err.Error(), Fail
		}
		r := a.do(fresh(), req)
		return r.String(), verdict(r.ok())
	})

	type tamper struct {
		title, sent string
		build       func(k key) *http.Request
	}
	base := func(k key) (*http.Request, []byte) { return a.signedForm(route, url.Values{"n": {"3"}}, k, sigSpec{}) }
	cases := []tamper{
		{"tampered body", "then the body changed (n=3 -> n=4)", func(k key) *http.Request {
			req, _ := base(k)
			return a.resend(req, req.URL.String(), []byte("n=4"))
		}},
		{"tampered body and digest", "then the body and its Content-Digest changed", func(k key) *http.Request {
			req, _ := base(k)
			out := a.resend(req, req.URL.String(), []byte("n=4"))
			out.Header.Set("Content-Digest", httpsig.ContentDigest([]byte("n=4")))
			return out
		}},
		{"tampered path", "then sent to /fc/faces/detect", func(k key) *http.Request {
			req, body := base(k)
			return a.resend(req, a.t.url("/fc/faces/detect"), body)
		}},
		{"tampered query", "then ?detector=aggressive added", func(k key) *http.Request {
			req, body := base(k)
			return a.resend(req, req.URL.String()+"?detector=aggressive", body)
		}},
		{"tampered content-type", "then Content-Type changed to text/plain", func(k key) *http.Request {
			req, body := base(k)
			out := a.resend(req, req.URL.String(), body)
			out.Header.Set("Content-Type", "text/plain")
			return out
		}},
		{"tampered authority", "then Host changed to " + a.t.host + ":1 (the same site, another authority)", func(k key) *http.Request {
			req, body := base(k)
			out := a.resend(req, req.URL.String(), body)
			out.Host = net.JoinHostPort(a.t.host, "1")
			return out
		}},
		{"stale signature", "created 1 h ago", func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"5"}}, k, sigSpec{created: time.Now().Add(-time.Hour)})
			return req
		}},
		{"signature from the future", "created in 1 h", func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"6"}}, k, sigSpec{created: time.Now().Add(time.Hour)})
			return req
		}},
		{"lifetime over 300 s", "expires = created + 3600", func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"7"}}, k, sigSpec{lifetime: time.Hour})
			return req
		}},
		{"short nonce", `nonce="abc"`, func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"8"}}, k, sigSpec{nonce: "abc"})
			return req
		}},
		{"other algorithm name", `alg="hmac-sha512"`, func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"9"}}, k, sigSpec{alg: "hmac-sha512"})
			return req
		}},
		{"other tag", `tag="other/v1"`, func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"10"}}, k, sigSpec{tag: "other/v1"})
			return req
		}},
		{"signed with another key's id", "keyid of the initial key, MAC with this key's secret", func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"11"}}, k, sigSpec{keyID: a.initial.ID})
			return req
		}},
	}
	for _, drop := range httpsig.RequiredComponents {
		comps := make([]string, 0, len(httpsig.RequiredComponents)-1)
		for _, c := range httpsig.RequiredComponents {
			if c != drop {
				comps = append(comps, c)
			}
		}
		cases = append(cases, tamper{"missing component " + drop, "covering every component but " + drop, func(k key) *http.Request {
			req, _ := a.signedForm(route, url.Values{"n": {"12"}}, k, sigSpec{components: comps})
			return req
		}})
	}
	// A key failing more than 10 times a minute gets its failing answers
	// delayed: a key of its own for every 8 failing cases keeps the run fast.
	var kk key
	for i, c := range cases {
		if i%8 == 0 {
			if kk, err = a.adm.ownerKey(a.ns("assess-sig"), "", a.ns("assess-sig")); err != nil {
				a.skip(API2, c.title, sent+c.sent, "HTTP 401 error 204", "admin API setup: "+err.Error())
				continue
			}
		}
		a.add(API2, c.title, sent+c.sent, "HTTP 401 error 204", func() (string, string) {
			return want401(a.do(fresh(), c.build(kk)), 204)
		})
	}
	a.add(API2, "replayed signed request", sent+"accepted once, then sent again byte for byte from another address",
		"first HTTP 200, replay HTTP 401 error 204", func() (string, string) {
			req, body := a.signedForm(route, url.Values{"n": {"replay"}}, k, sigSpec{})
			first := a.do(fresh(), a.resend(req, req.URL.String(), body))
			again := a.do(fresh(), a.resend(req, req.URL.String(), body))
			obs := "first " + first.String() + "; replay " + again.String()
			return obs, verdict(first.ok() && again.Status == http.StatusUnauthorized && again.code() == 204)
		})
	a.add(API2, "response signature on signed requests", sent+"(well-formed)", "the answer carries a Signature that verifies with the key's secret",
		func() (string, string) {
			req, _ := a.signedForm(route, url.Values{"n": {"resp"}}, k, sigSpec{})
			hr, err := fresh().Do(req)
			if err != nil {
				return a.red.clean(err.Error()), Fail
			}
			defer hr.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(hr.Body)
			err = httpsig.VerifyResponse(hr, buf.Bytes(), []byte(k.Secret), time.Now())
			return fmt.Sprintf("HTTP %d, response signature: %v", hr.StatusCode, errOr(err, "verifies")), verdict(err == nil && hr.StatusCode == 200)
		})
}

// errOr is err's text, or ok when err is nil.
func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}
