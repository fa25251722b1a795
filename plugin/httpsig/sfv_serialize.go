package httpsig

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Serialization of structured-field values (RFC 8941 §4.1), used to write
// signature fields and to rebuild "@signature-params" and keyed members.
// The append* functions are the implementation (they let the hot paths
// build a signature base in one buffer); the serialize* functions write the
// same bytes to a strings.Builder.

// appendItem appends the RFC 8941 serialization of a bare item.
func appendItem(b []byte, it sfItem) []byte {
	switch it.kind {
	case kindInteger:
		b = strconv.AppendInt(b, it.i, 10)
	case kindString:
		b = appendString(b, it.s)
	case kindToken:
		b = append(b, it.s...)
	case kindBytes:
		b = appendBytes(b, it.b)
	case kindBool:
		if it.bo {
			b = append(b, "?1"...)
		} else {
			b = append(b, "?0"...)
		}
	}
	return b
}

// appendString appends s as an sf-string, escaping '"' and '\'.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, s[:i]...)
			b = append(b, '\\', c)
			s, i = s[i+1:], -1
		}
	}
	b = append(b, s...)
	return append(b, '"')
}

// appendBytes appends v as an sf-binary: colon-delimited standard base64.
func appendBytes(b []byte, v []byte) []byte {
	b = append(b, ':')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, ':')
}

// appendParams appends parameters; a true boolean is written bare.
func appendParams(b []byte, params []sfParam) []byte {
	for _, p := range params {
		b = append(b, ';')
		b = append(b, p.key...)
		if p.val.kind == kindBool && p.val.bo {
			continue
		}
		b = append(b, '=')
		b = appendItem(b, p.val)
	}
	return b
}

// appendInnerList appends an inner list with its parameters.
func appendInnerList(b []byte, list []sfInner, params []sfParam) []byte {
	b = append(b, '(')
	for i, it := range list {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendItem(b, it.item)
		b = appendParams(b, it.params)
	}
	b = append(b, ')')
	return appendParams(b, params)
}

// appendMember appends a dictionary member value (without its key).
func appendMember(b []byte, m sfMember) []byte {
	if m.isList {
		return appendInnerList(b, m.list, m.params)
	}
	b = appendItem(b, m.item)
	return appendParams(b, m.params)
}

// serializeItem writes the RFC 8941 serialization of a bare item.
func serializeItem(b *strings.Builder, it sfItem) {
	var buf [128]byte
	b.Write(appendItem(buf[:0], it))
}

// serializeParams writes parameters; a true boolean is written bare.
func serializeParams(b *strings.Builder, params []sfParam) {
	var buf [128]byte
	b.Write(appendParams(buf[:0], params))
}

// isValidString reports whether s can be serialized as an sf-string.
func isValidString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
