package main

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// want401 is the verdict of an authentication failure: HTTP 401 with
// SkyBiometry's error code (201 unknown key, 204 failed authentication).
func want401(r *resp, code int) (string, string) {
	return r.String(), verdict(r.Status == http.StatusUnauthorized && r.code() == code && r.str("status") == "failure")
}

// authCases are the authentication bypass attempts (API2): no, unknown
// and wrong credentials, and keys that were revoked, expired or rotated
// out, each from an address of its own.
func (a *assessor) authCases() {
	ns := a.ns("assess-auth")
	k, err := a.adm.ownerKey(a.ns("assess-auth"), ns)
	if err != nil {
		a.skip(API2, "authentication cases", "admin API setup", "keys created", err.Error())
		return
	}
	spec := func(extra map[string]any) map[string]any {
		m := map[string]any{"owner": a.ns("assess-auth"), "namespaces": []string{ns}, "scopes": []string{"*"}, "tier": "unlimited"}
		for n, v := range extra {
			m[n] = v
		}
		return m
	}
	other, err1 := a.adm.createKey(spec(nil))
	revoked, err2 := a.adm.createKey(spec(nil))
	expired, err3 := a.adm.createKey(spec(map[string]any{"expires_at": time.Now().Unix() + 2}))
	rotated, err4 := a.adm.createKey(spec(nil))
	for _, e := range []error{err1, err2, err3, err4} {
		if e != nil {
			a.skip(API2, "authentication cases", "admin API setup", "keys created", e.Error())
			return
		}
	}
	if r, err := a.adm.do(http.MethodPost, "/keys/"+revoked.ID+"/revoke", nil); err != nil || r.Status != http.StatusOK {
		a.skip(API2, "revoked key", "POST /admin/keys/<id>/revoke", "200", fmt.Sprint("revoking failed: ", r, err))
	}
	if r, err := a.adm.do(http.MethodPost, "/keys/"+rotated.ID+"/rotate", map[string]any{"grace_s": 0}); err != nil || r.Status != http.StatusOK {
		a.skip(API2, "rotated-out secret", "POST /admin/keys/<id>/rotate", "200", fmt.Sprint("rotating failed: ", r, err))
	} else {
		a.red.add(r.str("api_secret"), "new api_secret of "+rotated.ID)
	}
	time.Sleep(time.Until(time.Unix(time.Now().Unix()+2, 200e6))) // the expiring key is past expires_at

	fresh := func() *http.Client { return a.t.client(a.t.nextSource()) }
	authn := "POST /fc/account/authenticate "
	a.add(API2, "control: the right secret is accepted", authn+"api_key=<key>&api_secret=<its secret>", "HTTP 200 success",
		func() (string, string) {
			r := a.call(fresh(), "account/authenticate", k, nil)
			return r.String(), verdict(r.ok())
		})
	a.add(API2, "no credentials", authn+"(no api_key, no api_secret)", "HTTP 4xx failure, nothing served",
		func() (string, string) {
			r := a.do(fresh(), a.form("account/authenticate", url.Values{"x": {"1"}}))
			return r.String(), verdict(r.Status >= 400 && r.Status < 500 && r.str("status") == "failure")
		})
	cases := []struct {
		title, sent string
		v           url.Values
		code        int
	}{
		{"unknown key", "api_key=fg_live_<random unknown>&api_secret=<a valid secret of another key>",
			url.Values{"api_key": {"fg_live_aaaaaaaaaaaaaaaaaaaaaaaa"}, "api_secret": {k.Secret}}, 201},
		{"wrong secret", "api_key=<key>&api_secret=<another key's secret>", url.Values{"api_key": {k.ID}, "api_secret": {other.Secret}}, 204},
		{"api_key without api_secret", "api_key=<key>", url.Values{"api_key": {k.ID}}, 204},
		{"empty secret", "api_key=<key>&api_secret=", url.Values{"api_key": {k.ID}, "api_secret": {""}}, 204},
		{"revoked key", "api_key=<revoked key>&api_secret=<its secret>", revoked.creds(nil), 204},
		{"expired key", "api_key=<key past expires_at>&api_secret=<its secret>", expired.creds(nil), 204},
		{"rotated-out secret (grace 0)", "api_key=<rotated key>&api_secret=<its old secret>", rotated.creds(nil), 204},
	}
	for _, c := range cases {
		a.add(API2, c.title, authn+c.sent, fmt.Sprintf("HTTP 401 error %d", c.code), func() (string, string) {
			return want401(a.do(fresh(), a.form("account/authenticate", c.v)), c.code)
		})
	}
	a.add(API2, "secret in the query of an upload route", "POST /fc/faces/detect?api_key=<key>&api_secret=<wrong> with a photo",
		"HTTP 401 error 204, nothing detected", func() (string, string) {
			req := a.multipartReq("faces/detect?api_key="+k.ID+"&api_secret=wrong-"+k.ID[:8], nil, a.photo)
			return want401(a.do(fresh(), req), 204)
		})
	a.add(API2, "revoked key on another route", "POST /fc/faces/detect api_key=<revoked key>&api_secret=<its secret> with a photo",
		"HTTP 401 error 204 (revocation holds on every route)", func() (string, string) {
			return want401(a.upload(fresh(), "faces/detect", revoked, nil, a.photo), 204)
		})
}
