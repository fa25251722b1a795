package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// ssrfCases send urls= that point at the instance's own host, private and
// metadata addresses, in every spelling (API7), and check that each is
// refused quickly with a 4xx and that a loopback listener standing in for
// an internal service is never connected to. Private and metadata
// addresses are refused before any connection by facegate's dialer; they
// are listed because an SSRF check must name them.
func (a *assessor) ssrfCases() {
	k, err := a.adm.ownerKey(a.ns("assess-ssrf"), a.ns("assess-ssrf"))
	if err != nil {
		a.skip(API7, "SSRF cases", "admin API setup", "a key", err.Error())
		return
	}
	victim, err := newCountingListener()
	if err != nil {
		a.skip(API7, "SSRF cases", "a loopback listener", "listening", err.Error())
		return
	}
	defer victim.close()
	// A redirector on loopback: allowed only if the operator allowlists it,
	// and then its redirect to loopback must still be refused.
	redir, stop := a.redirector(fmt.Sprintf("http://127.0.0.1:%d/x.png", victim.port()))
	defer stop()
	p := victim.port()
	targets := []struct{ what, u string }{
		{"loopback", fmt.Sprintf("http://127.0.0.1:%d/x.png", p)},
		{"localhost name", fmt.Sprintf("http://localhost:%d/x.png", p)},
		{"0.0.0.0", fmt.Sprintf("http://0.0.0.0:%d/x.png", p)},
		{"IPv4-mapped IPv6 loopback", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/x.png", p)},
		{"decimal loopback", fmt.Sprintf("http://2130706433:%d/x.png", p)},
		{"IPv6 loopback", fmt.Sprintf("http://[::1]:%d/x.png", p)},
		{"https to loopback", fmt.Sprintf("https://127.0.0.1:%d/x.png", p)},
		{"redirect to loopback", redir},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/"},
		{"private 10/8", "http://10.0.0.1/x.png"},
		{"private 192.168/16", "http://192.168.0.1/x.png"},
		{"IPv6 ULA", "http://[fd00::1]/x.png"},
		{"file scheme", "file:///etc/passwd"},
		{"gopher scheme", "gopher://127.0.0.1:25/"},
	}
	c := a.t.client(a.t.nextSource())
	for _, tg := range targets {
		a.add(API7, "urls= "+tg.what, "POST /fc/faces/detect urls="+tg.u, "a 4xx refusal within 5 s, no connection to the listener",
			func() (string, string) {
				before := victim.count.Load()
				start := time.Now()
				r := a.call(c, "faces/detect", k, url.Values{"urls": {tg.u}})
				took := time.Since(start)
				conns := victim.count.Load() - before
				obs := fmt.Sprintf("%s after %v, %d connections to the listener", r, took.Round(time.Millisecond), conns)
				return obs, verdict(!r.ok() && r.Status >= 400 && r.Status < 500 && took < 5*time.Second && conns == 0)
			})
	}
}

// countingListener accepts and counts connections on a loopback port.
type countingListener struct {
	ln    net.Listener
	count atomic.Int32
}

func newCountingListener() (*countingListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &countingListener{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.count.Add(1)
			_ = c.Close()
		}
	}()
	return l, nil
}

func (l *countingListener) port() int { return l.ln.Addr().(*net.TCPAddr).Port }
func (l *countingListener) close()    { _ = l.ln.Close() }

// redirector serves a 302 to to on a loopback port until stop.
func (a *assessor) redirector(to string) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "http://127.0.0.1:9/redirect", func() {}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to, http.StatusFound)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/redirect", func() { _ = srv.Close() }
}
