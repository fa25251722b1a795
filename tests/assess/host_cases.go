package main

import (
	"net/http"
	"strings"
)

// hostCases send requests whose Host is not a site of the instance over
// a TLS connection to the configured name (API8, the class of issue 11
// finding 7: a path or host the routes do not know must not get an empty
// 200, which clients read as success). Caddy answers a request no route
// matches with an empty 200; the global option servers { strict_sni_host
// on } makes it 421.
func (a *assessor) hostCases() {
	for _, tc := range []struct {
		title, host, method, path string
		creds                     bool
	}{
		{"unconfigured Host on an API route", "evil.example", http.MethodPost, "/fc/account/authenticate", true},
		{"unconfigured Host on an admin route", "127.0.0.1", http.MethodGet, "/admin/keys", false},
		{"unconfigured Host on a write route", "evil.example", http.MethodPost, "/fc/tags/save", true},
	} {
		sent := tc.method + " " + tc.path + " with Host: " + tc.host + " (TLS server name " + a.t.host + ")"
		if tc.creds {
			sent += " and valid credentials"
		}
		a.add(API8, tc.title, sent, "a 4xx (404, or 421 Misdirected Request), never an empty 200", func() (string, string) {
			var req *http.Request
			if tc.creds {
				req = a.form(strings.TrimPrefix(tc.path, "/fc/"), a.k0.creds(nil))
			} else {
				req, _ = http.NewRequest(tc.method, a.t.url(tc.path), nil)
			}
			req.Host = tc.host
			r := a.do(a.t.client(a.t.nextSource()), req)
			return r.String() + " " + strings.TrimSpace(string(r.Body[:min(len(r.Body), 80)])),
				verdict(r.Status >= 400 && r.Status < 500)
		})
	}
}
