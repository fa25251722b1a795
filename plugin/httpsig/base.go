package httpsig

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrBase wraps every failure to rebuild a signature base.
var ErrBase = errors.New("httpsig: cannot build signature base")

// message is what component values are read from: a request, or a
// response (status and header) with the request it answers.
type message struct {
	req    *http.Request // set for a request message
	header http.Header
	status int      // set for a response message
	parent *message // the request of a response, for the "req" parameter
}

// Base returns the RFC 9421 §2.5 signature base of request r for the
// components and parameters of p. Any component list works (so the RFC
// test vectors can be checked); the facegate profile is enforced by Verify.
// It never covers the HTTP version.
func Base(r *http.Request, p *Parsed) ([]byte, error) {
	if r == nil || p == nil {
		return nil, fmt.Errorf("%w: nil request or signature", ErrBase)
	}
	return buildBase(&message{req: r, header: r.Header}, p.components, p)
}

func buildBase(m *message, comps []component, p *Parsed) ([]byte, error) {
	var b strings.Builder
	b.Grow(256 + 64*len(comps))
	for _, c := range comps {
		v, err := m.value(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBase, c.String(), err)
		}
		c.identifier(&b)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	p.writeParams(&b)
	return []byte(b.String()), nil
}

// value returns the component value of c in m (RFC 9421 §2.1 and §2.2).
func (m *message) value(c component) (string, error) {
	var key string
	var hasKey, req bool
	for _, p := range c.params {
		switch {
		case p.key == "req" && p.val.kind == kindBool && p.val.bo:
			req = true
		case p.key == "key" && p.val.kind == kindString:
			key, hasKey = p.val.s, true
		default:
			return "", fmt.Errorf("unsupported component parameter %q", p.key)
		}
	}
	if req {
		if m.parent == nil {
			return "", errors.New(`"req" used outside a response`)
		}
		m = m.parent
	}
	if strings.HasPrefix(c.name, "@") {
		if hasKey {
			return "", errors.New(`"key" on a derived component`)
		}
		return m.derived(c.name)
	}
	return m.field(c.name, key, hasKey)
}

func (m *message) derived(name string) (string, error) {
	if name == "@status" {
		if m.req != nil || m.status < 100 || m.status > 999 {
			return "", errors.New("@status needs a response")
		}
		return strconv.Itoa(m.status), nil
	}
	r := m.req
	if r == nil {
		return "", fmt.Errorf("%s needs a request", name)
	}
	switch name {
	case "@method":
		return r.Method, nil
	case "@authority":
		return authority(r), nil
	case "@scheme":
		return scheme(r), nil
	case "@request-target":
		return requestTarget(r), nil
	case "@target-uri":
		path, query, err := pathQuery(r)
		if err != nil {
			return "", err
		}
		return scheme(r) + "://" + authority(r) + path + query, nil
	case "@path":
		path, _, err := pathQuery(r)
		return path, err
	case "@query":
		_, query, err := pathQuery(r)
		return query, err
	}
	return "", fmt.Errorf("unsupported derived component %s", name)
}

// authority is the Host as sent, lower-cased.
func authority(r *http.Request) string {
	h := r.Host
	if h == "" && r.URL != nil {
		h = r.URL.Host
	}
	return strings.ToLower(h)
}

func scheme(r *http.Request) string {
	if r.URL != nil && r.URL.Scheme != "" {
		return strings.ToLower(r.URL.Scheme)
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// requestTarget is the request target as sent: RequestURI on the server,
// the URL's request URI on the client.
func requestTarget(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.RequestURI()
}

// pathQuery splits the request target into @path and @query as sent.
// A missing query gives "?" (RFC 9421 §2.2.7).
func pathQuery(r *http.Request) (string, string, error) {
	t := requestTarget(r)
	if !strings.HasPrefix(t, "/") {
		u, err := url.ParseRequestURI(t)
		if err != nil || u.Opaque != "" {
			return "", "", errors.New("request target has no path")
		}
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		return p, "?" + u.RawQuery, nil
	}
	path, query, _ := strings.Cut(t, "?")
	return path, "?" + query, nil
}

// field returns the canonical value of a header field: each line trimmed,
// lines joined with ", "; with key, the serialized dictionary member.
func (m *message) field(name, key string, hasKey bool) (string, error) {
	values := m.header.Values(name)
	if len(values) == 0 {
		return "", fmt.Errorf("field %s is absent", name)
	}
	parts := make([]string, len(values))
	for i, v := range values {
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("field %s contains a line break", name)
		}
		parts[i] = strings.Trim(v, " \t")
	}
	v := strings.Join(parts, ", ")
	if !hasKey {
		return v, nil
	}
	dict, err := parseDictionary(v)
	if err != nil {
		return "", fmt.Errorf("field %s: %w", name, err)
	}
	e, ok := lookup(dict, key)
	if !ok {
		return "", fmt.Errorf("field %s has no member %q", name, key)
	}
	var b strings.Builder
	serializeMember(&b, e.val)
	return b.String(), nil
}
