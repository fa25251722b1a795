package plugin

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// xmlValue parses an answer with encoding/xml the way SkyBiometry's PHP
// client reads it (convert_simplexml_to_array): an element with
// list="true" is an array of its children, whatever their names; an
// element with children is a map by child name (or key attribute); any
// other element is its text. keys records each map's child order.
func xmlValue(t *testing.T, doc []byte) (any, map[string][]string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	keys := map[string][]string{}
	var elem func(start xml.StartElement, path string) any
	elem = func(start xml.StartElement, path string) any {
		list := false
		for _, a := range start.Attr {
			if a.Name.Local == "list" && a.Value == "true" {
				list = true
			}
		}
		var items []any
		obj := map[string]any{}
		var text strings.Builder
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("parsing xml: %v\n%s", err, doc)
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				name := tk.Name.Local
				for _, a := range tk.Attr {
					if a.Name.Local == "key" {
						name = a.Value
					}
				}
				v := elem(tk.Copy(), path+"/"+name)
				if list {
					items = append(items, v)
					continue
				}
				if _, dup := obj[name]; dup {
					t.Fatalf("duplicate element %s/%s", path, name)
				}
				obj[name] = v
				keys[path] = append(keys[path], name)
			case xml.CharData:
				text.Write(tk)
			case xml.EndElement:
				switch {
				case list:
					if items == nil {
						items = []any{}
					}
					return items
				case len(obj) > 0:
					return obj
				}
				return text.String()
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			t.Fatalf("no root element:\n%s", doc)
		}
		if err != nil {
			t.Fatalf("parsing xml: %v", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			if start.Name.Local != "response" {
				t.Fatalf("root element %q, want response", start.Name.Local)
			}
			return elem(start, ""), keys
		}
	}
}

// jsonValue decodes a JSON answer into the values XML can carry: strings
// for numbers (their JSON text), "1"/"0" for booleans, "" for null and
// empty objects. keys records each object's member order.
func jsonValue(t *testing.T, js []byte) (any, map[string][]string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	keys := map[string][]string{}
	var value func(path string) any
	value = func(path string) any {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("parsing json: %v", err)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '[' {
				items := []any{}
				for dec.More() {
					items = append(items, value(path+"/[]"))
				}
				dec.Token()
				return items
			}
			obj := map[string]any{}
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				obj[key] = value(path + "/" + key)
				keys[path] = append(keys[path], key)
			}
			dec.Token()
			if len(obj) == 0 {
				return ""
			}
			return obj
		case bool:
			if v {
				return "1"
			}
			return "0"
		case json.Number:
			return string(v)
		case string:
			return v
		}
		return ""
	}
	return value(""), keys
}

// sameAnswer asserts that the XML encoding of v parses into the values of
// its JSON encoding, members in the same order.
func sameAnswer(t *testing.T, v any) []byte {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := marshalXML(v)
	if err != nil {
		t.Fatalf("marshalXML: %v", err)
	}
	if !bytes.HasPrefix(doc, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatalf("no XML declaration:\n%s", doc)
	}
	xv, xkeys := xmlValue(t, doc)
	jv, jkeys := jsonValue(t, js)
	if !reflect.DeepEqual(xv, jv) {
		t.Fatalf("xml and json differ\nxml:  %v\njson: %v\n%s", xv, jv, doc)
	}
	for path, jk := range jkeys {
		if strings.Contains(path, "[]") {
			continue // xmlValue paths name items by key, not position
		}
		if !reflect.DeepEqual(xkeys[path], jk) {
			t.Errorf("order at %q: xml %v, json %v", path, xkeys[path], jk)
		}
	}
	return doc
}

func detectAnswer() *service.Response {
	label := "Mark"
	threshold := 52
	points := make([]service.Point, 68)
	for i := range points {
		points[i] = service.Point{X: 40 + float64(i)/7, Y: 30.5, Confidence: 80, ID: 0x0300 + i}
	}
	tag := service.Tag{
		TID: "TEMP_F@0c95576847e3cd7abbb8f8c1d9ef7ed8_5b4fd1a1bb35e_56.80_41.08_0_1", Recognizable: true,
		UIDs: []service.UIDMatch{}, Width: 18.91, Height: 11.46, Yaw: 8, Roll: 0, Pitch: -18,
		Center:      service.Center{X: 57.03, Y: 16.67},
		EyeLeft:     &service.Point{X: 60.31, Y: 12.81, Confidence: 98, ID: 449},
		EyeRight:    &service.Point{X: 51.72, Y: 12.71, Confidence: 97, ID: 450},
		MouthCenter: &service.Point{X: 55.7, Y: 18.65, Confidence: 96, ID: 615},
		Nose:        &service.Point{X: 55.08, Y: 15.83, Confidence: 97, ID: 403},
		Attributes: map[string]service.Attribute{
			"face": {Value: "true", Confidence: 81}, "gender": {Value: "male", Confidence: 70},
			"smiling": {Value: "false", Confidence: 64}, "lips": {Value: "sealed", Confidence: 77},
			"eyes": {Value: "open", Confidence: 90}, "age_est": {Value: "31", Confidence: 50},
		},
		Points: points,
	}
	second := tag
	second.TID, second.Label, second.Threshold, second.Points = "0a1b2c3d_1234567890abc", &label, &threshold, nil
	second.Attributes = map[string]service.Attribute{}
	return &service.Response{
		Status: "success",
		Photos: []service.Photo{{URL: "https://img.example/a.jpg?x=1&y=<2>", PID: "F@0123_abc", Width: 1280, Height: 1920,
			Tags: []service.Tag{tag, second}}},
		Usage:       &service.Usage{Used: 2, Remaining: 98, Limit: 100, ResetTime: 1568517042, ResetTimeText: "Sun, 15 September 2019 03:10:42 +0000"},
		OperationID: "a736fc67645b46b4a697e11e4cee9e4d",
	}
}

func TestXMLDetectAnswer(t *testing.T) {
	doc := string(sameAnswer(t, detectAnswer()))
	for _, want := range []string{
		"<response><status>success</status><photos list=\"true\"><photo><url>https://img.example/a.jpg?x=1&amp;y=&lt;2&gt;</url>",
		`<tags list="true"><tag><tid>TEMP_F@`,
		`<recognizable>1</recognizable><uids list="true"/><label/><confirmed>0</confirmed><manual>0</manual>`,
		`<center><x>57.03</x><y>16.67</y></center>`,
		`<eye_left><x>60.31</x><y>12.81</y><confidence>98</confidence><id>449</id></eye_left>`,
		`<attributes><age_est><value>31</value><confidence>50</confidence></age_est>`,
		`<lips><value>sealed</value><confidence>77</confidence></lips>`,
		`<points list="true"><point><x>40</x><y>30.5</y><confidence>80</confidence><id>768</id></point>`,
		`<similarities/>`,
		`<threshold>52</threshold>`, `<label>Mark</label>`, `<attributes/><points/>`,
		`<usage><used>2</used><remaining>98</remaining><limit>100</limit><reset_time>1568517042</reset_time>`,
		`<operation_id>a736fc67645b46b4a697e11e4cee9e4d</operation_id></response>`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("missing %s in\n%s", want, doc)
		}
	}
}

func TestXMLRecognizeAndOtherAnswers(t *testing.T) {
	rec := detectAnswer()
	th := 50
	rec.Photos[0].Tags[0].UIDs = []service.UIDMatch{{UID: "mark@docs", Confidence: 88}, {UID: "anna@docs", Confidence: 12}}
	rec.Photos[0].Tags[0].Threshold = &th
	doc := string(sameAnswer(t, rec))
	if !strings.Contains(doc, `<uids list="true"><recognition><uid>mark@docs</uid><confidence>88</confidence></recognition><recognition><uid>anna@docs</uid>`) {
		t.Errorf("recognize candidates:\n%s", doc)
	}
	gid := 1
	yes := true
	statuses := []service.UserStatus{{UID: "mark@docs", TrainingSetSize: 3, LastTrained: 1700000000}}
	namespaces := []service.Namespace{{Name: "docs", Size: 2, ShareMode: "private", Owner: true}}
	for name, resp := range map[string]any{
		"group":      &service.Response{Status: "success", Groups: []service.Group{{GID: &gid, UID: "mark@docs", TIDs: []string{"a_1", "b_2"}}, {TIDs: []string{"c_3"}}}},
		"tags/save":  &service.Response{Status: "success", SavedTags: []service.SavedTag{{DetectedTID: "TEMP_F@x_1", TID: "a_1"}}, Message: "Tag saved with uid: mark@docs, label: "},
		"tags/rm":    &service.Response{Status: "success", RemovedTags: []service.RemovedTag{{RemovedTID: "a_1"}}},
		"train":      &service.Response{Status: "success", Created: &statuses, Unchanged: &[]service.UserStatus{}},
		"status":     &service.Response{Status: "success", UserStatuses: &statuses},
		"auth":       &service.Response{Status: "success", Authenticated: &yes},
		"users":      &service.Response{Status: "success", Users: map[string][]string{"docs": {"mark@docs"}, "2024-team": {"x@2024-team"}, "empty": {}}},
		"namespaces": &service.Response{Status: "success", Namespaces: &namespaces},
		"erase":      &service.Response{Status: "success", Erased: &service.Erased{UIDs: []string{"mark@docs"}, Namespaces: []string{}}},
		"failure":    failure(skyerr.New(skyerr.InvalidArgs, "attributes may only list all, none, face"), nil, "op1"),
		"quota":      failure(skyerr.New(skyerr.Quota, `quota limit "quota" reached`), &service.Usage{Used: 5, Limit: 5}, "op2"),
	} {
		t.Run(name, func(t *testing.T) { sameAnswer(t, resp) })
	}
	users := string(sameAnswer(t, &service.Response{Status: "success", Users: map[string][]string{"2024-team": {"x@2024-team"}}}))
	if !strings.Contains(users, `<users><item key="2024-team" list="true"><uid>x@2024-team</uid></item></users>`) {
		t.Errorf("users with a namespace that is not an XML name:\n%s", users)
	}
	fail := string(sameAnswer(t, failure(skyerr.New(skyerr.MissingArgs, "urls or files required"), nil, "op3")))
	if !strings.Contains(fail, `<status>failure</status><operation_id>op3</operation_id><error_code>402</error_code><error_message>MISSING_ARGUMENTS - urls or files required</error_message></response>`) {
		t.Errorf("failure:\n%s", fail)
	}
}

// TestXMLRandomAnswers: any JSON object transcodes into XML that parses
// back into the same values.
func TestXMLRandomAnswers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"status", "photos", "tags", "uids", "x", "label", "users", "2nd", "a-b", "é", "with space", "<k>", ""}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch n := rng.IntN(8); {
		case n == 0 && depth < 5:
			m := map[string]any{}
			for range rng.IntN(4) {
				m[names[rng.IntN(len(names))]] = gen(depth + 1)
			}
			return m
		case n == 1 && depth < 5:
			l := []any{}
			for range rng.IntN(4) {
				l = append(l, gen(depth+1))
			}
			return l
		case n == 2:
			return rng.IntN(2) == 0
		case n == 3:
			return nil
		case n == 4:
			return rng.NormFloat64() * 1e3
		case n == 5:
			return rng.IntN(1000) - 500
		}
		return fmt.Sprint("s&<>\"'", rng.IntN(100), " \t", string(rune(0x4e00+rng.IntN(100))))
	}
	for i := range 500 {
		m := map[string]any{}
		for range 1 + rng.IntN(5) {
			m[names[rng.IntN(len(names))]] = gen(1)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { sameAnswer(t, m) })
	}
}

func TestXMLRefusesNonObjects(t *testing.T) {
	for _, v := range []any{[]int{1}, "x", 3, nil} {
		if _, err := marshalXML(v); err == nil {
			t.Errorf("marshalXML(%v): no error", v)
		}
	}
}

func TestWriteFCErrorXML(t *testing.T) {
	rec := httptest.NewRecorder()
	w := withXMLAnswers(rec)
	writeFCError(w, skyerr.New(skyerr.InvalidArgs, "format must be json or xml"), nil, "op", false)
	if rec.Code != 400 || rec.Header().Get("Content-Type") != "application/xml; charset=utf-8" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	v, _ := xmlValue(t, rec.Body.Bytes())
	m := v.(map[string]any)
	if m["status"] != "failure" || m["error_code"] != "406" || !strings.HasPrefix(m["error_message"].(string), "INVALID_ARGUMENTS_VALUE - ") {
		t.Fatalf("answer %v", m)
	}
	// A writer wrapping the marked one (the signed-answer recorder) still answers XML.
	rec = httptest.NewRecorder()
	outer := &caddyhttp.ResponseWriterWrapper{ResponseWriter: withXMLAnswers(rec)}
	writeFCError(outer, skyerr.New(skyerr.Internal, "x"), nil, "op", true)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "<error_code>104</error_code>") {
		t.Fatalf("wrapped writer: %d %s", rec.Code, rec.Body)
	}
	// An unmarked writer answers JSON.
	rec = httptest.NewRecorder()
	writeFCError(rec, skyerr.New(skyerr.Internal, "x"), nil, "op", false)
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("unmarked writer answered %q", rec.Header().Get("Content-Type"))
	}
}

// TestHTTPSOnlyXML: a plain-HTTP refusal of an XML call is XML too.
func TestHTTPSOnlyXML(t *testing.T) {
	for target, xmlWanted := range map[string]bool{
		"http://localhost:8080/fc/faces/detect.xml?api_key=k":             true,
		"http://localhost:8080/fc/faces/detect?format=xml&api_key=k":      true,
		"http://localhost:8080/fc/faces/detect.json?api_key=k":            false,
		"http://localhost:8080/fc/faces/detect.json?format=xml&api_key=k": true,
	} {
		w := httptest.NewRecorder()
		if err := (&HTTPSOnly{HTTPSPort: 8443}).ServeHTTP(w, httptest.NewRequest("GET", target, nil), nil); err != nil {
			t.Fatal(err)
		}
		isXML := strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml")
		if w.Code != 403 || isXML != xmlWanted {
			t.Errorf("%s: HTTP %d %s, want 403 in XML=%v", target, w.Code, w.Header().Get("Content-Type"), xmlWanted)
			continue
		}
		if isXML {
			if v, _ := xmlValue(t, w.Body.Bytes()); v.(map[string]any)["error_code"] != "304" {
				t.Errorf("%s: %v", target, v)
			}
		}
	}
}
