package httpsig

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Errors reported while parsing signature fields.
var (
	// ErrNoSignature means neither Signature-Input nor Signature is present.
	ErrNoSignature = errors.New("httpsig: no signature")
	// ErrMalformed wraps every parse failure of Signature-Input / Signature.
	ErrMalformed = errors.New("httpsig: malformed signature fields")
)

// component is one covered component identifier: a name and its parameters.
type component struct {
	name   string
	params []sfParam
}

// String renders the identifier for reports: the bare name, followed by
// its serialized parameters if any (e.g. `signature;req;key="sig1"`).
func (c component) String() string {
	if len(c.params) == 0 {
		return c.name
	}
	var b strings.Builder
	b.WriteString(c.name)
	serializeParams(&b, c.params)
	return b.String()
}

// appendIdentifier appends the identifier as it appears in a signature base.
func (c component) appendIdentifier(b []byte) []byte {
	b = appendString(b, c.name)
	return appendParams(b, c.params)
}

// Parsed is one signature taken from Signature-Input and Signature.
// Fields that were absent are zero; Has* tell absence from zero.
type Parsed struct {
	Label, KeyID, Nonce, Tag, Alg string
	Created, Expires              int64
	HasCreated, HasExpires        bool
	// Covered lists the covered components in order (see component.String).
	Covered []string
	// Sig is the signature value.
	Sig []byte

	components []component
	params     []sfParam // signature parameters, as received
}

// SignatureParams returns the serialized signature parameters, the value of
// the "@signature-params" line in the signature base.
func (p *Parsed) SignatureParams() string {
	var buf [256]byte
	return string(p.appendParams(buf[:0]))
}

// appendParams appends the serialized signature parameters: the inner list
// of component identifiers and the signature's parameters.
func (p *Parsed) appendParams(b []byte) []byte {
	b = append(b, '(')
	for i, c := range p.components {
		if i > 0 {
			b = append(b, ' ')
		}
		b = c.appendIdentifier(b)
	}
	b = append(b, ')')
	return appendParams(b, p.params)
}

// ParseRequest extracts the facegate signature from request headers: the
// one labelled "sig1", or the only signature present whatever its label
// (Verify then rejects a label other than sig1). It returns ErrNoSignature
// when both fields are absent and an ErrMalformed error otherwise.
func ParseRequest(h http.Header) (*Parsed, error) {
	return parse(h, Label, true)
}

// ParseLabel extracts the signature with the given label, for generic use
// (test vectors, response verification).
func ParseLabel(h http.Header, label string) (*Parsed, error) {
	return parse(h, label, false)
}

func parse(h http.Header, label string, anyIfSingle bool) (*Parsed, error) {
	inVals, sigVals := h.Values("Signature-Input"), h.Values("Signature")
	if len(inVals) == 0 && len(sigVals) == 0 {
		return nil, ErrNoSignature
	}
	if len(inVals) == 0 || len(sigVals) == 0 {
		return nil, fmt.Errorf("%w: need both Signature-Input and Signature", ErrMalformed)
	}
	// The entries only live during the parse: collect them on the stack.
	var inBuf, sigBuf [2]sfEntry
	inputs, err := appendDictionary(inBuf[:0], joinLines(inVals))
	if err != nil {
		return nil, fmt.Errorf("%w: signature-input: %w", ErrMalformed, err)
	}
	sigs, err := appendDictionary(sigBuf[:0], joinLines(sigVals))
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %w", ErrMalformed, err)
	}
	in, ok := lookup(inputs, label)
	if !ok && anyIfSingle && len(inputs) == 1 {
		in, ok = inputs[0], true
	}
	if !ok {
		return nil, fmt.Errorf("%w: no signature labelled %q", ErrMalformed, label)
	}
	sig, ok := lookup(sigs, in.key)
	if !ok {
		return nil, fmt.Errorf("%w: signature %q has no value", ErrMalformed, in.key)
	}
	if sig.val.isList || sig.val.item.kind != kindBytes || len(sig.val.params) > 0 {
		return nil, fmt.Errorf("%w: signature value is not a plain byte sequence", ErrMalformed)
	}
	p := &Parsed{Label: in.key, Sig: sig.val.item.b}
	if err := p.fillInput(in.val); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p, nil
}

// joinLines combines the lines of a field as RFC 9110 §5.3 allows: joined
// with ", " (a single line is returned as is).
func joinLines(v []string) string {
	if len(v) == 1 {
		return v[0]
	}
	return strings.Join(v, ", ")
}

func lookup(d []sfEntry, key string) (sfEntry, bool) {
	for _, e := range d {
		if e.key == key {
			return e, true
		}
	}
	return sfEntry{}, false
}

// fillInput reads the covered components and signature parameters.
func (p *Parsed) fillInput(m sfMember) error {
	if !m.isList {
		return errors.New("signature input is not an inner list")
	}
	if n := len(m.list); n > 0 {
		p.components = make([]component, 0, n)
		p.Covered = make([]string, 0, n)
	}
	var seen map[string]bool
	for _, it := range m.list {
		if it.item.kind != kindString {
			return errors.New("component identifier is not a string")
		}
		c := component{name: it.item.s, params: it.params}
		if err := checkComponentName(c.name); err != nil {
			return err
		}
		id := c.String()
		if covered(p.Covered, id, &seen) {
			return fmt.Errorf("component %q covered twice", id)
		}
		p.components = append(p.components, c)
		p.Covered = append(p.Covered, id)
	}
	p.params = m.params
	for _, prm := range m.params {
		var err error
		switch prm.key {
		case "created":
			p.Created, err = intParam(prm)
			p.HasCreated = true
		case "expires":
			p.Expires, err = intParam(prm)
			p.HasExpires = true
		case "nonce":
			p.Nonce, err = strParam(prm)
		case "alg":
			p.Alg, err = strParam(prm)
		case "keyid":
			p.KeyID, err = strParam(prm)
		case "tag":
			p.Tag, err = strParam(prm)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// covered reports whether id is in ids; when it is not, id counts as seen
// from now on. Short lists are searched linearly; from smallSet
// components on, *seen indexes all of them.
func covered(ids []string, id string, seen *map[string]bool) bool {
	if len(ids) < smallSet {
		return slices.Contains(ids, id)
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*len(ids))
		for _, s := range ids {
			(*seen)[s] = true
		}
	}
	if (*seen)[id] {
		return true
	}
	(*seen)[id] = true
	return false
}

func checkComponentName(name string) error {
	if name == "" {
		return errors.New("empty component name")
	}
	if name == "@signature-params" {
		return errors.New("@signature-params cannot be covered")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			return fmt.Errorf("component name %q is not lowercase", name)
		}
		if c <= ' ' || c >= 0x7f || c == ':' || c == '"' {
			return fmt.Errorf("invalid character in component name %q", name)
		}
	}
	return nil
}

func intParam(p sfParam) (int64, error) {
	if p.val.kind != kindInteger {
		return 0, fmt.Errorf("parameter %s is not an integer", p.key)
	}
	if p.val.i < 0 {
		return 0, fmt.Errorf("parameter %s is negative", p.key)
	}
	return p.val.i, nil
}

func strParam(p sfParam) (string, error) {
	if p.val.kind != kindString {
		return "", fmt.Errorf("parameter %s is not a string", p.key)
	}
	return p.val.s, nil
}
