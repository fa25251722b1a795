package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// lockoutCases check that failed authentications cannot be turned against
// a key's holder (API2, issue 11 finding 2): wrong secrets and replayed
// signed requests from four other loopback addresses (12 failures, over
// the allowance of 10 a minute) leave the holder's right secret and fresh
// signatures accepted from an address that has not failed, while one
// address guessing on and on is refused.
func (a *assessor) lockoutCases() {
	k, err := a.adm.ownerKey(a.ns("assess-lock"), a.ns("assess-lock"))
	if err != nil {
		a.skip(API2, "lockout abuse", "admin API setup", "a key", err.Error())
		return
	}
	holder := a.t.client(a.t.nextSource())
	captured, body := a.signedForm("account/authenticate", url.Values{"n": {"captured"}}, k, sigSpec{})
	first := a.do(holder, a.resend(captured, captured.URL.String(), body))
	holderWorks := func() (string, bool) {
		r1 := a.call(holder, "account/authenticate", k, nil)
		req, _ := a.signedForm("account/authenticate", url.Values{"n": {strconv.FormatInt(time.Now().UnixNano(), 10)}}, k, sigSpec{})
		r2 := a.do(holder, req)
		return "holder's secret: " + r1.String() + "; holder's fresh signature: " + r2.String(), r1.ok() && r2.ok()
	}
	a.add(API2, "another address's failures do not lock the holder out (issue 11 finding 2)",
		"12 failures on the key from 127.x addresses A..D (per address: 2 wrong api_secret, 1 replay of a captured signed request), then the holder from its own address",
		"every failure HTTP 401 error 204; the holder's right secret and fresh signature HTTP 200 after each attacker", func() (string, string) {
			if !first.ok() {
				return "the holder's first signed request: " + first.String(), Fail
			}
			var slowest time.Duration
			n := 0
			for i := range 4 {
				att := a.t.client(a.t.nextSource())
				for j := range 3 {
					var req *http.Request
					if j == 2 {
						req = a.resend(captured, captured.URL.String(), body)
					} else {
						req = a.form("account/authenticate", url.Values{"api_key": {k.ID}, "api_secret": {"guess-" + strconv.Itoa(n)}})
					}
					r := a.do(att, req)
					n++
					if r.Status != http.StatusUnauthorized || r.code() != 204 {
						return fmt.Sprintf("failure %d from attacker %d: %s", n, i, r), Fail
					}
					if n > 10 {
						slowest = max(slowest, r.Took)
					}
				}
				if obs, ok := holderWorks(); !ok {
					return fmt.Sprintf("after attacker %d: %s", i, obs), Fail
				}
			}
			obs, _ := holderWorks()
			return fmt.Sprintf("12 failures refused (401/204), slowest past the allowance %v; %s", slowest.Round(time.Millisecond), obs), Pass
		})
	a.add(API2, "brute force on a key is slowed on the failing requests", "2 more wrong api_secret for the key of the case above (12 failures this minute), each from a fresh address",
		"failing answers past 10 a minute are delayed (250 ms, then 500 ms)", func() (string, string) {
			// Two more failures from fresh addresses: the key is past its allowance.
			var took []time.Duration
			for range 2 {
				r := a.do(a.t.client(a.t.nextSource()), a.form("account/authenticate", url.Values{"api_key": {k.ID}, "api_secret": {"more"}}))
				if r.Status != http.StatusUnauthorized {
					return r.String(), Fail
				}
				took = append(took, r.Took.Round(time.Millisecond))
			}
			return fmt.Sprintf("answers took %v", took), verdict(took[0] >= 200*time.Millisecond && took[1] >= 200*time.Millisecond)
		})
	a.add(API2, "one address guessing on is refused", "15 wrong api_secret for one key from one address, then the right secret from it",
		"HTTP 429 error 204 with Retry-After within the 15 guesses; the right secret from that address refused too", func() (string, string) {
			k2, err := a.adm.ownerKey(a.ns("assess-lock"), "", a.ns("assess-lock"))
			if err != nil {
				return err.Error(), Fail
			}
			g := a.t.client(a.t.nextSource())
			var blocked *resp
			for i := range 15 {
				r := a.do(g, a.form("account/authenticate", url.Values{"api_key": {k2.ID}, "api_secret": {"guess" + strconv.Itoa(i)}}))
				if r.Status == http.StatusTooManyRequests {
					blocked = r
					break
				}
			}
			if blocked == nil {
				return "15 guesses, none refused with 429", Fail
			}
			right := a.call(g, "account/authenticate", k2, nil)
			obs := fmt.Sprintf("%s Retry-After %q; right secret: %s", blocked, blocked.Header.Get("Retry-After"), right)
			return obs, verdict(blocked.code() == 204 && blocked.Header.Get("Retry-After") != "" && right.Status == http.StatusTooManyRequests)
		})
}

// bodyCases check that a large body is read only once credentials check
// out outside it or in its first multipart fields (API4, issue 11
// finding 3), with the photo of over 64 KiB.
func (a *assessor) bodyCases() {
	k := a.k0
	fresh := func() *http.Client { return a.t.client(a.t.nextSource()) }
	refused := func(r *resp) (string, string) {
		return r.String(), verdict(r.Status == http.StatusUnauthorized && r.code() == 204)
	}
	a.add(API4, "unauthenticated 16 MiB body is refused unread (issue 11 finding 3)", "POST /fc/faces/detect.json, Content-Type image/jpeg, 16 MiB, no credentials",
		"HTTP 401 error 204 asking for credentials first", func() (string, string) {
			req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/faces/detect.json"), bytes.NewReader(bytes.Repeat([]byte{0xff}, 16<<20)))
			req.Header.Set("Content-Type", "image/jpeg")
			return refused(a.do(fresh(), req))
		})
	const parallelSent = "12 parallel POST /fc/faces/detect.json of 16 MiB each without credentials, from 12 addresses"
	const parallelExp = "every one HTTP 401 error 204; RSS under 400 MB (with --pid)"
	if a.opt.quick {
		a.skip(API4, "parallel unauthenticated uploads stay unbuffered (issue 11 finding 3)", parallelSent, parallelExp, "--quick")
	} else {
		a.add(API4, "parallel unauthenticated uploads stay unbuffered (issue 11 finding 3)", parallelSent, parallelExp, func() (string, string) {
			body := bytes.Repeat([]byte{0xff}, 16<<20)
			stop := make(chan struct{})
			peak := make(chan int64, 1)
			go func() { peak <- a.watchRSS(stop) }()
			res := make([]*resp, 12)
			var wg sync.WaitGroup
			for i := range res {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/faces/detect.json"), bytes.NewReader(body))
					req.Header.Set("Content-Type", "image/jpeg")
					res[i] = a.do(fresh(), req)
				}()
			}
			wg.Wait()
			close(stop)
			rss := <-peak
			ok := true
			for _, r := range res {
				// The server may close the connection while the client still
				// sends the unread body: a transport error is a refusal too.
				ok = ok && (r.Err != nil || (r.Status == http.StatusUnauthorized && r.code() == 204))
			}
			obs := fmt.Sprintf("first answer %s", res[0])
			if rss > 0 {
				obs += fmt.Sprintf("; peak RSS %d MB", rss>>20)
				ok = ok && rss < 400<<20
			}
			return obs, verdict(ok)
		})
	}
	a.add(API4, "credentials after the files are not trusted", "multipart: files=<photo over 64 KiB>, then api_key, api_secret",
		"HTTP 401 error 204", func() (string, string) {
			req := a.multipartAfter("faces/detect.json", a.big, [][2]string{{"api_key", k.ID}, {"api_secret", k.Secret}})
			return refused(a.do(fresh(), req))
		})
	a.add(API4, "wrong secret before a large file", "multipart: api_key, api_secret=<wrong>, files=<photo over 64 KiB>",
		"HTTP 401 error 204", func() (string, string) {
			return refused(a.do(fresh(), a.multipartReq("faces/detect.json", [][2]string{{"api_key", k.ID}, {"api_secret", "wrong"}}, a.big)))
		})
	a.add(API4, "control: credentials first, large file served", "multipart: api_key, api_secret, files=<photo over 64 KiB>",
		"HTTP 200 success with faces", func() (string, string) {
			r := a.upload(fresh(), "faces/detect.json", k, nil, a.big)
			return r.String(), verdict(r.ok() && len(findStrings(r.JSON, "tid")) > 0)
		})
}

// multipartAfter is a multipart POST with the image first, then fields.
func (a *assessor) multipartAfter(route string, img []byte, fields [][2]string) *http.Request {
	var body bytes.Buffer
	fmt.Fprintf(&body, "--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
	body.Write(img)
	for _, f := range fields {
		fmt.Fprintf(&body, "\r\n--B\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s", f[0], f[1])
	}
	body.WriteString("\r\n--B--\r\n")
	req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/"+route), &body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	return req
}
