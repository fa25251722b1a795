package urlfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/facegate/facegate/engine/skyerr"
)

// Defaults for zero Options fields.
const (
	DefaultMaxBytes     = 10 << 20
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRedirects = 3
)

// Options configures a Fetcher.
type Options struct {
	// AllowHosts opens destinations that would otherwise be blocked: a host name ("images.lan",
	// any port), host:port ("127.0.0.1:8080"), an IP ("127.0.0.1") or a CIDR ("10.0.0.0/8").
	AllowHosts []string `json:"allow_hosts,omitempty"`
	// MaxBytes caps the image size (default 10 MiB).
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// Timeout bounds the whole download including redirects (default 10 s).
	Timeout time.Duration `json:"timeout,omitempty"`
	// MaxRedirects bounds redirects (default 3; negative = none followed).
	MaxRedirects int `json:"max_redirects,omitempty"`
}

// Fetcher downloads images over http(s) with SSRF protection. It implements service.Fetcher
// and is safe for concurrent use.
type Fetcher struct {
	opts     Options
	client   *http.Client
	hosts    map[string]bool // lower-case host or host:port
	prefixes []netip.Prefix
	resolver *net.Resolver
	dialer   *net.Dialer
}

// errBlocked marks a destination refused by policy.
var errBlocked = errors.New("destination address not allowed")

// New returns a Fetcher for opts.
func New(opts Options) (*Fetcher, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	f := &Fetcher{opts: opts, hosts: map[string]bool{}, resolver: net.DefaultResolver}
	for _, h := range opts.AllowHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			continue
		case strings.Contains(h, "/"):
			p, err := netip.ParsePrefix(h)
			if err != nil {
				return nil, fmt.Errorf("urlfetch: allow_hosts %q: %w", h, err)
			}
			f.prefixes = append(f.prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
				f.prefixes = append(f.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			f.hosts[h] = true
		}
	}
	f.dialer = &net.Dialer{Timeout: opts.Timeout, ControlContext: f.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would bypass the address checks
		DialContext:           f.dialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > max(0, opts.MaxRedirects) {
				return errTooManyRedirects
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errBadRedirect
			}
			return nil
		},
	}
	return f, nil
}

var (
	errTooManyRedirects = errors.New("too many redirects")
	errBadRedirect      = errors.New("redirect to a non-http(s) url")
)

// hostAllowed reports whether the operator allowlisted host (and port).
func (f *Fetcher) hostAllowed(host, port string) bool {
	host = strings.ToLower(host)
	return f.hosts[host] || f.hosts[net.JoinHostPort(host, port)] || f.hosts[host+":"+port]
}

func (f *Fetcher) addrAllowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range f.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return !Blocked(a)
}

// dialContext resolves the host once, checks every address and dials the checked address.
func (f *Fetcher) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	allowHost := f.hostAllowed(host, port)
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = f.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for _, a := range addrs {
		if !allowHost && !f.addrAllowed(a) {
			return nil, errBlocked // one bad address refuses the host: no partial trust
		}
	}
	var lastErr error
	for _, a := range addrs {
		ctx := context.WithValue(ctx, allowKey{}, allowHost)
		c, err := f.dialer.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

type allowKey struct{}

// control re-checks the address the socket is about to connect to; addresses of an
// allowlisted host name (resolved and passed on by dialContext) are accepted.
func (f *Fetcher) control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errBlocked
	}
	if allowed, _ := ctx.Value(allowKey{}).(bool); allowed || f.addrAllowed(ap.Addr()) {
		return nil
	}
	return errBlocked
}

// Fetch downloads the image at rawURL. Errors are *skyerr.Error with codes 30-36.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, skyerr.New(skyerr.MalformedURL, "only absolute http and https urls are fetched")
	}
	if u.User != nil {
		return nil, skyerr.New(skyerr.MalformedURL, "urls with credentials are not fetched")
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, skyerr.New(skyerr.MalformedURL, "invalid url")
	}
	req.Header.Set("Accept", "image/*")
	req.Header.Set("User-Agent", "facegate-urlfetch/1")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, mapError(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, skyerr.New(skyerr.DownloadNotFound, "the server answered %d", resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, skyerr.New(skyerr.Download, "the server answered %d", resp.StatusCode)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "image/") {
		return nil, skyerr.New(skyerr.Download, "content type %q is not an image", truncate(resp.Header.Get("Content-Type"), 64))
	}
	if resp.ContentLength > f.opts.MaxBytes {
		return nil, skyerr.New(skyerr.DownloadTooLarge, "image larger than %d bytes", f.opts.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, mapError(err)
	}
	if int64(len(data)) > f.opts.MaxBytes {
		return nil, skyerr.New(skyerr.DownloadTooLarge, "image larger than %d bytes", f.opts.MaxBytes)
	}
	return data, nil
}

// mapError turns a client error into SkyBiometry's download codes.
func mapError(err error) *skyerr.Error {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, errBlocked):
		return skyerr.New(skyerr.ConnRefused, "destination address not allowed")
	case errors.Is(err, errTooManyRedirects):
		return skyerr.New(skyerr.Download, "too many redirects")
	case errors.Is(err, errBadRedirect):
		return skyerr.New(skyerr.Download, "redirect to a non-http(s) url")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return skyerr.New(skyerr.DownloadTimeout, "download timed out")
	case errors.As(err, &dnsErr):
		return skyerr.New(skyerr.UnknownHost, "host cannot be resolved")
	case errors.Is(err, syscall.ECONNREFUSED):
		return skyerr.New(skyerr.ConnRefused, "connection refused")
	}
	return skyerr.New(skyerr.Download, "download failed")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
