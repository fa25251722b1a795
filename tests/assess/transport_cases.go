package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// transportCases check plain HTTP (issue 11 finding 5), TLS versions,
// security headers and what error answers reveal (API8).
func (a *assessor) transportCases() {
	a.plainHTTPCases()
	for _, v := range []struct {
		name    string
		version uint16
		accept  bool
	}{{"TLS 1.0", tls.VersionTLS10, false}, {"TLS 1.1", tls.VersionTLS11, false}, {"TLS 1.2", tls.VersionTLS12, true}, {"TLS 1.3", tls.VersionTLS13, true}} {
		exp := "handshake refused"
		if v.accept {
			exp = "handshake succeeds"
		}
		a.add(API8, v.name, "a TLS handshake offering only "+v.name, exp, func() (string, string) {
			err := a.handshake(v.version)
			return "handshake: " + errOr(err, "succeeded"), verdict((err == nil) == v.accept)
		})
	}
	c := a.t.client(a.t.nextSource())
	hsts := func(r *resp) bool {
		return strings.Contains(r.Header.Get("Strict-Transport-Security"), "max-age=63072000")
	}
	a.add(API8, "HSTS and nosniff on a success", "POST /fc/account/authenticate with an API key",
		"Strict-Transport-Security max-age=63072000 and X-Content-Type-Options: nosniff", func() (string, string) {
			r := a.call(c, "account/authenticate", a.k0, nil)
			obs := fmt.Sprintf("%s; HSTS %q; nosniff %q", r, r.Header.Get("Strict-Transport-Security"), r.Header.Get("X-Content-Type-Options"))
			return obs, verdict(r.ok() && hsts(r) && r.Header.Get("X-Content-Type-Options") == "nosniff")
		})
	a.add(API8, "HSTS on a refusal", "POST /fc/account/authenticate without credentials",
		"a 4xx with Strict-Transport-Security max-age=63072000", func() (string, string) {
			r := a.do(c, a.form("account/authenticate", nil))
			return fmt.Sprintf("%s; HSTS %q", r, r.Header.Get("Strict-Transport-Security")), verdict(r.Status >= 400 && hsts(r))
		})
	a.add(API8, "JSONP off by default", "GET /fc/account/authenticate.json?callback=steal with the initial key",
		"HTTP 400, no steal( wrapper", func() (string, string) {
			req, _ := http.NewRequest(http.MethodGet, a.t.url("/fc/account/authenticate.json?callback=steal&"+a.k0.creds(nil).Encode()), nil)
			r := a.do(c, req)
			return r.String(), verdict(r.Status == http.StatusBadRequest && !strings.HasPrefix(string(r.Body), "steal("))
		})
	internals := regexp.MustCompile(`goroutine \d|panic|runtime error|\.go:\d+|/home/|/root/|/usr/local/go|badger|rego_|opa\.|caddyhttp`)
	for _, p := range []struct{ title, sent, path, ctype, body string }{
		{"malformed multipart", "multipart with a broken boundary", "/fc/faces/detect", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"},
		{"malformed signature header", "Signature-Input: sig1=(((", "/fc/account/authenticate", "application/x-www-form-urlencoded", "x=1"},
		{"invalid UTF-8 and NUL in parameters", "uids=%ff%00%fe", "/fc/tags/get", "application/x-www-form-urlencoded", "uids=%ff%00%fe&" + a.k0.creds(nil).Encode()},
		{"deeply nested JSON body", "Content-Type application/json, 10000 nested arrays", "/fc/tags/get", "application/json", strings.Repeat("[", 10000)},
	} {
		a.add(API8, "no server internals in errors: "+p.title, "POST "+p.path+" with "+p.sent,
			"a 4xx failure without stack traces, source paths or component names", func() (string, string) {
				req, _ := http.NewRequest(http.MethodPost, a.t.url(p.path), strings.NewReader(p.body))
				req.Header.Set("Content-Type", p.ctype)
				if strings.HasPrefix(p.title, "malformed signature") {
					req.Header.Set("Signature-Input", "sig1=(((")
					req.Header.Set("Signature", "sig1=:AA==:")
				}
				r := a.do(c, req)
				if m := internals.FindString(string(r.Body)); m != "" {
					return r.String() + " reveals " + m, Fail
				}
				return r.String(), verdict(r.Status >= 400 && r.Status < 500)
			})
	}
}

// handshake tries a TLS handshake with the target offering one version.
func (a *assessor) handshake(v uint16) error {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(a.t.nextSource())}}
	conn, err := tls.DialWithDialer(d, "tcp4", a.t.dialTo, &tls.Config{
		ServerName: a.t.host, RootCAs: a.t.pool, MinVersion: v, MaxVersion: v,
	})
	if err != nil {
		return err
	}
	return conn.Close()
}

// plainHTTPCases send credentials and calls over plain HTTP: credentials
// and bodies are refused (403) without echoing anything; other requests
// are redirected to the HTTPS port without their query.
func (a *assessor) plainHTTPCases() {
	const sent = "plain HTTP "
	if a.opt.httpURL == "off" || a.opt.httpURL == "" {
		a.skip(API8, "plain HTTP", sent, "credentials refused", "--http-url off")
		return
	}
	u, err := url.Parse(a.opt.httpURL)
	if err != nil || u.Scheme != "http" {
		a.skip(API8, "plain HTTP", sent, "credentials refused", "--http-url is not http://host:port")
		return
	}
	if _, err := loopbackIPv4(u.Hostname()); err != nil {
		a.skip(API8, "plain HTTP", sent, "credentials refused", err.Error())
		return
	}
	base := "http://" + u.Host
	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	k := a.initial
	admin := a.adm.ids[0].token
	wantLoc := "https://" + net.JoinHostPort(u.Hostname(), a.t.base.Port()) + "/fc/account/authenticate.json"
	cases := []struct {
		title, sent string
		req         func() *http.Request
		status      int
		location    string
	}{
		{"secret in the query", "GET /fc/account/authenticate.json?api_key=<key>&api_secret=<secret>", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+"/fc/account/authenticate.json?"+k.creds(nil).Encode(), nil)
			return r
		}, http.StatusForbidden, ""},
		{"secret in a form body", "POST /fc/faces/detect.json body api_key=<key>&api_secret=<secret>", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base+"/fc/faces/detect.json", strings.NewReader(k.creds(nil).Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, http.StatusForbidden, ""},
		{"admin token header", "GET /admin/keys with Authorization: Bearer <admin token>", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+"/admin/keys", nil)
			r.Header.Set("Authorization", "Bearer "+admin)
			return r
		}, http.StatusForbidden, ""},
		{"signature headers", "POST /fc/account/authenticate with Signature-Input and Signature", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base+"/fc/account/authenticate", nil)
			r.Header.Set("Signature-Input", `sig1=("@method");keyid="`+k.ID+`"`)
			r.Header.Set("Signature", "sig1=:AA==:")
			return r
		}, http.StatusForbidden, ""},
		{"no credentials: redirect keeps the port, drops the query", "GET /fc/account/authenticate.json?detail=1", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+"/fc/account/authenticate.json?detail=1", nil)
			return r
		}, http.StatusPermanentRedirect, wantLoc},
	}
	for _, tc := range cases {
		exp := fmt.Sprintf("HTTP %d, nothing of the request echoed", tc.status)
		if tc.location != "" {
			exp = fmt.Sprintf("HTTP %d to %s", tc.status, tc.location)
		}
		a.add(API8, "plain HTTP: "+tc.title+" (issue 11 finding 5)", sent+tc.sent, exp, func() (string, string) {
			resp, err := plain.Do(tc.req())
			if err != nil {
				return a.red.clean(err.Error()), Fail
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			obs := fmt.Sprintf("HTTP %d Location %q %.100q", resp.StatusCode, loc, body)
			all := string(body) + loc
			for _, leak := range []string{k.Secret, url.QueryEscape(k.Secret), admin, "detail=1"} {
				if strings.Contains(all, leak) {
					return a.red.clean(obs) + " echoes the request", Fail
				}
			}
			return a.red.clean(obs), verdict(resp.StatusCode == tc.status && loc == tc.location)
		})
	}
}
