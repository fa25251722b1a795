package httpsig

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const formBody = "urls=https%3A%2F%2Fexample.com%2Fa.jpg"

func TestVerifyTamper(t *testing.T) {
	six := `("@method" "@authority" "@path" "@query" "content-type" "content-digest")`
	good := `;created=1700000000;expires=1700000300;nonce="AAECAwQFBgcICQoLDA0ODw";keyid="k";alg="hmac-sha256";tag="facegate/v1"`
	tests := []struct {
		name   string
		tamper func(t *testing.T, r *http.Request) (body string)
		now    time.Time
		secret string
		reason string // "" means valid
	}{
		{name: "untouched", tamper: func(*testing.T, *http.Request) string { return formBody }},
		{name: "http/2 view of the same request", tamper: func(_ *testing.T, r *http.Request) string {
			r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
			return formBody
		}},
		{name: "authority case only", tamper: func(_ *testing.T, r *http.Request) string {
			r.Host = "API.FACEGATE.TEST"
			return formBody
		}},
		{name: "method", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.Method = "PUT"
			return formBody
		}},
		{name: "path", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.RequestURI = "/fc/faces/recognize.json?attributes=all"
			return formBody
		}},
		{name: "path encoding", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.RequestURI = "/fc/faces/detect%2Ejson?attributes=all"
			return formBody
		}},
		{name: "query", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.RequestURI = "/fc/faces/detect.json?attributes=none"
			return formBody
		}},
		{name: "query dropped", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.RequestURI = "/fc/faces/detect.json"
			return formBody
		}},
		{name: "authority", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.Host = "evil.test"
			return formBody
		}},
		{name: "content-type", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.Header.Set("Content-Type", "text/plain")
			return formBody
		}},
		{name: "body", reason: ReasonDigest, tamper: func(*testing.T, *http.Request) string {
			return formBody + "&x=1"
		}},
		{name: "body and digest", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.Header.Set("Content-Digest", ContentDigest([]byte(formBody+"&x=1")))
			return formBody + "&x=1"
		}},
		{name: "digest removed", reason: ReasonNoDigest, tamper: func(_ *testing.T, r *http.Request) string {
			r.Header.Del("Content-Digest")
			return formBody
		}},
		{name: "digest removed, empty body", reason: ReasonBase, tamper: func(_ *testing.T, r *http.Request) string {
			r.Header.Del("Content-Digest")
			return ""
		}},
		{name: "wrong secret", reason: ReasonSignature, secret: "another secret", tamper: func(*testing.T, *http.Request) string { return formBody }},
		{name: "truncated signature", reason: ReasonSignature, tamper: func(_ *testing.T, r *http.Request) string {
			r.Header.Set("Signature", "sig1=:"+strings.Repeat("A", 40)+":")
			return formBody
		}},
		{name: "expired", reason: ReasonExpired, now: testNow.Add(301 * time.Second), tamper: func(*testing.T, *http.Request) string { return formBody }},
		{name: "created in the future", reason: ReasonSkew, now: testNow.Add(-301 * time.Second), tamper: func(*testing.T, *http.Request) string { return formBody }},
		{name: "created at the edge", now: testNow.Add(300 * time.Second), tamper: func(*testing.T, *http.Request) string { return formBody }},
		{name: "expires too far", reason: ReasonWindow, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "expires=1700000300", "expires=1700000301", 1))
			return formBody
		}},
		{name: "expires before created", reason: ReasonWindow, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "expires=1700000300", "expires=1699999999", 1))
			return formBody
		}},
		{name: "wrong alg", reason: ReasonAlg, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "hmac-sha256", "hmac-sha512", 1))
			return formBody
		}},
		{name: "no alg", reason: ReasonAlg, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, `;alg="hmac-sha256"`, "", 1))
			return formBody
		}},
		{name: "wrong tag", reason: ReasonTag, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "facegate/v1", "skyb-gw/v1", 1))
			return formBody
		}},
		{name: "wrong label", reason: ReasonLabel, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig2", six+good)
			return formBody
		}},
		{name: "short nonce", reason: ReasonNonce, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0O", 1))
			return formBody
		}},
		{name: "padded nonce", reason: ReasonNonce, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0ODw==", 1))
			return formBody
		}},
		{name: "no created", reason: ReasonParams, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", six+strings.Replace(good, "created=1700000000;", "", 1))
			return formBody
		}},
		{name: "query not covered", reason: ReasonComponents, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", `("@method" "@authority" "@path" "content-type" "content-digest")`+good)
			return formBody
		}},
		{name: "digest not covered", reason: ReasonComponents, tamper: func(t *testing.T, r *http.Request) string {
			signWith(t, r, "sig1", `("@method" "@authority" "@path" "@query" "content-type")`+good)
			return formBody
		}},
		{name: "extra covered field", tamper: func(t *testing.T, r *http.Request) string {
			r.Header.Set("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
			signWith(t, r, "sig1", `("@method" "@authority" "@path" "@query" "content-type" "content-digest" "date")`+good)
			return formBody
		}},
		{name: "extra field changed after signing", reason: ReasonSignature, tamper: func(t *testing.T, r *http.Request) string {
			r.Header.Set("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
			signWith(t, r, "sig1", `("@method" "@authority" "@path" "@query" "content-type" "content-digest" "date")`+good)
			r.Header.Set("Date", "Tue, 14 Nov 2023 22:13:21 GMT")
			return formBody
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signedServerRequest(t, formBody)
			body := tt.tamper(t, r)
			now := tt.now
			if now.IsZero() {
				now = testNow.Add(5 * time.Second)
			}
			secret := vecSecret
			if tt.secret != "" {
				secret = tt.secret
			}
			p, err := ParseRequest(r.Header)
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			res, err := Verify(r, []byte(body), p, []byte(secret), now)
			if tt.reason == "" {
				if err != nil || !res.Valid || res.Reason != "" {
					t.Fatalf("want valid, got %+v, %v", res, err)
				}
				return
			}
			if res.Valid || !errors.Is(err, ErrRejected) || res.Reason != tt.reason {
				t.Fatalf("want reason %q, got %+v, %v", tt.reason, res, err)
			}
		})
	}
}

func TestVerifyFreshReplay(t *testing.T) {
	nc := NewNonceCacheClock(1000, 0, func() time.Time { return testNow })
	r := signedServerRequest(t, formBody)
	p, err := ParseRequest(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyFresh(r, []byte(formBody), p, []byte(vecSecret), testNow, nc)
	if err != nil || !res.Valid || res.Replayed {
		t.Fatalf("first use: %+v, %v", res, err)
	}
	res, err = VerifyFresh(r, []byte(formBody), p, []byte(vecSecret), testNow, nc)
	if err == nil || !res.Replayed || res.Reason != ReasonReplayed {
		t.Fatalf("replay accepted: %+v, %v", res, err)
	}
	// An invalid signature never enters the cache.
	r2 := signedServerRequest(t, formBody)
	p2, _ := ParseRequest(r2.Header)
	if _, err := VerifyFresh(r2, []byte(formBody), p2, []byte("wrong"), testNow, nc); err == nil {
		t.Fatal("wrong secret accepted")
	}
	if res, err := VerifyFresh(r2, []byte(formBody), p2, []byte(vecSecret), testNow, nc); err != nil || res.Replayed {
		t.Fatalf("nonce of a rejected request was remembered: %+v, %v", res, err)
	}
	if nc.Len() != 2 {
		t.Fatalf("cache holds %d nonces, want 2", nc.Len())
	}
	// Without a cache, freshness cannot be proven: fail closed.
	var none *NonceCache
	for _, c := range []NonceChecker{nil, none} {
		r3 := signedServerRequest(t, formBody)
		p3, _ := ParseRequest(r3.Header)
		if res, err := VerifyFresh(r3, []byte(formBody), p3, []byte(vecSecret), testNow, c); err == nil || !res.Replayed {
			t.Fatalf("nil cache accepted: %+v", res)
		}
	}
}

func TestVerifyReportsFacts(t *testing.T) {
	r := signedServerRequest(t, formBody)
	p, err := ParseRequest(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(r, []byte(formBody), p, []byte(vecSecret), testNow.Add(42*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res.AgeS != 42 || strings.Join(res.Covered, " ") != strings.Join(RequiredComponents, " ") {
		t.Fatalf("facts = %+v", res)
	}
	if p.KeyID != vecKeyID || p.Alg != Alg || p.Tag != Tag || p.Expires != p.Created+300 || !validNonce(p.Nonce) {
		t.Fatalf("parsed = %+v", p)
	}
}
