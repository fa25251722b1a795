package httpsig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file holds a small, strict parser and serializer for the subset of
// RFC 8941 Structured Fields that signatures and digests use: dictionaries
// whose members are items or inner lists, with parameters, and bare items
// of type integer, string, token, byte sequence and boolean. It is stricter
// than RFC 8941 in two ways, both deliberate: a duplicate dictionary key or
// parameter is an error (RFC 8941 keeps the last one, which lets a proxy and
// a verifier disagree on what was signed), and decimals, dates and display
// strings are rejected because no signature field uses them.

// maxFieldLen bounds every structured field we parse.
const maxFieldLen = 8192

// errSyntax is wrapped by every structured-field parse error.
var errSyntax = errors.New("structured field syntax")

type itemKind uint8

const (
	kindInteger itemKind = iota + 1
	kindString
	kindToken
	kindBytes
	kindBool
)

// sfItem is a bare item.
type sfItem struct {
	kind itemKind
	bo   bool
	i    int64
	s    string // string or token
	b    []byte
}

// sfParam is one parameter, kept in received order.
type sfParam struct {
	key string
	val sfItem
}

// sfInner is an item with its parameters, as found in an inner list.
type sfInner struct {
	item   sfItem
	params []sfParam
}

// sfMember is a dictionary member: an item or an inner list, with parameters.
type sfMember struct {
	isList bool
	item   sfItem
	list   []sfInner
	params []sfParam
}

// sfEntry is a dictionary entry.
type sfEntry struct {
	key string
	val sfMember
}

type scanner struct {
	s   string
	pos int
}

func (sc *scanner) eof() bool { return sc.pos >= len(sc.s) }

func (sc *scanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.s[sc.pos]
}

func (sc *scanner) skipSP() {
	for !sc.eof() && sc.s[sc.pos] == ' ' {
		sc.pos++
	}
}

func (sc *scanner) skipOWS() {
	for !sc.eof() && (sc.s[sc.pos] == ' ' || sc.s[sc.pos] == '\t') {
		sc.pos++
	}
}

func (sc *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, sc.pos, fmt.Sprintf(format, args...))
}

// exact returns a copy of s that owns exactly len(s) elements (nil when s
// is empty), so that parsers can collect into a stack buffer and allocate
// once.
func exact[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// smallSet is how many keys are checked for duplicates by linear search;
// longer lists switch to a map so that a long field cannot make the check
// quadratic.
const smallSet = 16

// appendDictionary parses dictionary v, appending its entries to out. On
// error the appended entries are unspecified.
func appendDictionary(out []sfEntry, v string) ([]sfEntry, error) {
	if len(v) > maxFieldLen {
		return nil, fmt.Errorf("%w: field longer than %d bytes", errSyntax, maxFieldLen)
	}
	sc := scanner{s: v}
	sc.skipSP()
	first := len(out)
	var seen map[string]bool
	for !sc.eof() {
		key, err := sc.parseKey()
		if err != nil {
			return nil, err
		}
		if dupKey(out[first:], key, &seen) {
			return nil, sc.errorf("duplicate dictionary key %q", key)
		}
		var m sfMember
		if sc.peek() == '=' {
			sc.pos++
			m, err = sc.parseItemOrInnerList()
		} else {
			m.item = sfItem{kind: kindBool, bo: true}
			m.params, err = sc.parseParams()
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sfEntry{key: key, val: m})
		sc.skipOWS()
		if sc.eof() {
			return out, nil
		}
		if sc.peek() != ',' {
			return nil, sc.errorf("expected ',' after dictionary member")
		}
		sc.pos++
		sc.skipOWS()
		if sc.eof() {
			return nil, sc.errorf("trailing comma")
		}
	}
	return out, nil
}

// dupKey reports whether key is among the keys of d; when it is not, key
// counts as seen from now on. Short dictionaries are searched linearly;
// from smallSet entries on, *seen indexes all keys.
func dupKey(d []sfEntry, key string, seen *map[string]bool) bool {
	if len(d) < smallSet {
		for _, e := range d {
			if e.key == key {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*len(d))
		for _, e := range d {
			(*seen)[e.key] = true
		}
	}
	if (*seen)[key] {
		return true
	}
	(*seen)[key] = true
	return false
}

func (sc *scanner) parseItemOrInnerList() (sfMember, error) {
	if sc.peek() == '(' {
		list, params, err := sc.parseInnerList()
		return sfMember{isList: true, list: list, params: params}, err
	}
	it, err := sc.parseBareItem()
	if err != nil {
		return sfMember{}, err
	}
	params, err := sc.parseParams()
	return sfMember{item: it, params: params}, err
}

func (sc *scanner) parseInnerList() ([]sfInner, []sfParam, error) {
	sc.pos++ // '('
	var buf [8]sfInner
	list := buf[:0]
	for !sc.eof() {
		sc.skipSP()
		if sc.peek() == ')' {
			sc.pos++
			params, err := sc.parseParams()
			if err != nil {
				return nil, nil, err
			}
			return exact(list), params, nil
		}
		it, err := sc.parseBareItem()
		if err != nil {
			return nil, nil, err
		}
		params, err := sc.parseParams()
		if err != nil {
			return nil, nil, err
		}
		list = append(list, sfInner{item: it, params: params})
		if c := sc.peek(); c != ' ' && c != ')' {
			return nil, nil, sc.errorf("expected ' ' or ')' in inner list")
		}
	}
	return nil, nil, sc.errorf("unterminated inner list")
}

func (sc *scanner) parseParams() ([]sfParam, error) {
	if sc.peek() != ';' {
		return nil, nil
	}
	var buf [8]sfParam
	out := buf[:0]
	for sc.peek() == ';' {
		sc.pos++
		sc.skipSP()
		key, err := sc.parseKey()
		if err != nil {
			return nil, err
		}
		for _, p := range out {
			if p.key == key {
				return nil, sc.errorf("duplicate parameter %q", key)
			}
		}
		val := sfItem{kind: kindBool, bo: true}
		if sc.peek() == '=' {
			sc.pos++
			if val, err = sc.parseBareItem(); err != nil {
				return nil, err
			}
		}
		out = append(out, sfParam{key: key, val: val})
	}
	return exact(out), nil
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool   { return isLCAlpha(c) || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

func (sc *scanner) parseKey() (string, error) {
	start := sc.pos
	if c := sc.peek(); !isLCAlpha(c) && c != '*' {
		return "", sc.errorf("key must start with a lowercase letter or '*'")
	}
	for !sc.eof() {
		c := sc.s[sc.pos]
		if !isLCAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' && c != '*' {
			break
		}
		sc.pos++
	}
	return sc.s[start:sc.pos], nil
}

func (sc *scanner) parseBareItem() (sfItem, error) {
	c := sc.peek()
	switch {
	case c == '-' || isDigit(c):
		return sc.parseInteger()
	case c == '"':
		return sc.parseString()
	case c == '*' || isAlpha(c):
		return sc.parseToken()
	case c == ':':
		return sc.parseBytes()
	case c == '?':
		return sc.parseBool()
	case sc.eof():
		return sfItem{}, sc.errorf("unexpected end of field")
	default:
		return sfItem{}, sc.errorf("unsupported or invalid item")
	}
}

func (sc *scanner) parseInteger() (sfItem, error) {
	start := sc.pos
	if sc.peek() == '-' {
		sc.pos++
	}
	digits := sc.pos
	for !sc.eof() && isDigit(sc.s[sc.pos]) {
		sc.pos++
	}
	if sc.peek() == '.' {
		return sfItem{}, sc.errorf("decimals are not supported")
	}
	n := sc.pos - digits
	if n == 0 || n > 15 {
		return sfItem{}, sc.errorf("integer must have 1 to 15 digits")
	}
	i, err := strconv.ParseInt(sc.s[start:sc.pos], 10, 64)
	if err != nil {
		return sfItem{}, sc.errorf("bad integer")
	}
	return sfItem{kind: kindInteger, i: i}, nil
}

func (sc *scanner) parseString() (sfItem, error) {
	sc.pos++ // '"'
	// Fast path: a string without escapes is a substring of the field.
	for i := sc.pos; i < len(sc.s); i++ {
		c := sc.s[i]
		if c == '"' {
			s := sc.s[sc.pos:i]
			sc.pos = i + 1
			return sfItem{kind: kindString, s: s}, nil
		}
		if c == '\\' || c < 0x20 || c > 0x7e {
			break // escapes and errors take the general path
		}
	}
	var b strings.Builder
	for !sc.eof() {
		c := sc.s[sc.pos]
		sc.pos++
		switch {
		case c == '\\':
			if sc.eof() {
				return sfItem{}, sc.errorf("unterminated escape")
			}
			n := sc.s[sc.pos]
			if n != '"' && n != '\\' {
				return sfItem{}, sc.errorf("invalid escape")
			}
			sc.pos++
			b.WriteByte(n)
		case c == '"':
			return sfItem{kind: kindString, s: b.String()}, nil
		case c < 0x20 || c > 0x7e:
			return sfItem{}, sc.errorf("invalid character in string")
		default:
			b.WriteByte(c)
		}
	}
	return sfItem{}, sc.errorf("unterminated string")
}

func isTchar(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func (sc *scanner) parseToken() (sfItem, error) {
	start := sc.pos
	sc.pos++
	for !sc.eof() {
		c := sc.s[sc.pos]
		if !isTchar(c) && c != ':' && c != '/' {
			break
		}
		sc.pos++
	}
	return sfItem{kind: kindToken, s: sc.s[start:sc.pos]}, nil
}

func (sc *scanner) parseBytes() (sfItem, error) {
	sc.pos++ // ':'
	end := strings.IndexByte(sc.s[sc.pos:], ':')
	if end < 0 {
		return sfItem{}, sc.errorf("unterminated byte sequence")
	}
	raw := sc.s[sc.pos : sc.pos+end]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return sfItem{}, sc.errorf("invalid base64 character")
		}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(raw)
	if err != nil {
		return sfItem{}, sc.errorf("invalid base64 in byte sequence")
	}
	sc.pos += end + 1
	return sfItem{kind: kindBytes, b: b}, nil
}

func (sc *scanner) parseBool() (sfItem, error) {
	sc.pos++ // '?'
	switch sc.peek() {
	case '1':
		sc.pos++
		return sfItem{kind: kindBool, bo: true}, nil
	case '0':
		sc.pos++
		return sfItem{kind: kindBool, bo: false}, nil
	}
	return sfItem{}, sc.errorf("invalid boolean")
}
