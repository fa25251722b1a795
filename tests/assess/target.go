package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// target is the instance under assessment: its HTTPS base URL, the
// loopback address it is reached at and the CA that signs its certificate.
type target struct {
	base   *url.URL // https://host:port
	host   string   // the certificate name (host of base)
	dialTo string   // loopback ip:port actually dialled
	pool   *x509.CertPool
	// ipSeq hands out source addresses 127.<third>.<n>.
	mu    sync.Mutex
	third int
	seq   int
}

// newTarget checks that rawURL is https on a loopback address (the only
// traffic this tool sends) and loads the CA.
func newTarget(rawURL, caFile string) (*target, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--url must be https://host:port, got %q", rawURL)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	ip, err := loopbackIPv4(u.Hostname())
	if err != nil {
		return nil, err
	}
	t := &target{base: &url.URL{Scheme: "https", Host: u.Host}, host: u.Hostname(),
		dialTo: net.JoinHostPort(ip.String(), port), third: 100 + rand.IntN(150)}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA: %w", err)
		}
		t.pool = x509.NewCertPool()
		if !t.pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", caFile)
		}
	}
	return t, nil
}

// loopbackIPv4 resolves host and insists that every address is loopback;
// it returns the IPv4 loopback address to dial (source addresses
// 127.x.y.z need an IPv4 destination).
func loopbackIPv4(host string) (net.IP, error) {
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}
	var v4 net.IP
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%s resolves to %s: only loopback targets are assessed", host, ip)
		}
		if ip.To4() != nil && v4 == nil {
			v4 = ip.To4()
		}
	}
	if v4 == nil {
		return nil, fmt.Errorf("%s has no IPv4 loopback address", host)
	}
	return v4, nil
}

// nextSource is a fresh loopback source address: each attacker and each
// legitimate caller of a case gets its own, so that the per-address
// failure limits of one case do not spill into another. The third octet
// is random per run, so a repeated run against the same instance starts
// from addresses with no history.
func (t *target) nextSource() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	return fmt.Sprintf("127.%d.%d.%d", t.third, t.seq/250, 1+t.seq%250)
}

// client is an HTTPS client connecting from src to the target; it never
// follows redirects.
func (t *target) client(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: t.pool, ServerName: t.host},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "tcp4", t.dialTo)
			},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 16,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// url is the target's URL of path (which may carry a query).
func (t *target) url(path string) string { return t.base.String() + path }

// resp is a whole answer: status, header, body and the body as JSON.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
	Took   time.Duration
	Err    error // transport error; Status is 0 then
}

// code is SkyBiometry's error_code (0 when absent).
func (r *resp) code() int {
	if f, ok := r.JSON["error_code"].(float64); ok {
		return int(f)
	}
	return 0
}

// str is a top-level string member of the JSON body.
func (r *resp) str(k string) string {
	s, _ := r.JSON[k].(string)
	return s
}

// ok reports a SkyBiometry success.
func (r *resp) ok() bool { return r.Status == http.StatusOK && r.str("status") == "success" }

// String is the observed answer, short: status, error code and message
// or the first bytes of the body.
func (r *resp) String() string {
	if r.Err != nil {
		return "transport error: " + r.Err.Error()
	}
	s := fmt.Sprintf("HTTP %d", r.Status)
	if st := r.str("status"); st != "" {
		s += " " + st
	}
	if c := r.code(); c != 0 {
		s += fmt.Sprintf(" error %d %q", c, r.str("error_message"))
	} else if r.JSON == nil && len(r.Body) > 0 {
		s += fmt.Sprintf(" %.120q", r.Body)
	} else if t := r.str("title"); t != "" { // problem+json
		s += fmt.Sprintf(" %q", t)
	}
	return s
}

// do sends req from c and reads the whole answer (at most 8 MiB), within
// 60 s. Every answer is offered to the leak scanner.
func (a *assessor) do(c *http.Client, req *http.Request) *resp {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	hr, err := c.Do(req.WithContext(ctx))
	if err != nil {
		return &resp{Err: a.red.cleanErr(err), Took: time.Since(start)}
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, 8<<20))
	out := &resp{Status: hr.StatusCode, Header: hr.Header, Body: body, Took: time.Since(start), Err: a.red.cleanErr(err)}
	_ = json.Unmarshal(body, &out.JSON)
	a.scan(req, out)
	return out
}

// form is a urlencoded POST of a SkyBiometry route.
func (a *assessor) form(route string, v url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/"+route), strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// multipartReq is a multipart POST of a route: fields first (in order),
// then images as "files" parts.
func (a *assessor) multipartReq(route string, fields [][2]string, images ...[]byte) *http.Request {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	for i, img := range images {
		part, _ := mw.CreateFormFile("files", fmt.Sprintf("img%d.jpg", i))
		_, _ = part.Write(img)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.t.url("/fc/"+route), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// key is an API key the assessment created (or the instance's initial one).
type key struct {
	ID, Secret string
}

// creds are a key's SkyBiometry parameters plus extra ones.
func (k key) creds(extra url.Values) url.Values {
	v := url.Values{"api_key": {k.ID}, "api_secret": {k.Secret}}
	for name, vals := range extra {
		v[name] = vals
	}
	return v
}

// call POSTs route urlencoded with k's secret from c.
func (a *assessor) call(c *http.Client, route string, k key, extra url.Values) *resp {
	return a.do(c, a.form(route, k.creds(extra)))
}

// upload POSTs route multipart with k's credentials first, then images.
func (a *assessor) upload(c *http.Client, route string, k key, extra url.Values, images ...[]byte) *resp {
	fields := [][2]string{{"api_key", k.ID}, {"api_secret", k.Secret}}
	for name, vals := range extra {
		for _, v := range vals {
			fields = append(fields, [2]string{name, v})
		}
	}
	return a.do(c, a.multipartReq(route, fields, images...))
}
