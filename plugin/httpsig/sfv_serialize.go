package httpsig

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Serialization of structured-field values (RFC 8941 §4.1), used to write
// signature fields and to rebuild "@signature-params" and keyed members.

// serializeItem appends the RFC 8941 serialization of a bare item.
func serializeItem(b *strings.Builder, it sfItem) {
	switch it.kind {
	case kindInteger:
		b.WriteString(strconv.FormatInt(it.i, 10))
	case kindString:
		b.WriteByte('"')
		for i := 0; i < len(it.s); i++ {
			if c := it.s[i]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(it.s[i])
		}
		b.WriteByte('"')
	case kindToken:
		b.WriteString(it.s)
	case kindBytes:
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(it.b))
		b.WriteByte(':')
	case kindBool:
		if it.bo {
			b.WriteString("?1")
		} else {
			b.WriteString("?0")
		}
	}
}

// serializeParams appends parameters; a true boolean is written bare.
func serializeParams(b *strings.Builder, params []sfParam) {
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p.key)
		if p.val.kind == kindBool && p.val.bo {
			continue
		}
		b.WriteByte('=')
		serializeItem(b, p.val)
	}
}

// serializeInnerList appends an inner list with its parameters.
func serializeInnerList(b *strings.Builder, list []sfInner, params []sfParam) {
	b.WriteByte('(')
	for i, it := range list {
		if i > 0 {
			b.WriteByte(' ')
		}
		serializeItem(b, it.item)
		serializeParams(b, it.params)
	}
	b.WriteByte(')')
	serializeParams(b, params)
}

// serializeMember appends a dictionary member value (without its key).
func serializeMember(b *strings.Builder, m sfMember) {
	if m.isList {
		serializeInnerList(b, m.list, m.params)
		return
	}
	serializeItem(b, m.item)
	serializeParams(b, m.params)
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
