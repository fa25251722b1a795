package plugin

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// A SkyBiometry call chooses its answer format with a suffix on the method
// path (/fc/faces/detect.xml, .json) or the format parameter, which wins
// when both are given; the default is JSON. The guard resolves it once and
// marks the response writer of an XML call (xmlAnswers), so that every
// answer to the call - the guard's denials included - is XML.

// xmlAnswers is the response writer of a call answered in XML.
type xmlAnswers struct {
	*caddyhttp.ResponseWriterWrapper
}

// withXMLAnswers marks w as the writer of an XML call.
func withXMLAnswers(w http.ResponseWriter) http.ResponseWriter {
	if answersXML(w) {
		return w
	}
	return &xmlAnswers{&caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
}

// answersXML reports whether w, or a writer it wraps, is marked for XML.
func answersXML(w http.ResponseWriter) bool { return wrapped[*xmlAnswers](w) != nil }

// wrapped finds the writer of type T among w and the writers it wraps
// (through at most 16 Unwraps); the zero T when there is none.
func wrapped[T http.ResponseWriter](w http.ResponseWriter) T {
	var zero T
	for range 16 {
		if t, ok := w.(T); ok {
			return t
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return zero
		}
		w = u.Unwrap()
	}
	return zero
}

// callFormat is the answer format a call asks for: its format parameter
// (lower case) when given, else the path suffix (parseRoute's format).
func callFormat(call *fcRequest) string {
	if f := strings.TrimSpace(call.Params["format"]); f != "" {
		return strings.ToLower(f)
	}
	return call.Format
}

// urlFormat is "xml" when the URL alone asks for XML (the format parameter
// in the query, else a .xml suffix), for the answers given before the body
// is read; else "".
func urlFormat(r *http.Request) string {
	if strings.Contains(r.URL.RawQuery, "format=") {
		if f := strings.TrimSpace(r.URL.Query().Get("format")); f != "" {
			return strings.ToLower(f)
		}
	}
	if p := r.URL.Path; strings.Contains(p, "/fc/") {
		if dot := strings.LastIndexByte(p, '.'); dot >= 0 && strings.EqualFold(p[dot+1:], "xml") {
			return "xml"
		}
	}
	return ""
}

// resolveFormat sets call.Format to the format the call asks for and
// returns the writer for its answers (answerWriter).
func (g *Guard) resolveFormat(w http.ResponseWriter, call *fcRequest) http.ResponseWriter {
	if g.Mode != "api" {
		return w
	}
	call.Format = callFormat(call)
	return g.answerWriter(w, call.Format)
}

// answerWriter returns w marked for XML when format is xml, in api mode.
// A denialRecorder (denials errors) is left as it is: the guard's denials
// then go to the site's error routes, and facegate_api marks its own writer.
func (g *Guard) answerWriter(w http.ResponseWriter, format string) http.ResponseWriter {
	if format != "xml" || g.Mode != "api" {
		return w
	}
	if _, ok := w.(*denialRecorder); ok {
		return w
	}
	return withXMLAnswers(w)
}

// writeAnswer answers v with status in the call's format: XML when w is
// marked for it, else JSON (JSONP with a callback).
func writeAnswer(w http.ResponseWriter, status int, v any, callback string) {
	if answersXML(w) {
		writeXML(w, status, v)
		return
	}
	writeJSON(w, status, v, callback)
}
