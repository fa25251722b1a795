package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// adminCases attack the admin API (API5: token without TOTP, a wrong or
// reused code, data credentials on admin routes), its path handling
// (API8: non-canonical spellings of /admin/) and the route inventory
// (API9: unknown routes and methods).
func (a *assessor) adminCases() {
	fresh := func() *http.Client { return a.t.client(a.t.nextSource()) }
	admin, err := a.adm.spare()
	if err != nil {
		a.skip(API5, "admin API cases", "POST /admin/admins", "a spare administrator", err.Error())
		return
	}
	problem401 := func(r *resp) (string, string) {
		ct := r.Header.Get("Content-Type")
		return r.String() + " " + ct, verdict(r.Status == http.StatusUnauthorized && strings.HasPrefix(ct, "application/problem+json"))
	}
	keyBody := `{"owner":"assess-mallory","namespaces":["assess-mallory"],"scopes":["*"]}`
	send := func(method, path string, hdr http.Header) *resp {
		req, _ := http.NewRequest(method, a.t.url(path), strings.NewReader(keyBody))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header[k] = v
		}
		return a.do(fresh(), req)
	}
	data := a.initial
	cases := []struct {
		title, sent, method, path string
		hdr                       http.Header
	}{
		{"admin token without TOTP", "Authorization: Bearer <admin token>, no X-TOTP-Code", http.MethodPost, "/admin/keys",
			http.Header{"Authorization": {"Bearer " + admin.token}}},
		{"admin token without TOTP on policy reload", "Authorization: Bearer <admin token>, no X-TOTP-Code", http.MethodPost, "/admin/policies/reload",
			http.Header{"Authorization": {"Bearer " + admin.token}}},
		{"admin token with a wrong TOTP code", "Authorization: Bearer <admin token>, X-TOTP-Code: 000000", http.MethodGet, "/admin/keys",
			http.Header{"Authorization": {"Bearer " + admin.token}, "X-Totp-Code": {"000000"}}},
		{"TOTP code without the token", "X-TOTP-Code: <a current code>, no Authorization", http.MethodGet, "/admin/keys",
			http.Header{"X-Totp-Code": {"123456"}}},
		{"data api_secret as bearer token", "Authorization: Bearer <initial api_secret>, X-TOTP-Code: 123456", http.MethodPost, "/admin/keys",
			http.Header{"Authorization": {"Bearer " + data.Secret}, "X-Totp-Code": {"123456"}}},
		{"data key parameters on an admin route", "POST /admin/keys?api_key=<key>&api_secret=<secret>", http.MethodPost,
			"/admin/keys?api_key=" + data.ID + "&api_secret=" + url.QueryEscape(data.Secret), nil},
	}
	for _, c := range cases {
		a.add(API5, c.title, c.method+" "+strings.SplitN(c.path, "?", 2)[0]+" with "+c.sent, "HTTP 401 application/problem+json, nothing changed",
			func() (string, string) { return problem401(send(c.method, c.path, c.hdr)) })
	}
	a.add(API5, "TOTP code used twice", "GET /admin/keys with the admin token and a fresh code, then the same code again",
		"first HTTP 200, second HTTP 401", func() (string, string) {
			code, err := totpCode(admin.uri, time.Now().Unix()/30+1)
			if err != nil {
				return err.Error(), Fail
			}
			a.red.add(code, "TOTP code")
			hdr := http.Header{"Authorization": {"Bearer " + admin.token}, "X-Totp-Code": {code}}
			first := send(http.MethodGet, "/admin/keys", hdr)
			second := send(http.MethodGet, "/admin/keys", hdr)
			return fmt.Sprintf("first HTTP %d, second %s", first.Status, second), verdict(first.Status == http.StatusOK && second.Status == http.StatusUnauthorized)
		})
	a.add(API5, "signed data request on an admin route", "GET /admin/keys signed with the initial key (RFC 9421)", "HTTP 401",
		func() (string, string) {
			req, _ := http.NewRequest(http.MethodGet, a.t.url("/admin/keys"), nil)
			if err := signWith(req, nil, data, sigSpec{}); err != nil {
				return err.Error(), Fail
			}
			r := a.do(fresh(), req)
			return r.String(), verdict(r.Status == http.StatusUnauthorized)
		})

	for _, p := range []string{"/ADMIN/keys", "/Admin/keys", "/fc/../admin/keys", "/fc/%2e%2e/admin/keys", "/admin//keys", "/admin/keys/"} {
		a.add(API8, "non-canonical admin path "+p+" (issue 11 finding 7)", "GET "+p+" as written, with the admin token and a fresh TOTP code",
			"HTTP 404 with a body, no key listed", func() (string, string) {
				id, code, err := a.adm.auth()
				if err != nil {
					return err.Error(), Fail
				}
				a.red.add(code, "TOTP code")
				req, _ := http.NewRequest(http.MethodGet, a.t.url("/"), nil)
				req.URL.Opaque = p
				req.Header.Set("Authorization", "Bearer "+id.token)
				req.Header.Set("X-TOTP-Code", code)
				r := a.do(fresh(), req)
				return r.String(), verdict(r.Status == http.StatusNotFound && len(r.Body) > 0 && !strings.Contains(string(r.Body), data.ID))
			})
	}

	k := a.k0
	for _, p := range []string{"/fc/debug", "/fc/faces/detect2.json", "/fc/admin/keys", "/v0/faces/detect"} {
		a.add(API9, "unknown route "+p, "POST "+p+" with valid credentials", "HTTP 404 failure (error 401 UNKNWOWN_REST_METHOD under /fc/)",
			func() (string, string) {
				req, _ := http.NewRequest(http.MethodPost, a.t.url(p), strings.NewReader(k.creds(nil).Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r := a.do(fresh(), req)
				ok := r.Status == http.StatusNotFound
				if strings.HasPrefix(p, "/fc/") {
					ok = ok && r.code() == 401
				}
				return r.String(), verdict(ok)
			})
	}
	a.add(API9, "unknown method on a known route", "DELETE /fc/tags/get with valid credentials in the query", "HTTP 405 error 401",
		func() (string, string) {
			req, _ := http.NewRequest(http.MethodDelete, a.t.url("/fc/tags/get?"+k.creds(nil).Encode()), nil)
			r := a.do(fresh(), req)
			return r.String(), verdict(r.Status == http.StatusMethodNotAllowed && r.code() == 401)
		})
}
