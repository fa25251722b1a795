package plugin

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// fcRequest is a SkyBiometry call parsed once by the guard and handed to the
// API handler through the request context.
type fcRequest struct {
	// Route is "<group>/<method>" without the format suffix, e.g. "faces/detect".
	Route string
	// Format is "json" (default) or "xml".
	Format string
	// Params are the query and body parameters, body values winning.
	Params map[string]string
	// Files are the uploaded images, from multipart parts under any field
	// name or from a raw image body.
	Files []service.File
	// Body is the raw body as read (for the Content-Digest check).
	Body []byte
}

// images is how many images the call carries: uploads plus `urls` entries,
// counted as the service counts them.
func (q *fcRequest) images() int { return service.Images(q.Files, q.Params["urls"]) }

// parseRoute maps "/fc/faces/detect.json" (under any prefix) to
// ("faces/detect", "json"). ok is false for paths outside /fc/<group>/<method>.
func parseRoute(path string) (route, format string, ok bool) {
	i := strings.LastIndex(path, "/fc/")
	if i < 0 {
		return "", "", false
	}
	rest := path[i+len("/fc/"):]
	format = "json"
	if dot := strings.LastIndexByte(rest, '.'); dot >= 0 {
		format = strings.ToLower(rest[dot+1:])
		rest = rest[:dot]
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return rest, format, false
	}
	return rest, format, true
}

// readBody reads at most limit bytes; a longer body is error 413.
func readBody(r *http.Request, limit int64) ([]byte, *skyerr.Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge("request body exceeds the configured max_body")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, badArgs("reading request body failed")
	}
	if int64(len(body)) > limit {
		return nil, tooLarge("request body exceeds the configured max_body")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// parseParams merges the query string and the body. Bodies are parsed as
// urlencoded even without a Content-Type (the Python client sends none), as
// multipart with images under any field name, or as one raw image.
func parseParams(r *http.Request, body []byte, lim InputLimits) (map[string]string, []service.File, *skyerr.Error) {
	params := map[string]string{}
	if err := parseForm(params, r.URL.RawQuery); err != nil {
		return nil, nil, badArgs("malformed query string")
	}
	if len(body) == 0 {
		return params, nil, nil
	}
	ctype := r.Header.Get("Content-Type")
	mediaType, mparams := formMediaType, map[string]string(nil)
	if ctype != formMediaType { // the common case needs no parsing
		mediaType, mparams, _ = mime.ParseMediaType(ctype)
	}
	switch {
	case ctype == "" || mediaType == formMediaType || mediaType == "text/plain":
		if isBinary(body) {
			return rawImage(params, body, lim)
		}
		if err := parseForm(params, string(body)); err != nil {
			return nil, nil, badArgs("malformed urlencoded body")
		}
		return params, nil, nil
	case mediaType == "multipart/form-data":
		files, err := parseMultipart(body, mparams["boundary"], params, lim)
		return params, files, err
	case strings.HasPrefix(mediaType, "image/") || mediaType == "application/octet-stream":
		return rawImage(params, body, lim)
	default:
		return nil, nil, badArgs("unsupported Content-Type " + mediaType)
	}
}

// rawImage takes a whole body as one uploaded image.
func rawImage(params map[string]string, body []byte, lim InputLimits) (map[string]string, []service.File, *skyerr.Error) {
	if int64(len(body)) > lim.MaxImageBytes {
		return nil, nil, tooLarge("the image exceeds the configured max_image_bytes")
	}
	return params, []service.File{{Name: "body", Data: body}}, nil
}

// parseMultipart reads every part: a part with a filename, or whose bytes
// are binary (isBinary), is an image; any other part is a parameter.
func parseMultipart(body []byte, boundary string, params map[string]string, lim InputLimits) ([]service.File, *skyerr.Error) {
	if boundary == "" {
		return nil, badArgs("multipart body without boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var files []service.File
	for parts := 0; ; parts++ {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, badArgs("malformed multipart body")
		}
		if parts >= lim.MaxParts {
			return nil, tooLarge("too many multipart parts")
		}
		data, err := io.ReadAll(io.LimitReader(p, lim.MaxImageBytes+1))
		if err != nil {
			return nil, badArgs("malformed multipart body")
		}
		name := p.FormName()
		if p.FileName() != "" || isBinary(data) {
			if int64(len(data)) > lim.MaxImageBytes {
				return nil, tooLarge("an image exceeds the configured max_image_bytes")
			}
			files = append(files, service.File{Name: name, Data: data})
			continue
		}
		if int64(len(data)) > lim.MaxParamBytes {
			return nil, tooLarge("parameter " + safeName(name) + " exceeds max_param_bytes")
		}
		params[name] = string(data)
	}
}

// mergeValues copies the first value of each name into params, overriding.
const formMediaType = "application/x-www-form-urlencoded"

// parseForm adds the parameters of an urlencoded string to params: the
// first value of each name, over what params held (so a body's values
// override the query string's). It accepts and refuses exactly what
// url.ParseQuery does (TestParseFormMatchesParseQuery), without building
// url.Values: one map for the whole request.
func parseForm(params map[string]string, s string) error {
	if strings.Count(s, "&") >= maxFormFields { // url's own limit applies
		v, err := url.ParseQuery(s)
		if err != nil {
			return err
		}
		mergeValues(params, v)
		return nil
	}
	// Later pairs are stored first, so that the first value of a name wins.
	for s != "" {
		var pair string
		if i := strings.LastIndexByte(s, '&'); i >= 0 {
			s, pair = s[:i], s[i+1:]
		} else {
			s, pair = "", s
		}
		if strings.Contains(pair, ";") {
			return errors.New("invalid semicolon separator in query")
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return err
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return err
		}
		params[k] = v
	}
	return nil
}

// maxFormFields: strings with this many '&' go through url.ParseQuery,
// which enforces the standard library's limit on the number of parameters.
const maxFormFields = 1000

func mergeValues(params map[string]string, v url.Values) {
	for name, vals := range v {
		if len(vals) > 0 {
			params[name] = vals[0]
		}
	}
}

// isBinary tells image bytes from parameter text: every image format
// (JPEG, PNG, GIF, BMP, WebP, JPEG 2000) has NUL bytes or bytes that are not
// UTF-8 in its header, while parameters are text. Sniffing magic numbers
// instead would take a secret that happens to start with "BM" (BMP) or
// "GIF8" for an image.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b)
}

// safeName keeps a client-chosen name printable and short for error messages.
func safeName(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
