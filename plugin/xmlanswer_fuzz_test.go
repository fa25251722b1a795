package plugin

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/facegate/facegate/engine/service"
)

// isXMLText reports whether every rune of s can appear in XML text
// (encoding/xml writes U+FFFD for the others).
func isXMLText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}

// FuzzXMLAnswer: client-chosen strings (a url, a label, a namespace name
// under account/users) always give a well-formed XML answer that carries
// them unchanged.
func FuzzXMLAnswer(f *testing.F) {
	for _, s := range []string{"", "a&b<c>\"'", "]]>", "x\x00y", "\xff", "2024-team", "item", "é\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		resp := &service.Response{Status: "success",
			Photos: []service.Photo{{URL: s, Tags: []service.Tag{{Label: &s, UIDs: []service.UIDMatch{}}}}},
			Users:  map[string][]string{s: {s}},
		}
		doc, err := marshalXML(resp)
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(doc))
		var texts []string
		for {
			tok, err := dec.Token()
			if err != nil {
				if err == io.EOF {
					break
				}
				t.Fatalf("not well-formed for %q: %v\n%s", s, err, doc)
			}
			if cd, ok := tok.(xml.CharData); ok {
				texts = append(texts, string(cd))
			}
		}
		if isXMLText(s) && s != "" && !strings.Contains(strings.Join(texts, "\x00"), s) {
			t.Errorf("%q lost in\n%s", s, doc)
		}
	})
}
