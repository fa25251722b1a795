package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/httpsig"
)

// TestSignature drives RFC 9421 signature-mode keys against the real
// binary: signed requests pass and get a verifiable response signature;
// replays, tampering, clock skew and missing digests are refused.
func TestSignature(t *testing.T) {
	s := startServer(t, t.TempDir())
	adm := newSecAdmin(t, s)
	key, secret := adm.secOwner("sigco", "signs", "signature")
	// A second key for the freshness tests, so that the failures of one
	// group do not reach the per-key failed-authentication limit.
	adm.createNamespace("signs2", "sigco2")
	key2, secret2 := adm.createKey(map[string]any{"owner": "sigco2", "namespaces": []string{"signs2"},
		"scopes": []string{"*"}, "tier": "unlimited", "auth_modes": []string{"signature"}})

	t.Run("signed request succeeds with a verifiable response signature", func(t *testing.T) {
		c := secClient(t, s)
		c.Transport = &httpsig.Transport{Base: c.Transport, KeyID: key, Secret: []byte(secret)}
		for _, req := range []*http.Request{
			secForm(s, "account/authenticate", url.Values{}),
			secMultipart(s, "faces/detect", map[string]string{"attributes": "all"}, secPNG(t, 48, 48)),
			secForm(s, "tags/get", url.Values{"uids": {"nobody@signs"}}),
		} {
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"status":"success"`)) {
				t.Errorf("%s: HTTP %d %.300s", req.URL.Path, resp.StatusCode, body)
				continue
			}
			if err := httpsig.VerifyResponse(resp, body, []byte(secret), time.Now()); err != nil {
				t.Errorf("%s: response signature: %v (Signature-Input %q)", req.URL.Path, err, resp.Header.Get("Signature-Input"))
			}
			// The verification means something: a changed body fails it.
			tampered := append(bytes.Clone(body[:len(body)-1]), ' ')
			if err := httpsig.VerifyResponse(resp, tampered, []byte(secret), time.Now()); err == nil {
				t.Errorf("%s: response signature verified a tampered body", req.URL.Path)
			}
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s: the secret appears in the answer", req.URL.Path)
			}
		}
	})

	t.Run("replay is refused", func(t *testing.T) {
		c := secClient(t, s)
		req, body := secSignedForm(t, s, "tags/get", key, secret, url.Values{"uids": {"nobody@signs"}})
		if r := secDo(t, c, secResend(req, body)); !r.ok() {
			t.Fatalf("first send: %s", r)
		}
		r := secDo(t, c, secResend(req, body))
		if r.Status != http.StatusUnauthorized || r.code() != 204 || !strings.Contains(r.str("error_message"), "replay") {
			t.Errorf("replay: %s, want 401 error 204 (replayed)", r)
		}
		// From another address too: the nonce cache is per key, not per connection.
		if r := secDo(t, secClient(t, s), secResend(req, body)); r.Status != http.StatusUnauthorized {
			t.Errorf("replay from another address: %s", r)
		}
	})

	t.Run("tampering is refused and burns nothing", func(t *testing.T) {
		c := secClient(t, s)
		req, body := secSignedForm(t, s, "tags/get", key, secret, url.Values{"uids": {"nobody@signs"}, "limit": {"5"}})
		tampered := bytes.Replace(body, []byte("limit=5"), []byte("limit=9"), 1)
		cases := []struct {
			name  string
			build func() *http.Request
		}{
			{"body", func() *http.Request { return secResend(req, tampered) }},
			{"body with a recomputed digest", func() *http.Request {
				r := secResend(req, tampered)
				r.Header.Set("Content-Digest", httpsig.ContentDigest(tampered))
				return r
			}},
			{"query", func() *http.Request {
				r := secResend(req, body)
				r.URL.RawQuery = "limit=9"
				return r
			}},
			{"method", func() *http.Request {
				r := secResend(req, body)
				r.Method = http.MethodGet
				return r
			}},
			{"content-type", func() *http.Request {
				r := secResend(req, body)
				r.Header.Set("Content-Type", "text/plain")
				return r
			}},
			{"path", func() *http.Request {
				r := secResend(req, body)
				r.URL.Path = "/fc/tags/get.json"
				return r
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := secDo(t, c, tc.build())
				if r.Status != http.StatusUnauthorized || r.code() != 204 {
					t.Errorf("tampered %s: %s, want 401 error 204", tc.name, r)
				}
			})
		}
		// The untouched request still works: the refusals did not use its nonce.
		if r := secDo(t, c, secResend(req, body)); !r.ok() {
			t.Errorf("the original request after the tampered ones: %s", r)
		}
	})

	t.Run("freshness and coverage", func(t *testing.T) {
		c := secClient(t, s)
		v := url.Values{"uids": {"nobody@signs2"}}
		signedAt := func(at time.Time) *http.Request {
			body := []byte(v.Encode())
			req, _ := http.NewRequest(http.MethodPost, s.url("/fc/tags/get"), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			secSign(t, req, body, key2, secret2, at)
			return req
		}
		cases := []struct {
			name  string
			build func() *http.Request
		}{
			{"created 400 s ago", func() *http.Request { return signedAt(time.Now().Add(-400 * time.Second)) }},
			{"created 400 s ahead", func() *http.Request { return signedAt(time.Now().Add(400 * time.Second)) }},
			{"Content-Digest removed", func() *http.Request {
				r := signedAt(time.Now())
				r.Header.Del("Content-Digest")
				return r
			}},
			{"signature without content-digest", func() *http.Request {
				return secSignPartial(t, s, key2, secret2, v, `"@method" "@authority" "@path" "@query" "content-type"`)
			}},
			{"wrong secret", func() *http.Request {
				body := []byte(v.Encode())
				req, _ := http.NewRequest(http.MethodPost, s.url("/fc/tags/get"), bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				secSign(t, req, body, key2, secret2+"x", time.Now())
				return req
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := secDo(t, c, tc.build())
				if r.Status != http.StatusUnauthorized || r.code() != 204 {
					t.Errorf("%s: %s, want 401 error 204", tc.name, r)
				}
			})
		}
		// Within the window (±250 s) a signature is accepted.
		if r := secDo(t, c, signedAt(time.Now().Add(-250*time.Second))); !r.ok() {
			t.Errorf("created 250 s ago: %s", r)
		}
		// The same partial signer with every required component passes,
		// so the refusal above is about coverage, not the helper.
		full := secSignPartial(t, s, key2, secret2, v, `"@method" "@authority" "@path" "@query" "content-type" "content-digest"`)
		if r := secDo(t, c, full); !r.ok() {
			t.Errorf("hand-made signature with all components: %s", r)
		}
	})

	t.Run("signature-only key refuses api_secret", func(t *testing.T) {
		r := secCall(t, secClient(t, s), s, "account/authenticate", key, secret, nil)
		if r.ok() || r.Status != http.StatusForbidden || r.code() != 304 {
			t.Errorf("api_secret on a signature-only key: %s, want 403 error 304", r)
		}
	})

	t.Run("facegate sign CLI", func(t *testing.T) {
		dir := t.TempDir()
		secFile := filepath.Join(dir, "secret")
		if err := os.WriteFile(secFile, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(dir, "img.png")
		if err := os.WriteFile(img, secPNG(t, 40, 40), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"-d", "uids=nobody@signs", s.url("/fc/tags/get.json")},
			{"-F", "files=@" + img, "-F", "attributes=all", s.url("/fc/faces/detect.json")},
		} {
			full := append([]string{"sign", "--key", key, "--secret-file", secFile, "--cacert", s.rootCA(), "--strict"}, args...)
			cmd := exec.Command(binPath, full...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("facegate sign %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
				continue
			}
			if !strings.Contains(stdout.String(), `"status":"success"`) || strings.Contains(stderr.String(), "warning") {
				t.Errorf("facegate sign %v: stdout %.300s stderr %.300s", args, stdout.String(), stderr.String())
			}
		}
	})
}

// secSignPartial signs a urlencoded tags/get by hand with the given covered
// components (an inner list), using httpsig.Base and httpsig.SignBase.
func secSignPartial(t testing.TB, s *server, key, secret string, v url.Values, components string) *http.Request {
	t.Helper()
	body := []byte(v.Encode())
	req, _ := http.NewRequest(http.MethodPost, s.url("/fc/tags/get"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Content-Digest", httpsig.ContentDigest(body))
	nonce, err := httpsig.NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	req.Header.Set("Signature-Input", fmt.Sprintf(`sig1=(%s);created=%d;expires=%d;nonce="%s";keyid="%s";alg="hmac-sha256";tag="facegate/v1"`,
		components, now, now+300, nonce, key))
	req.Header.Set("Signature", "sig1=:AAAA:")
	p, err := httpsig.ParseRequest(req.Header)
	if err != nil {
		t.Fatalf("parsing hand-made signature input: %v", err)
	}
	base, err := httpsig.Base(req, p)
	if err != nil {
		t.Fatalf("signature base: %v", err)
	}
	req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(httpsig.SignBase([]byte(secret), base))+":")
	return req
}
