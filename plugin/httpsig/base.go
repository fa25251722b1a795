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
	b := make([]byte, 0, 256+64*len(comps))
	for _, c := range comps {
		b = c.appendIdentifier(b)
		b = append(b, ": "...)
		var err error
		if b, err = m.appendValue(b, c); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBase, c.String(), err)
		}
		b = append(b, '\n')
	}
	b = append(b, `"@signature-params": `...)
	return p.appendParams(b), nil
}

// appendValue appends the component value of c in m (RFC 9421 §2.1 and
// §2.2).
func (m *message) appendValue(b []byte, c component) ([]byte, error) {
	var key string
	var hasKey, req bool
	for _, p := range c.params {
		switch {
		case p.key == "req" && p.val.kind == kindBool && p.val.bo:
			req = true
		case p.key == "key" && p.val.kind == kindString:
			key, hasKey = p.val.s, true
		default:
			return b, fmt.Errorf("unsupported component parameter %q", p.key)
		}
	}
	if req {
		if m.parent == nil {
			return b, errors.New(`"req" used outside a response`)
		}
		m = m.parent
	}
	if strings.HasPrefix(c.name, "@") {
		if hasKey {
			return b, errors.New(`"key" on a derived component`)
		}
		return m.appendDerived(b, c.name)
	}
	return m.appendField(b, c.name, key, hasKey)
}

func (m *message) appendDerived(b []byte, name string) ([]byte, error) {
	if name == "@status" {
		if m.req != nil || m.status < 100 || m.status > 999 {
			return b, errors.New("@status needs a response")
		}
		return strconv.AppendInt(b, int64(m.status), 10), nil
	}
	r := m.req
	if r == nil {
		return b, fmt.Errorf("%s needs a request", name)
	}
	switch name {
	case "@method":
		return append(b, r.Method...), nil
	case "@authority":
		return append(b, authority(r)...), nil
	case "@scheme":
		return append(b, scheme(r)...), nil
	case "@request-target":
		return append(b, requestTarget(r)...), nil
	case "@target-uri":
		path, query, err := pathQuery(r)
		if err != nil {
			return b, err
		}
		b = append(b, scheme(r)...)
		b = append(b, "://"...)
		b = append(b, authority(r)...)
		b = append(b, path...)
		b = append(b, '?')
		return append(b, query...), nil
	case "@path":
		path, _, err := pathQuery(r)
		return append(b, path...), err
	case "@query":
		_, query, err := pathQuery(r)
		if err != nil {
			return b, err
		}
		b = append(b, '?')
		return append(b, query...), nil
	}
	return b, fmt.Errorf("unsupported derived component %s", name)
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

// pathQuery splits the request target into @path and the query as sent,
// without its "?": the @query value is "?" followed by it, so a missing
// query gives "?" (RFC 9421 §2.2.7).
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
		return p, u.RawQuery, nil
	}
	path, query, _ := strings.Cut(t, "?")
	return path, query, nil
}

// appendField appends the canonical value of a header field: each line
// trimmed, lines joined with ", "; with key, the serialized dictionary
// member.
func (m *message) appendField(b []byte, name, key string, hasKey bool) ([]byte, error) {
	values := fieldValues(m.header, name)
	if len(values) == 0 {
		return b, fmt.Errorf("field %s is absent", name)
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n") {
			return b, fmt.Errorf("field %s contains a line break", name)
		}
	}
	if !hasKey {
		for i, v := range values {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, strings.Trim(v, " \t")...)
		}
		return b, nil
	}
	var v string
	if len(values) == 1 {
		v = strings.Trim(values[0], " \t")
	} else {
		parts := make([]string, len(values))
		for i, line := range values {
			parts[i] = strings.Trim(line, " \t")
		}
		v = strings.Join(parts, ", ")
	}
	var buf [4]sfEntry
	dict, err := appendDictionary(buf[:0], v)
	if err != nil {
		return b, fmt.Errorf("field %s: %w", name, err)
	}
	e, ok := lookup(dict, key)
	if !ok {
		return b, fmt.Errorf("field %s has no member %q", name, key)
	}
	return appendMember(b, e.val), nil
}

// fieldValues is h.Values(name), without canonicalizing (and allocating)
// the names the profile covers.
func fieldValues(h http.Header, name string) []string {
	switch name {
	case "content-digest":
		return h["Content-Digest"]
	case "content-type":
		return h["Content-Type"]
	case "signature":
		return h["Signature"]
	}
	return h.Values(name)
}
