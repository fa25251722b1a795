package plugin

import (
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestAnswerFormat(t *testing.T) {
	for _, c := range []struct {
		path, query string
		params      map[string]string
		url, call   string
	}{
		{"/fc/faces/detect", "", nil, "", "json"},
		{"/fc/faces/detect.json", "", nil, "", "json"},
		{"/fc/faces/detect.xml", "", nil, "xml", "xml"},
		{"/fc/faces/detect.XML", "", nil, "xml", "xml"},
		{"/fc/faces/detect", "format=xml", map[string]string{"format": "xml"}, "xml", "xml"},
		{"/fc/faces/detect.json", "", map[string]string{"format": "XML"}, "", "xml"}, // from the body: the parameter wins
		{"/fc/faces/detect.xml", "format=json", map[string]string{"format": "json"}, "json", "json"},
		{"/fc/faces/detect.yaml", "", nil, "", "yaml"},
		{"/other/x.xml", "", nil, "", ""}, // not a SkyBiometry route
	} {
		r := httptest.NewRequest("GET", c.path+"?"+c.query, nil)
		if got := urlFormat(r); got != c.url {
			t.Errorf("urlFormat(%s?%s) = %q, want %q", c.path, c.query, got, c.url)
		}
		_, suffix, _ := parseRoute(c.path)
		if got := callFormat(&fcRequest{Format: suffix, Params: c.params}); got != c.call {
			t.Errorf("callFormat(%s, %v) = %q, want %q", c.path, c.params, got, c.call)
		}
	}
}

func TestAnswerWriter(t *testing.T) {
	g := &Guard{Mode: "api"}
	rec := httptest.NewRecorder()
	if w := g.answerWriter(rec, "json"); answersXML(w) {
		t.Error("json call marked for XML")
	}
	w := g.answerWriter(rec, "xml")
	if !answersXML(w) || g.answerWriter(w, "xml") != w {
		t.Error("xml call not marked once")
	}
	if w := (&Guard{Mode: "proxy"}).answerWriter(rec, "xml"); answersXML(w) {
		t.Error("proxy mode marked for XML")
	}
	// denials errors: the recorder stays what the guard's deny looks for.
	dr := &denialRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: rec}}
	if w := g.answerWriter(dr, "xml"); w != dr {
		t.Error("the denial recorder was wrapped")
	}
}
