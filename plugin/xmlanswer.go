package plugin

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// SkyBiometry answers in XML when a call asks for it (a .xml suffix on the
// method path, or format=xml). Its layout is face.com's, which SkyBiometry
// kept as a drop-in replacement:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<response>
//	  <photos list="true">
//	    <photo>
//	      <url>…</url><pid>…</pid><width>640</width><height>480</height>
//	      <tags list="true">
//	        <tag>
//	          <tid>TEMP_F@…</tid><recognizable>1</recognizable><threshold>64</threshold>
//	          <uids list="true"><recognition><uid>mark@docs</uid><confidence>28</confidence></recognition></uids>
//	          <label/><confirmed>0</confirmed>
//	          <center><x>53.05</x><y>67.6</y></center>
//	          <attributes><face><value>true</value><confidence>96</confidence></face></attributes>
//	        </tag>
//	      </tags>
//	    </photo>
//	  </photos>
//	  <status>success</status>
//	  <usage><used>4</used><remaining>4996</remaining>…</usage>
//	</response>
//
// Every JSON member is an element of the same name, in the same order;
// arrays are elements with list="true" whose children are the items (named
// after the list: photo, tag, recognition, point, ...; PHP's client reads
// list="true" and ignores the item names); JSON booleans are 1 and 0; null
// and empty values are empty elements; numbers keep their JSON text. A map
// key that is not an XML name (a namespace such as "2024-team" under
// account/users) becomes <item key="2024-team">. The layout was checked
// against SkyBiometry's PHP client (FCClientPHP's convert_simplexml_to_array)
// and a face.com XML answer kept in a public client's source.
//
// The XML is transcoded from the JSON encoding of the answer, so both
// formats carry the same members and values by construction.

// xmlItemNames names the items of SkyBiometry's lists. Lists not named
// here have <item> children.
var xmlItemNames = map[string]string{
	"photos":          "photo",
	"tags":            "tag",
	"points":          "point",
	"similarities":    "similarity",
	"groups":          "group",
	"tids":            "tid",
	"saved_tags":      "saved_tag",
	"removed_tags":    "removed_tag",
	"no_training_set": "user",
	"created":         "user",
	"updated":         "user",
	"unchanged":       "user",
	"in_progress":     "user",
	"user_statuses":   "user",
	"namespaces":      "namespace",
}

// xmlItemName is the element name of the items of list name whose parent
// element is parent; obj tells whether the item is an object.
func xmlItemName(name, parent string, obj bool) string {
	switch {
	case name == "uids" && obj:
		return "recognition" // face.com's name for a candidate {uid, confidence}
	case name == "uids" || parent == "users":
		return "uid"
	}
	if n, ok := xmlItemNames[name]; ok {
		return n
	}
	return "item"
}

// marshalXML encodes an answer (any value whose JSON encoding is an object)
// in SkyBiometry's XML layout.
func marshalXML(v any) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return transcodeXML(js)
}

// transcodeXML turns one JSON object into SkyBiometry's XML document.
func transcodeXML(js []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	t := &xmlTranscoder{dec: dec}
	t.buf.Grow(len(js) * 2)
	t.buf.WriteString(xml.Header)
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("transcoding to xml: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("transcoding to xml: the answer is not a JSON object")
	}
	if err := t.object("response", "response", ""); err != nil {
		return nil, fmt.Errorf("transcoding to xml: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("transcoding to xml: trailing data after the answer")
	}
	t.buf.WriteByte('\n')
	return t.buf.Bytes(), nil
}

type xmlTranscoder struct {
	dec   *json.Decoder
	buf   bytes.Buffer
	depth int
}

// maxXMLDepth bounds nesting (answers are at most ~6 deep).
const maxXMLDepth = 32

// value writes the next JSON value as element name (opening tag text
// open, which may carry a key attribute), child of parent.
func (t *xmlTranscoder) value(open, name, parent string) error {
	tok, err := t.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		switch d {
		case '{':
			return t.object(open, name, parent)
		case '[':
			return t.list(open, name, parent)
		}
		return fmt.Errorf("unexpected %v", d)
	}
	return t.scalar(open, name, tok)
}

// object writes the members of an object whose '{' was read.
func (t *xmlTranscoder) object(open, name, _ string) error {
	if t.depth++; t.depth > maxXMLDepth {
		return errors.New("answer nested too deeply")
	}
	defer func() { t.depth-- }()
	if !t.dec.More() {
		if _, err := t.dec.Token(); err != nil { // '}'
			return err
		}
		t.empty(open)
		return nil
	}
	t.buf.WriteByte('<')
	t.buf.WriteString(open)
	t.buf.WriteByte('>')
	for t.dec.More() {
		tok, err := t.dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("unexpected key %v", tok)
		}
		childOpen, childName := key, key
		if !isXMLName(key) {
			childOpen, childName = `item key="`+attrEscape(key)+`"`, "item"
		}
		if err := t.value(childOpen, childName, name); err != nil {
			return err
		}
	}
	if _, err := t.dec.Token(); err != nil { // '}'
		return err
	}
	t.closeTag(name)
	return nil
}

// list writes an array whose '[' was read as <open list="true"> with one
// child per item.
func (t *xmlTranscoder) list(open, name, parent string) error {
	if t.depth++; t.depth > maxXMLDepth {
		return errors.New("answer nested too deeply")
	}
	defer func() { t.depth-- }()
	t.buf.WriteByte('<')
	t.buf.WriteString(open)
	if !t.dec.More() {
		if _, err := t.dec.Token(); err != nil { // ']'
			return err
		}
		t.buf.WriteString(` list="true"/>`)
		return nil
	}
	t.buf.WriteString(` list="true">`)
	for t.dec.More() {
		// The item's name depends on whether it is an object: peek by
		// reading its first token and handing the rest to object/list.
		tok, err := t.dec.Token()
		if err != nil {
			return err
		}
		d, isDelim := tok.(json.Delim)
		item := xmlItemName(name, parent, isDelim && d == '{')
		switch {
		case isDelim && d == '{':
			err = t.object(item, item, name)
		case isDelim && d == '[':
			err = t.list(item, item, name)
		default:
			err = t.scalar(item, item, tok)
		}
		if err != nil {
			return err
		}
	}
	if _, err := t.dec.Token(); err != nil { // ']'
		return err
	}
	t.closeTag(name)
	return nil
}

// scalar writes an already read scalar token as element name (opening
// tag text open).
func (t *xmlTranscoder) scalar(open, name string, tok json.Token) error {
	switch v := tok.(type) {
	case nil:
		t.empty(open)
	case bool:
		text := "0"
		if v {
			text = "1"
		}
		t.leaf(open, name, text)
	case json.Number:
		t.leaf(open, name, string(v))
	case string:
		if v == "" {
			t.empty(open)
			return nil
		}
		t.buf.WriteByte('<')
		t.buf.WriteString(open)
		t.buf.WriteByte('>')
		_ = xml.EscapeText(&t.buf, []byte(v))
		t.closeTag(name)
	default:
		return fmt.Errorf("unexpected token %T", tok)
	}
	return nil
}

func (t *xmlTranscoder) leaf(open, name, text string) {
	t.buf.WriteByte('<')
	t.buf.WriteString(open)
	t.buf.WriteByte('>')
	t.buf.WriteString(text) // numbers and 1/0 need no escaping
	t.closeTag(name)
}

func (t *xmlTranscoder) empty(open string) {
	t.buf.WriteByte('<')
	t.buf.WriteString(open)
	t.buf.WriteString("/>")
}

func (t *xmlTranscoder) closeTag(name string) {
	t.buf.WriteString("</")
	t.buf.WriteString(name)
	t.buf.WriteByte('>')
}

// isXMLName reports whether s can be an element name as it is: an ASCII
// XML Name without a colon (no namespaces), at most 64 bytes. Non-ASCII
// letters are left to <item key="...">: XML parsers disagree on which of
// them may start or continue a name (Go's encoding/xml follows the first
// edition's older Unicode tables and refuses, e.g., U+0235).
func isXMLName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		switch {
		case r == '_' || letter:
		case i > 0 && (r == '-' || r == '.' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return true
}

// attrEscape escapes s for a double-quoted attribute value.
func attrEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // escapes " as &#34;
	return b.String()
}

// writeXML answers v in SkyBiometry's XML layout.
func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := marshalXML(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(xml.Header + "<response><status>failure</status><error_code>104</error_code>" +
			"<error_message>INTERNAL_ERROR - encoding failed</error_message></response>\n")
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
